"""Instructions the built-in engine reads, and what they change in the plan."""

from __future__ import annotations

from builtin_helpers import MakeCtx

from coach.engines.builtin import parse_instructions
from coach.engines.builtin.draft import generate
from coach.plans.models import HARD_TYPES


def test_days_per_week() -> None:
    assert parse_instructions("4 days per week").days_per_week == 4
    assert parse_instructions("I can run three times a week").days_per_week == 3
    assert parse_instructions("train 5x per week").days_per_week == 5
    assert parse_instructions("Include two track sessions per week").days_per_week is None


def test_days_off() -> None:
    assert parse_instructions("no training on Mondays").days_off == {0}
    assert parse_instructions("Rest on Friday.").days_off == {4}
    both = parse_instructions("no running on Monday, Friday; long run on Saturdays")
    assert both.days_off == {0, 4} and both.long_day == 5


def test_race_on_the_last_day() -> None:
    assert parse_instructions("marathon on the last day").race.distance_m == 42195
    assert parse_instructions("half marathon race").race.name == "half marathon"
    assert parse_instructions("a 10k race at the end").race.distance_m == 10000
    assert parse_instructions("tempo runs at marathon pace").race is None


def test_track_sessions() -> None:
    asked = parse_instructions("Include two track sessions per week")
    assert (asked.quality_per_week, asked.quality_type) == (2, "intervals")


def test_plan_follows_days_per_week_and_days_off(make_ctx: MakeCtx) -> None:
    # 2025-03-03 is a Monday, so day 1 is Monday and day 5 is Friday.
    ctx = make_ctx(
        start_date="2025-03-03",
        instructions="4 days per week, no training on Mondays, rest on Friday",
    )
    workouts = [s.final for s in generate(ctx).slots]
    for week in range(1, 13):
        days = [w.day for w in workouts if w.week == week]
        assert len(days) == 4
        assert 1 not in days and 5 not in days
    assert all(w.date.weekday() not in (0, 4) for w in workouts)


def test_days_off_follow_the_start_weekday(make_ctx: MakeCtx) -> None:
    # 2025-03-05 is a Wednesday: Mondays are day 6.
    workouts = [
        s.final
        for s in generate(
            make_ctx(start_date="2025-03-05", instructions="no training on Mondays")
        ).slots
    ]
    assert all(w.day != 6 for w in workouts)


def test_race_is_on_the_last_day(make_ctx: MakeCtx) -> None:
    workouts = [
        s.final
        for s in generate(
            make_ctx(
                weeks=8, instructions="half marathon race", athlete={"threshold_pace_s_per_km": 300}
            )
        ).slots
    ]
    races = [w for w in workouts if w.type == "race"]
    assert len(races) == 1 and (races[0].week, races[0].day) == (8, 7)
    assert races[0].distance >= 21098 and workouts[-1] is races[0]


def test_two_track_sessions_per_week(make_ctx: MakeCtx) -> None:
    workouts = [
        s.final
        for s in generate(
            make_ctx(
                weeks=12,
                experience_level="beginner",
                instructions="Include two track sessions per week",
            )
        ).slots
    ]
    for week in (1, 2, 3, 5, 6, 7):
        kinds = [w.type for w in workouts if w.week == week and w.type in HARD_TYPES]
        assert kinds == ["intervals", "intervals"], (week, kinds)
