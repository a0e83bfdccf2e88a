"""Client-side rate limits (several windows at once) on pyrate-limiter's sliding-window log."""

from __future__ import annotations

import hashlib

import anyio
from pyrate_limiter import InMemoryBucket, Rate, RateItem

from coach.providers.base import SYSTEM_CLOCK, Clock


class RateLimiter:
    """Waits until every window has room, then takes one slot.

    pyrate-limiter's bucket does the window bookkeeping; the waiting is ours because its
    `Limiter` sleeps on the real clock, and tests (and the benchmark) run a 52-week push
    on a fake one. A 429's Retry-After pauses the limiter for everyone sharing it.
    """

    def __init__(self, rates: list[tuple[int, float]], clock: Clock | None = None) -> None:
        self.clock = clock or SYSTEM_CLOCK
        self._bucket = InMemoryBucket([Rate(n, int(seconds * 1000)) for n, seconds in rates])
        self._lock = anyio.Lock()
        self._paused_until = 0.0
        self.waited_s = 0.0

    def _now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    async def acquire(self) -> None:
        async with self._lock:  # FIFO: a batch of callers takes slots in order
            while True:
                pause = self._paused_until - self.clock.now()
                if pause > 0:
                    await self._sleep(pause)
                    continue
                item = RateItem("calls", self._now_ms())
                # InMemoryBucket answers at once; the base class also allows async buckets.
                accepted = self._bucket.put(item)
                assert isinstance(accepted, bool)
                if accepted:
                    return
                wait_ms = self._bucket.waiting(item)
                assert isinstance(wait_ms, int)
                # +1 ms: the window edge is inclusive on the provider's side too.
                await self._sleep(max(wait_ms, 0) / 1000 + 0.001)

    def pause(self, seconds: float) -> None:
        """The provider said 429 / Retry-After: nobody sharing this quota calls before then."""
        self._paused_until = max(self._paused_until, self.clock.now() + seconds)

    async def _sleep(self, seconds: float) -> None:
        self.waited_s += seconds
        await self.clock.sleep(seconds)


# Limiters are per provider quota (e.g. one Shape token), shared by every adapter
# instance in this process. Several processes need a shared bucket (pyrate-limiter
# has SQLite/Postgres/Redis buckets) or one dispatcher per quota.
_shared: dict[tuple[str, str, int], RateLimiter] = {}


def shared_limiter(
    provider: str, secret: str, rates: list[tuple[int, float]], clock: Clock
) -> RateLimiter:
    """The limiter of one quota; the secret is hashed so it is never kept as a dict key."""
    digest = hashlib.sha256(secret.encode()).hexdigest()
    key = (provider, digest, id(clock))
    limiter = _shared.get(key)
    if limiter is None:
        limiter = _shared[key] = RateLimiter(rates, clock)
    return limiter


MINUTE = 60.0
HOUR = 3600.0
