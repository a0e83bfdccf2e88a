"""The client-side limiter: every window respected, 429 pauses honoured, on a fake clock."""

from __future__ import annotations

import pytest

from coach.providers.limiter import RateLimiter, shared_limiter
from tests.emulators.clock import FakeClock

pytestmark = pytest.mark.anyio


async def test_two_windows_are_both_respected(clock: FakeClock) -> None:
    limiter = RateLimiter([(30, 60), (200, 3600)], clock)
    stamps = []
    for _ in range(450):
        await limiter.acquire()
        stamps.append(clock.now())
    for i, t in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s < t + 60) <= 30
        assert sum(1 for s in stamps[i:] if s < t + 3600) <= 200
    assert 2 * 3600 <= stamps[-1] - stamps[0] < 2 * 3600 + 120


async def test_a_pause_holds_every_caller(clock: FakeClock) -> None:
    limiter = RateLimiter([(30, 60)], clock)
    await limiter.acquire()
    limiter.pause(42)
    start = clock.now()
    await limiter.acquire()
    assert clock.now() - start >= 42


def test_limiters_are_shared_per_token(clock: FakeClock) -> None:
    a = shared_limiter("shape", "shape_a", [(30, 60)], clock)
    assert shared_limiter("shape", "shape_a", [(30, 60)], clock) is a
    assert shared_limiter("shape", "shape_b", [(30, 60)], clock) is not a
