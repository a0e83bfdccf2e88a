"""A plan's coaching report: the coaching rules it breaks, as `coach lint` checks them.

`coach lint` and the editor API share `coaching_report`, so a warning an editor shows
inline is the one the command prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from coach.plans.instructions import parse_instructions
from coach.plans.models import Workout
from coach.plans.validate import Violation, validate_plan
from coach.principles import Principle, default_principle, load_builtin

LEVELS = ("beginner", "intermediate", "advanced")


class CoachingReport(BaseModel):
    """The coaching rules a plan breaks (the rules `coach lint` checks)."""

    principle: str = Field(description="The principle whose rules were checked.")
    weeks: int = Field(description="The plan length checked against.")
    violations: list[Violation]


def stored_principle(stored: object, directory: Path) -> Principle:
    """The principle of a stored plan: a built-in recognized by its name or its text (a
    plan stores the text), else the default principle."""
    builtins = load_builtin(directory)
    if isinstance(stored, str):
        for principle in builtins.values():
            if stored.strip() in (principle.name, principle.text.strip()):
                return principle
    return default_principle(directory)


def plan_weeks(request: Mapping[str, Any], workouts: Sequence[Workout]) -> int:
    """The plan length: the request's `weeks`, else the highest week in the plan."""
    weeks = request.get("weeks")
    if isinstance(weeks, int) and not isinstance(weeks, bool) and weeks >= 1:
        return weeks
    return max((w.week for w in workouts), default=0)


def _max_quality(request: Mapping[str, Any], rules_quality: int) -> int | None:
    instructions = request.get("instructions")
    if not isinstance(instructions, str):
        return None
    # Read the instructions the way the built-in engine does.
    asked = parse_instructions(instructions).quality_per_week
    return max(asked, rules_quality) if asked else None


def _start_date(request: Mapping[str, Any]) -> dt.date | None:
    value = request.get("start_date")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def coaching_report(
    workouts: Sequence[Workout],
    *,
    request: Mapping[str, Any],
    principle: Principle,
    weeks: int,
    level: str | None = None,
) -> CoachingReport:
    """Check `workouts` (a plan of `weeks` weeks made for `request`) against the rules of
    `principle`; `level` overrides the request's experience level."""
    level = level or request.get("experience_level")
    if level not in LEVELS:
        level = None
    rules = principle.rules
    violations = validate_plan(
        workouts,
        weeks=weeks,
        rules=rules,
        level=level,
        start_date=_start_date(request),
        max_quality=_max_quality(request, rules.quality_days.for_level(level)),
    )
    return CoachingReport(principle=rules.name, weeks=weeks, violations=violations)
