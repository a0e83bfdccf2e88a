"""Adaptive (AIMD) concurrency for a plan's weeks: as many at once as the LLM server
keeps up with.

The limit starts at `COACH_LLM_CONCURRENCY`. Each week's request whose first workout
arrives within `tolerance` times the quickest one seen so far says the server keeps up:
the limit grows by one (slow start: doubling every round trip) up to
`COACH_LLM_CONCURRENCY_MAX`, by 1/limit once it has backed off (additive increase). A
slower first workout, a 429 or a server error halves it (multiplicative decrease), once
per round: requests sent before the last decrease do not count against the new limit.
The LLM budget (coach.engines.llm.budget) still caps every request of the process or
deployment.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio


class AdaptiveLimit:
    def __init__(self, start: int, ceiling: int, *, tolerance: float = 2.0) -> None:
        self.limit = float(start)
        self.ceiling = max(start, ceiling)
        self.tolerance = tolerance
        self.quickest: float | None = None
        self.in_flight = 0
        self.peak = 0
        self._slow_start = True
        self._decreased_at = 0.0
        self._changed = anyio.Event()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Hold one of the limit's places; yields when the request starts."""
        while self.in_flight >= int(self.limit):
            await self._changed.wait()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            yield time.monotonic()
        finally:
            self.in_flight -= 1
            self._wake()

    def responded(self, started: float) -> None:
        """A request started at `started` has its first workout now."""
        seconds = time.monotonic() - started
        if self.quickest is None or seconds < self.quickest:
            self.quickest = seconds
        if seconds > self.quickest * self.tolerance:
            self.overloaded(started)
            return
        step = 1.0 if self._slow_start else 1.0 / self.limit
        self.limit = min(float(self.ceiling), self.limit + step)
        self._wake()

    def overloaded(self, started: float) -> None:
        """The server said 429 or failed, or answered slowly, for a request sent at
        `started`: halve the limit, unless it was sent before the last halving."""
        if started < self._decreased_at:
            return
        self._slow_start = False
        self.limit = max(1.0, self.limit / 2)
        self._decreased_at = time.monotonic()

    def _wake(self) -> None:
        changed, self._changed = self._changed, anyio.Event()
        changed.set()
