"""The client-side limiter: every window respected, 429 pauses honoured, on a fake clock."""

from __future__ import annotations

import pytest

from coach.providers.limiter import MemoryLimiterStore, RateLimiter, account_key
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
    await limiter.pause(42)
    start = clock.now()
    await limiter.acquire()
    assert clock.now() - start >= 42


async def test_a_caller_waits_only_as_long_as_it_may(clock: FakeClock) -> None:
    # A worker holding rows must not sleep through a window: it is told how long instead,
    # takes no slot, and releases its rows for that long.
    limiter = RateLimiter([(2, 60)], clock)
    assert await limiter.acquire(5) == 0.0
    assert await limiter.acquire(5) == 0.0
    start = clock.now()
    wait = await limiter.acquire(5)
    assert 59 <= wait <= 61 and clock.now() == start
    await limiter.pause(3600 * 24)  # a Retry-After of a day is followed for an hour
    assert 3599 <= await limiter.acquire(5) <= 3600
    assert await limiter.acquire(3601) == 0.0 and clock.now() - start >= 3600


def test_limiters_are_shared_per_account(clock: FakeClock) -> None:
    store = MemoryLimiterStore(clock)
    a = store.limiter(account_key("shape", "shape_a"), [(30, 60)])
    assert store.limiter(account_key("shape", "shape_a"), [(30, 60)]) is a
    assert store.limiter(account_key("shape", "shape_b"), [(30, 60)]) is not a
    assert "shape_a" not in account_key("shape", "shape_a")  # the token is only hashed


async def test_a_longer_window_that_never_binds_is_accepted(clock: FakeClock) -> None:
    # 3 a minute makes at most 180 an hour: Shape's 190/h cannot refuse, and a connection
    # set to 3/min is usable.
    limiter = RateLimiter([(3, 60), (190, 3600)], clock)
    for _ in range(3):
        assert await limiter.acquire(0) == 0.0
    assert 59 < await limiter.acquire(0) <= 61
