"""The events an engine yields, and the plan a run of plan events adds up to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from coach.plans.models import WeekInfo, Workout
from coach.plans.requests import PlanRequest, PlanResponse, echo


@dataclass(frozen=True)
class DraftProgress:
    status: str
    message: str
    progress: int
    type: Literal["draft_progress"] = "draft_progress"


@dataclass(frozen=True)
class DraftText:
    """A piece of the draft text, in order; the draft is the concatenation of all pieces."""

    text: str
    type: Literal["draft_text"] = "draft_text"


@dataclass(frozen=True)
class WorkoutReady:
    workout: Workout
    type: Literal["workout"] = "workout"


@dataclass(frozen=True)
class WeekDone:
    week: int
    info: WeekInfo
    type: Literal["week_done"] = "week_done"


@dataclass(frozen=True)
class PlanWarning:
    """A draft line the engine could not read, or a day it could not fill."""

    message: str
    type: Literal["warning"] = "warning"


@dataclass(frozen=True)
class PlanTotal:
    """How many workouts the plan will have: always the first event of a plan."""

    total: int
    type: Literal["total"] = "total"


DraftEvent = DraftProgress | DraftText
PlanEvent = WorkoutReady | WeekDone | PlanWarning | PlanTotal


def week_events(events: list[PlanEvent], week: int) -> list[PlanEvent]:
    """A whole plan's events narrowed to one week's: its total first, its workouts, its
    WeekDone, and the warnings."""
    kept: list[PlanEvent] = [
        e
        for e in events
        if isinstance(e, PlanWarning)
        or (isinstance(e, WorkoutReady) and e.workout.week == week)
        or (isinstance(e, WeekDone) and e.week == week)
    ]
    total = sum(isinstance(e, WorkoutReady) for e in kept)
    return [PlanTotal(total), *kept]


@dataclass
class PlanAccumulator:
    """Adds an engine's plan events up to the plan they describe."""

    workouts: list[Workout] = field(default_factory=list)
    weekly_info: dict[int, WeekInfo] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    total: int | None = None

    def apply(self, event: PlanEvent) -> None:
        if isinstance(event, WorkoutReady):
            self.workouts.append(event.workout)
        elif isinstance(event, WeekDone):
            self.weekly_info[event.week] = event.info
        elif isinstance(event, PlanWarning):
            self.warnings.append(event.message)
        elif isinstance(event, PlanTotal):
            self.total = event.total

    def response(
        self, *, plan_id: uuid.UUID, principle_text: str, request: PlanRequest
    ) -> PlanResponse:
        return PlanResponse(
            plan_id=plan_id,
            content=self.workouts,
            weekly_info={str(k): v for k, v in sorted(self.weekly_info.items())},
            training_principle=principle_text,
            request=echo(request),
            warnings=self.warnings,
        )
