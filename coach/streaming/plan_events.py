"""Turns a plan engine's events into the plan stream's SSE events, in the documented order.

The translation is deterministic: feeding it a stored plan reproduces the live stream
event for event, which is how `GET /v1/coach/plans/{id}/stream` replays finished plans.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from coach.engines.events import PlanAccumulator, PlanEvent, PlanTotal, WeekDone, WorkoutReady
from coach.plans.models import WeekInfo, Workout
from coach.plans.weeks import by_week
from coach.streaming.events import DONE, PlanStreamResult, Progress, StreamEvent


class PlanStreamTranslator:
    """`incremental=True` for generate-plan/stream, False for the batch stream."""

    def __init__(self, plan_id: uuid.UUID, *, incremental: bool) -> None:
        self.plan_id = plan_id
        self.incremental = incremental
        self.plan = PlanAccumulator()

    def _progress(self, status: str, message: str) -> StreamEvent:
        count = len(self.plan.workouts)
        total = self.plan.total or 0
        percent = 100 if total and count >= total else int(100 * count / total) if total else 0
        return StreamEvent.of(
            "progress",
            Progress(
                status=status,
                message=message,
                count=count,
                total=total,
                progress=percent,
                plan_id=self.plan_id if status == "started" else None,
            ),
        )

    def on_event(self, event: PlanEvent) -> list[StreamEvent]:
        self.plan.apply(event)
        if isinstance(event, PlanTotal):
            return [self._progress("started", f"generating {event.total} workouts")]
        if isinstance(event, WorkoutReady):
            w = event.workout
            out = [StreamEvent.of("workout", w)] if self.incremental else []
            out.append(self._progress("generating", f"week {w.week} day {w.day}: {w.title}"))
            return out
        if isinstance(event, WeekDone) and self.incremental:
            return [StreamEvent.of("weekly_info", {str(event.week): event.info.model_dump()})]
        return []

    def result(self) -> StreamEvent:
        return StreamEvent.of(
            "result",
            PlanStreamResult(
                total_workouts=len(self.plan.workouts),
                weekly_info={str(k): v for k, v in sorted(self.plan.weekly_info.items())},
                plan_id=self.plan_id,
                warnings=self.plan.warnings,
            ),
        )


def replay_events(
    plan_id: uuid.UUID,
    workouts: list[Workout],
    weekly_info: dict[int, WeekInfo],
    warnings: list[str],
) -> Iterator[StreamEvent]:
    """The incremental stream of a stored, complete plan."""
    translator = PlanStreamTranslator(plan_id, incremental=True)
    yield from translator.on_event(PlanTotal(len(workouts)))
    weeks = by_week(workouts)
    for week in sorted(set(weeks) | set(weekly_info)):
        for workout in weeks.get(week, []):
            yield from translator.on_event(WorkoutReady(workout))
        if week in weekly_info:
            yield from translator.on_event(WeekDone(week, weekly_info[week]))
    translator.plan.warnings = list(warnings)
    yield translator.result()
    yield DONE
