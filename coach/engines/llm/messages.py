"""What a week's writer reports to the plan: workouts, warnings, the week's end or failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coach.engines.base import EngineError
from coach.plans.models import Workout


@dataclass(frozen=True)
class WeekWorkout:
    """A workout of the week, accepted and ready to go out (in the week's day order)."""

    week: int
    workout: Workout


@dataclass(frozen=True)
class WeekWarning:
    week: int
    message: str


@dataclass(frozen=True)
class WeekFinished:
    """All of the week's workouts have been reported."""

    week: int


@dataclass(frozen=True)
class WeekFailed:
    week: int
    error: EngineError


WeekMessage = WeekWorkout | WeekWarning | WeekFinished | WeekFailed
Report = Callable[[WeekMessage], None]
