"""Engines for stream failure tests, registered under test-only names and removed after."""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager

import anyio

from coach.engines import registry
from coach.engines.base import (
    DraftContext,
    DraftEvent,
    DraftText,
    EngineError,
    PlanContext,
    PlanEngine,
    PlanEvent,
    PlanTotal,
    WeekDone,
    WorkoutReady,
)
from coach.plans.models import Segment, Step, WeekInfo, Workout
from coach.settings import Settings


def easy_run(week: int, day: int) -> Workout:
    return Workout(
        week=week,
        day=day,
        title="Easy run",
        phase="base",
        type="easy-run",
        duration=1800,
        distance=5000,
        source="ai",
        segments=[
            Segment(
                kind="main",
                steps=[Step(intensity="active", duration_type="time", duration_value=1800)],
            )
        ],
    )


class ScriptedEngine(PlanEngine):
    """Yields `per_week` easy runs a week, pausing `delay` seconds before each; can fail."""

    name = "scripted"

    def __init__(
        self, *, delay: float = 0.0, fail_after: int | None = None, per_week: int = 2
    ) -> None:
        self.delay = delay
        self.fail_after = fail_after
        self.per_week = per_week
        self.closed = threading.Event()
        self.sent = 0

    async def draft(self, ctx: DraftContext) -> AsyncGenerator[DraftEvent, None]:
        for week in range(1, ctx.request.weeks + 1):
            await anyio.sleep(self.delay)
            if self.fail_after is not None and week > self.fail_after:
                raise EngineError("the model stopped answering")
            yield DraftText(f"Week {week}\nW{week} D1 Easy run, 30 min, 5.0 km\n")

    async def plan(self, ctx: PlanContext) -> AsyncGenerator[PlanEvent, None]:
        request = ctx.request
        try:
            yield PlanTotal(request.weeks * self.per_week)
            for week in range(1, request.weeks + 1):
                for day in range(1, self.per_week + 1):
                    await anyio.sleep(self.delay)
                    if self.fail_after is not None and self.sent >= self.fail_after:
                        raise EngineError("invalid output after 3 attempts")
                    self.sent += 1
                    yield WorkoutReady(easy_run(week, day * 2))
                yield WeekDone(week, WeekInfo(phase="base", focus="aerobic", total_distance=10000))
        finally:
            self.closed.set()


@contextmanager
def registered(engine: PlanEngine, name: str) -> Iterator[str]:
    async def factory(_settings: Settings) -> PlanEngine:
        return engine

    registry.register(name, factory)
    try:
        yield name
    finally:
        registry.unregister(name)
