"""The coach's draft is law: a plan from an edited built-in draft is the edit, field for
field (minutes, km, reps, rep length, pace, zone, day, phase), or a warning names the line,
the field, the number written and the number planned. Property-based (hypothesis)."""

from __future__ import annotations

from functools import lru_cache

import pytest
from builtin_helpers import THRESHOLDS, build_ctx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.engines.base import GenerationContext
from coach.engines.builtin import build_plan
from tests.support.draft_edits import Draft, check_plan, edit, from_builtin

LEVELS = ("beginner", "intermediate", "advanced")
SPORTS = ("running", "cycling", "swimming", "triathlon")


@lru_cache(maxsize=64)
def _ctx(level: str, sport: str, thresholds: bool, weeks: int) -> GenerationContext:
    return build_ctx(
        weeks=weeks,
        experience_level=level,
        sport=sport,
        athlete=THRESHOLDS if thresholds else None,
        start_date="2026-01-07",
    )


def _fresh(ctx: GenerationContext) -> Draft:
    return from_builtin(ctx)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    level=st.sampled_from(LEVELS),
    sport=st.sampled_from(SPORTS),
    thresholds=st.booleans(),
    weeks=st.integers(2, 4),
    data=st.data(),
)
def test_the_plan_is_the_edited_draft_or_says_where_not(
    level: str, sport: str, thresholds: bool, weeks: int, data: st.DataObject
) -> None:
    ctx = _ctx(level, sport, thresholds, weeks)
    draft = _fresh(ctx)
    done = [edit(data.draw, draft) for _ in range(data.draw(st.integers(1, 8)))]
    if not draft.lines:
        return  # a draft with no line is refused: tests/api/test_generation.py
    built = build_plan(ctx, draft.render())
    report = check_plan(draft, built.workouts, built.warnings)
    assert report.unexplained == [], (done, report.unexplained, built.warnings)


@pytest.mark.parametrize("sport", SPORTS)
@pytest.mark.parametrize("thresholds", [False, True])
def test_sensible_edits_are_kept_exactly(sport: str, thresholds: bool) -> None:
    """Edits a coach makes every day change nothing else and need no warning."""
    ctx = _ctx("intermediate", sport, thresholds, 4)
    draft = _fresh(ctx)
    for line in draft.lines[::3]:
        line.seconds = (line.seconds or 3600) + 600
    for line in draft.lines[1::3]:
        if line.title.reps is not None and line.title.reps > 2:
            line.title.reps -= 1
        if line.title.effort is not None and line.title.effort.startswith("Z"):
            line.title.effort = "Z4"
    moved = draft.lines[2]
    taken = {line.day for line in draft.lines if line.week == moved.week}
    moved.day = min(set(range(1, 8)) - taken)
    draft.weeks[1].phase = "recovery"
    built = build_plan(ctx, draft.render())
    report = check_plan(draft, built.workouts, built.warnings)
    assert report.differences == [], report.differences
    assert not [w for w in built.warnings if w.startswith("line")], built.warnings
