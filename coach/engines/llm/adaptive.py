"""Adaptive (AIMD) concurrency for a plan's weeks: as many at once as the budget allows,
fewer while the LLM server pushes back.

The limit starts at its ceiling: `COACH_LLM_CONCURRENCY` weeks of one plan, never more
than the LLM budget (`COACH_LLM_BUDGET`). A 429, a server error, a timeout, or a week's
first workout arriving more than `tolerance` times (and `slack_s` seconds) later than the
quickest one seen so far halves it (multiplicative decrease), once per round: requests
sent before the last decrease do not count against the new limit. Each week sent since
the last decrease whose first workout comes in time adds 1/limit (additive increase:
about one more week at once per round), back up to the ceiling. The budget
(coach.engines.llm.budget) still caps every request of the process or deployment.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio


class AdaptiveLimit:
    def __init__(self, ceiling: int, *, tolerance: float = 2.0, slack_s: float = 0.25) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = float(self.ceiling)
        self.tolerance = tolerance
        self.slack_s = slack_s
        self.quickest: float | None = None
        self.in_flight = 0
        self.peak = 0
        self.decreases = 0
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
        if seconds > self.quickest * self.tolerance + self.slack_s:
            self.overloaded(started)
            return
        if started < self._decreased_at:
            return  # sent at the old limit: says nothing about the new one
        self.limit = min(float(self.ceiling), self.limit + 1.0 / self.limit)
        self._wake()

    def overloaded(self, started: float) -> None:
        """The server said 429 or failed, or answered slowly, for a request sent at
        `started`: halve the limit, unless it was sent before the last halving."""
        if started < self._decreased_at:
            return
        self.limit = max(1.0, self.limit / 2)
        self.decreases += 1
        self._decreased_at = time.monotonic()

    def _wake(self) -> None:
        changed, self._changed = self._changed, anyio.Event()
        changed.set()
