"""Every title the built-in engine writes says what its steps do: "Intervals 6x800m @ 3:45/km"
holds six 800 m reps at 3:45/km, "Progression run, last 10 min @ Z3" closes with exactly 10
minutes at zone 3 (and no more), for every workout type, level and sport."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest
from builtin_helpers import THRESHOLDS, build_ctx

from coach.engines.builtin import build_plan, write_draft
from coach.engines.builtin.planner import DayPlan, plan_weeks, realize, settings_from
from coach.plans.models import Workout, WorkoutType
from coach.plans.sports import sport_of
from tests.support.draft_edits import Line, Title, _effort, _fields

LEVELS = ("beginner", "intermediate", "advanced")
SPORTS = ("running", "cycling", "swimming", "triathlon")


def _mismatches(workout: Workout) -> list[tuple[str, str, str]]:
    title = Title.read(workout.title)
    line = Line(workout.week, workout.day, workout.type, title, None, None)
    found = _fields(line, workout, workout.phase)
    if title.last:
        # "last 10 min @ Z3": the step before the closing block is at another effort.
        steps = [st for s in workout.segments if s.kind == "main" for st in s.steps]
        if len(steps) > 1 and _effort(steps[-2].target) == _effort(steps[-1].target):
            found.append(("last", title.size or "", "a longer closing block"))
    return found


@pytest.mark.parametrize("sport", SPORTS)
@pytest.mark.parametrize("level", LEVELS)
def test_every_type_title_matches_its_steps(level: str, sport: str) -> None:
    for thresholds in (False, True):
        ctx = build_ctx(
            weeks=12,
            experience_level=level,
            sport=sport,
            athlete=THRESHOLDS if thresholds else None,
            instructions="half marathon race on the last day",
        )
        settings = settings_from(ctx)
        weeks = plan_weeks(settings)
        for kind, minutes, week in itertools.product(
            get_args(WorkoutType), (30, 45, 60, 90), (weeks[0], weeks[len(weeks) // 2])
        ):
            day = DayPlan(week.frame.week, 2, kind, sport_of(kind, sport), minutes * 60)
            workout = realize(settings, week, day)
            assert _mismatches(workout) == [], (kind, minutes, workout.title)


@pytest.mark.parametrize("principle", ["polarized", "lydiard", "daniels", "pyramidal"])
def test_every_generated_plan_title_matches_its_steps(principle: str) -> None:
    for level, sport in itertools.product(LEVELS, SPORTS):
        ctx = build_ctx(
            principle=principle,
            weeks=16,
            experience_level=level,
            sport=sport,
            athlete=THRESHOLDS,
            instructions="race on the last day",
        )
        for workout in build_plan(ctx, write_draft(ctx)).workouts:
            assert _mismatches(workout) == [], workout.title
