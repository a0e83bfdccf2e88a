"""Client-side rate limits per provider account (several windows at once, 429 pauses).

`MemoryLimiterStore` keeps them in this process, on pyrate-limiter's sliding-window log.
Adapters reach them through the `LimiterStore` protocol (coach.providers.base), keyed by
account (`account_key`): a store shared by processes (e.g. on Redis) only has to
implement `limiter(key, rates)` with the same `acquire`/`pause`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import anyio
from pyrate_limiter import InMemoryBucket, Rate, RateItem

from coach.providers.base import SYSTEM_CLOCK, Clock, Limiter, LimiterStore, ProviderContext
from coach.providers.retry import RETRY_AFTER_CAP_S

MINUTE = 60.0
HOUR = 3600.0


def account_key(provider: str, *secrets: str) -> str:
    """`provider:<sha256>` of what identifies the account; the secret is never kept."""
    digest = hashlib.sha256("\x00".join(secrets).encode()).hexdigest()
    return f"{provider}:{digest}"


def binding_rates(rates: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """The rates that can refuse a call, shortest window first (pyrate-limiter refuses a
    list with others). A longer window allowing at least what a shorter one adds up to
    (3/min and 190/h: 180 an hour at most) never refuses; nor does a shorter window
    allowing at least what a longer one does."""
    kept: list[tuple[int, float]] = []
    for limit, seconds in sorted(rates, key=lambda rate: rate[1]):
        if all(limit < shorter * seconds / window for shorter, window in kept):
            kept = [(n, window) for n, window in kept if n < limit]
            kept.append((limit, seconds))
    return kept


class RateLimiter:
    """Takes a slot once every window has room; a 429's Retry-After pauses every caller.

    pyrate-limiter's bucket does the window bookkeeping; the waiting is ours because its
    `Limiter` sleeps on the real clock, and tests (and the benchmark) run a 52-week push
    on a fake one. A caller waits only as long as it said it may (`max_wait_s`): a
    longer wait is returned to it, and it takes nothing.
    """

    def __init__(self, rates: Sequence[tuple[int, float]], clock: Clock | None = None) -> None:
        self.clock = clock or SYSTEM_CLOCK
        binding = binding_rates(rates)
        self._bucket = (
            InMemoryBucket([Rate(n, int(seconds * 1000)) for n, seconds in binding])
            if binding
            else None
        )
        self._lock = anyio.Lock()
        self._paused_until = 0.0
        self.waited_s = 0.0

    def _now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def _take(self) -> float:
        """Take a slot now (0.0), or the seconds until one may be free (nothing taken)."""
        pause = self._paused_until - self.clock.now()
        if pause > 0:
            return pause
        if self._bucket is None:
            return 0.0
        item = RateItem("calls", self._now_ms())
        # InMemoryBucket answers at once; the base class also allows async buckets.
        accepted = self._bucket.put(item)
        assert isinstance(accepted, bool)
        if accepted:
            return 0.0
        wait_ms = self._bucket.waiting(item)
        assert isinstance(wait_ms, int)
        # +1 ms: the window edge is inclusive on the provider's side too.
        return max(wait_ms, 0) / 1000 + 0.001

    async def acquire(self, max_wait_s: float = math.inf) -> float:
        waited = 0.0
        async with self._lock:  # FIFO: a batch of callers takes slots in order
            while True:
                wait = self._take()
                if wait <= 0:
                    return 0.0
                if waited + wait > max_wait_s:
                    return wait
                await self._sleep(wait)
                waited += wait

    async def pause(self, seconds: float) -> None:
        """The provider said 429 / Retry-After: nobody sharing this quota calls before then
        (a Retry-After is followed up to an hour, like the outbox's)."""
        seconds = min(max(0.0, seconds), RETRY_AFTER_CAP_S)
        self._paused_until = max(self._paused_until, self.clock.now() + seconds)

    async def _sleep(self, seconds: float) -> None:
        self.waited_s += seconds
        await self.clock.sleep(seconds)


class MemoryLimiterStore:
    """The limiters of this process, by account key."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SYSTEM_CLOCK
        self._limiters: dict[str, RateLimiter] = {}

    def limiter(self, key: str, rates: Sequence[tuple[int, float]]) -> Limiter:
        found = self._limiters.get(key)
        if found is None:
            found = self._limiters[key] = RateLimiter(rates, self.clock)
        return found


# Adapters made without a store (a script, a unit test) share one per clock.
_process_stores: dict[int, MemoryLimiterStore] = {}


def store_for(context: ProviderContext) -> LimiterStore:
    """The context's store, else this process's for the context's clock."""
    if context.limiters is not None:
        return context.limiters
    store = _process_stores.get(id(context.clock))
    if store is None:
        store = _process_stores[id(context.clock)] = MemoryLimiterStore(context.clock)
    return store
