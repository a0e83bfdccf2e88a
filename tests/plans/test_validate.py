"""The coaching-rule validator finds each kind of broken rule, with week and day."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.plans.models import Segment, Step, Target, Workout
from coach.plans.validate import Violation, segment_totals, step_amounts, validate_plan
from coach.principles import PrincipleRules, default_principle


@pytest.fixture
def rules() -> PrincipleRules:
    return default_principle().rules


def _run(
    week: int, day: int, kind: str = "easy-run", minutes: int = 40, pace: int = 360, **extra: object
) -> Workout:
    seconds = minutes * 60
    step = Step(
        intensity="active",
        duration_type="time",
        duration_value=seconds,
        target=Target(type="pace", low=pace - 10, high=pace + 10),
    )
    fields = {
        "week": week,
        "day": day,
        "title": kind,
        "phase": "base",
        "type": kind,
        "duration": seconds,
        "distance": round(seconds * 1000 / pace),
        "segments": [Segment(kind="main", steps=[step])],
    }
    fields.update(extra)
    return Workout(**fields)


def _week(week: int, scale: float = 1.0) -> list[Workout]:
    return [
        _run(week, 1, minutes=round(40 * scale)),
        _run(week, 3, "intervals"),
        _run(week, 5, minutes=round(45 * scale)),
        _run(week, 7, "long-run", round(50 * scale)),
    ]


def _rules_of(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def test_good_plan_has_no_violations(rules: PrincipleRules) -> None:
    plan = _week(1) + _week(2, 1.05)
    assert validate_plan(plan, weeks=2, rules=rules, level="intermediate") == []


def test_step_amounts_use_the_pace_midpoint() -> None:
    step = Step(
        intensity="active",
        duration_type="distance_meters",
        duration_value=1000,
        target=Target(type="pace", low=290, high=310),
    )
    assert step_amounts(step) == (300, 1000)
    blind = Step(
        intensity="active",
        duration_type="time",
        duration_value=600,
        target=Target(type="heart_rate", zone=2),
    )
    assert step_amounts(blind) == (600, None)
    seg = Segment(kind="main", repeats=4, steps=[step, blind])
    assert segment_totals([seg]) == (3600, 4000, True, False)


def test_missing_week_and_ranges(rules: PrincipleRules) -> None:
    found = validate_plan(_week(1) + _week(3), weeks=3, rules=rules)
    assert [(v.week, v.rule) for v in found] == [(2, "week-missing")]
    found = validate_plan(_week(1) + [_run(1, 1)] + [_run(2, 2)], weeks=1, rules=rules)
    assert {("one-per-day", 1, 1), ("week-range", 2, 2)} <= {(v.rule, v.week, v.day) for v in found}


def test_back_to_back_hard_days_across_weeks(rules: PrincipleRules) -> None:
    plan = [_run(1, 1), _run(1, 7, "tempo"), _run(2, 1, "intervals"), _run(2, 4)]
    found = validate_plan(plan, weeks=2, rules=rules)
    assert [(v.week, v.day, v.rule) for v in found] == [(2, 1, "back-to-back-hard")]
    assert str(found[0]).startswith("week 2 day 1: back-to-back-hard:")


def test_wrong_segment_totals(rules: PrincipleRules) -> None:
    plan = _week(1)
    plan[0] = plan[0].model_copy(update={"duration": plan[0].duration + 600})
    plan[2] = plan[2].model_copy(update={"distance": plan[2].distance + 500})
    plan[1] = plan[1].model_copy(update={"segments": []})
    found = validate_plan(plan, weeks=1, rules=rules)
    assert {(v.day, v.rule) for v in found} >= {
        (1, "segment-totals"),
        (5, "segment-totals"),
        (3, "segments"),
    }


def test_dates_must_follow_start_date(rules: PrincipleRules) -> None:
    start = dt.date(2025, 3, 3)
    plan = [w.model_copy(update={"date": start + dt.timedelta(days=w.day - 1)}) for w in _week(1)]
    assert validate_plan(plan, weeks=1, rules=rules, start_date=start) == []
    plan[1] = plan[1].model_copy(update={"date": start})
    found = validate_plan(plan, weeks=1, rules=rules, start_date=start)
    assert [(v.day, v.rule) for v in found] == [(3, "date")]
    undated = validate_plan(_week(1), weeks=1, rules=rules, start_date=start)
    assert len(undated) == 4


def test_implausible_durations(rules: PrincipleRules) -> None:
    plan = [_run(1, 1, minutes=5), _run(1, 3, minutes=300), _run(1, 5, "race", minutes=300)]
    found = validate_plan(plan, weeks=1, rules=rules)
    assert [(v.day, v.rule) for v in found if v.rule == "duration"] == [
        (1, "duration"),
        (3, "duration"),
    ]


def test_long_run_share_and_minutes(rules: PrincipleRules) -> None:
    plan = [_run(1, 2), _run(1, 4), _run(1, 7, "long-run", 160)]
    found = validate_plan(plan, weeks=1, rules=rules)
    assert {"long-run-share", "long-run-minutes"} <= _rules_of(found)


def test_weekly_increase_and_recovery_return(rules: PrincipleRules) -> None:
    jump = validate_plan(_week(1) + _week(2, 1.3), weeks=2, rules=rules)
    assert [(v.week, v.rule) for v in jump] == [(2, "weekly-increase")]
    # A recovery week and the return to the level before it are fine.
    wave = _week(1) + _week(2, 0.7) + _week(3, 1.05)
    assert validate_plan(wave, weeks=3, rules=rules) == []


def test_quality_days_per_level_and_override(rules: PrincipleRules) -> None:
    plan = [_run(1, 1, "intervals"), _run(1, 3, "tempo"), _run(1, 5), _run(1, 7, "race")]
    assert _rules_of(validate_plan(plan, weeks=1, rules=rules, level="beginner")) == {
        "quality-days"
    }
    assert validate_plan(plan, weeks=1, rules=rules, level="intermediate") == []
    assert validate_plan(plan, weeks=1, rules=rules, level="beginner", max_quality=2) == []
