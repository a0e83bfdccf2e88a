"""Plan Workout <-> template conversion: round trips, sports, units and totals."""

from __future__ import annotations

import datetime as dt
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.plans.models import Segment, Step, Target, Workout, WorkoutType
from coach.templates.convert import (
    estimate_totals,
    template_to_workout,
    workout_to_template,
)
from coach.templates.models import WorkoutTemplate
from tests.templates.sample_plans import BUILDERS, dist, sample_plan, sample_workout, seg, time

_RANGES = {
    "pace": (150.0, 1500.0),
    "heart_rate": (60.0, 210.0),
    "power": (50.0, 600.0),
    "speed": (0.5, 20.0),
    "rpe": (1.0, 10.0),
}


@st.composite
def targets(draw: st.DrawFn) -> Target | None:
    kind = draw(st.sampled_from([None, "open", *_RANGES]))
    if kind is None:
        return None
    if kind == "open":
        return Target(type="open")
    if kind != "rpe" and draw(st.booleans()):
        return Target(type=kind, zone=draw(st.integers(1, 7)))
    lo, hi = _RANGES[kind]
    value = st.floats(lo, hi, allow_nan=False)
    low, high = draw(
        st.one_of(st.tuples(value, value), st.tuples(value, st.none()), st.tuples(st.none(), value))
    )
    return Target(type=kind, low=low, high=high)


@st.composite
def steps(draw: st.DrawFn, intensities: list[str]) -> Step:
    dtype = draw(st.sampled_from(["time", "distance_meters", "open"]))
    value = None if dtype == "open" else draw(st.floats(1, 20000, allow_nan=False))
    return Step(
        intensity=draw(st.sampled_from(intensities)),
        duration_type=dtype,
        duration_value=value,
        target=draw(targets()),
        notes=draw(st.one_of(st.none(), st.text(min_size=1, max_size=40))),
    )


@st.composite
def workouts(draw: st.DrawFn) -> Workout:
    main = ["active", "interval", "recovery", "rest", "warmup", "cooldown"]
    segments = []
    if draw(st.booleans()):
        segments.append(
            Segment(kind="warmup", steps=draw(st.lists(steps(["warmup"]), min_size=1, max_size=2)))
        )
    for _ in range(draw(st.integers(1, 3))):
        body = draw(st.lists(steps(main), min_size=1, max_size=4))
        if {s.intensity for s in body} in ({"warmup"}, {"cooldown"}):
            body.append(Step(intensity="active", duration_type="open"))
        segments.append(Segment(kind="main", repeats=draw(st.integers(1, 100)), steps=body))
    if draw(st.booleans()):
        segments.append(
            Segment(kind="cooldown", steps=[Step(intensity="cooldown", duration_type="open")])
        )
    return Workout(
        week=draw(st.integers(1, 52)),
        day=draw(st.integers(1, 7)),
        title=draw(st.text(min_size=1, max_size=200)),
        phase="build",
        type=draw(st.sampled_from(get_args(WorkoutType))),
        description=draw(st.text(max_size=100)),
        duration=0,
        distance=0,
        segments=segments,
    )


@settings(max_examples=300, deadline=None)
@given(workouts(), st.sampled_from(["running", "cycling", "swimming", "triathlon"]))
def test_workout_template_workout_keeps_segments_repeats_durations_targets(
    workout: Workout, sport: str
) -> None:
    template = workout_to_template(workout, sport=sport)
    # Through JSON too: what the HTTP layer stores is what converts back.
    template = WorkoutTemplate.model_validate_json(template.model_dump_json())
    back = template_to_workout(
        template, week=workout.week, day=workout.day, phase="build", type=workout.type
    )
    assert back.segments == workout.segments
    assert (back.title, back.description, back.type) == (
        workout.title,
        workout.description,
        workout.type,
    )
    assert back.source == "library"


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_workout_type_round_trips_with_its_totals(kind: WorkoutType) -> None:
    workout = sample_workout(kind, sport="triathlon", date=dt.date(2027, 3, 1))
    template = workout_to_template(workout, sport="triathlon")
    back = template_to_workout(template, week=1, day=1, phase="base", date=workout.date)
    assert back.segments == workout.segments
    assert (back.duration, back.distance) == (workout.duration, workout.distance)
    assert back.date == dt.date(2027, 3, 1)


@pytest.mark.parametrize(
    ("kind", "plan_sport", "sport", "environment"),
    [
        ("easy-run", "running", "running", "outdoor"),
        ("tempo", "cycling", "biking", "outdoor"),
        ("intervals", "swimming", "swimming_swimming_pool", "pool"),
        ("sweet-spot", "triathlon", "biking", "outdoor"),
        # vo2max is the cycling name of VO2max work, in any plan.
        ("vo2max", "running", "biking", "outdoor"),
        ("endurance-swim", "triathlon", "swimming_swimming_pool", "pool"),
        ("tempo", "triathlon", "running", "outdoor"),
        ("strength", "running", "strength_training", "indoor"),
    ],
)
def test_sport_and_environment_follow_the_plan(
    kind: WorkoutType, plan_sport: str, sport: str, environment: str
) -> None:
    template = workout_to_template(sample_workout(kind), sport=plan_sport)
    assert (template.sport, template.environment) == (sport, environment)
    assert (template.pool_length_meters == 25.0) == (environment == "pool")


def test_repeats_become_fixed_repetition_and_targets_keep_their_units() -> None:
    template = workout_to_template(sample_workout("threshold", load=1.0), sport="running")
    wu, main, cd = template.step_blocks
    assert main.completion_condition.model_dump() == {"type": "fixed_repetition", "value": 3}
    assert wu.completion_condition.value == 1
    work, rest = main.steps
    assert (work.order, rest.order) == (1, 2)
    assert (work.duration_type, work.duration_value, work.intensity_type) == (
        "time",
        600,
        "interval",
    )
    # Pace stays in seconds per km, as the reference's "pace" target is.
    assert work.intensity_targets[0].model_dump() == {
        "target_type": "pace",
        "value": None,
        "value_low": 268,
        "value_high": 275,
    }
    # A zone is the target's lone value.
    assert rest.intensity_targets[0].model_dump(exclude_none=True) == {
        "target_type": "heart_rate",
        "value": 2,
    }


def test_a_single_value_from_a_client_is_a_zone_only_when_it_looks_like_one() -> None:
    body = {
        "name": "x",
        "sport": "running",
        "step_blocks": [
            {
                "completion_condition": {"type": "open"},
                "steps": [
                    {
                        "order": 1,
                        "duration_type": "time",
                        "duration_value": 60,
                        "intensity_type": "active",
                        "intensity_targets": [{"target_type": "heart_rate", "value": 150}],
                    },
                    {
                        "order": 2,
                        "duration_type": "time",
                        "duration_value": 60,
                        "intensity_type": "active",
                        "intensity_targets": [{"target_type": "power", "value": 4}],
                    },
                    {
                        "order": 3,
                        "duration_type": "time",
                        "duration_value": 60,
                        "intensity_type": "active",
                        "intensity_targets": [{"target_type": "rpe", "value": 6}],
                    },
                ],
            }
        ],
    }
    steps_ = (
        template_to_workout(WorkoutTemplate.model_validate(body), week=1, day=1, phase="base")
        .segments[0]
        .steps
    )
    assert [s.target for s in steps_] == [
        Target(type="heart_rate", low=150, high=150),
        Target(type="power", zone=4),
        Target(type="rpe", low=6, high=6),
    ]


def test_what_a_plan_step_cannot_hold_lands_in_its_notes() -> None:
    body = {
        "name": "Pool",
        "sport": "swimming_swimming_pool",
        "pool_length_meters": 25,
        "step_blocks": [
            {
                "completion_condition": {"type": "fixed_repetition", "value": 4},
                "steps": [
                    {
                        "order": 1,
                        "duration_type": "distance_meters",
                        "duration_value": 100,
                        "intensity_type": "active",
                        "notes": "smooth",
                        "swimming": {"stroke_type": "freestyle", "equipment": "swim_paddles"},
                        "intensity_targets": [
                            {"target_type": "cadence", "value_low": 50, "value_high": 60},
                            {"target_type": "pace", "value_low": 1100, "value_high": 1200},
                        ],
                    },
                    {
                        "order": 2,
                        "duration_type": "hr_less_than",
                        "duration_value": 120,
                        "intensity_type": "rest",
                    },
                    {
                        "order": 3,
                        "duration_type": "fixed_rest",
                        "duration_value": 20,
                        "intensity_type": "rest",
                    },
                ],
            }
        ],
    }
    workout = template_to_workout(
        WorkoutTemplate.model_validate(body), week=2, day=3, phase="build"
    )
    swim, until_hr, rest = workout.segments[0].steps
    assert swim.target == Target(type="pace", low=1100, high=1200)
    assert swim.notes == "smooth; freestyle; swim paddles; cadence 50-60 rpm"
    assert (until_hr.duration_type, until_hr.notes) == ("open", "until HR below 120 bpm")
    assert (rest.duration_type, rest.duration_value) == ("time", 20)
    assert workout.segments[0].repeats == 4
    assert workout.type == "swim-intervals"


def test_time_and_distance_thresholds_become_repeat_counts() -> None:
    block = {
        "steps": [
            {
                "order": 1,
                "duration_type": "time",
                "duration_value": 60,
                "intensity_type": "interval",
            },
            {
                "order": 2,
                "duration_type": "time",
                "duration_value": 60,
                "intensity_type": "recovery",
            },
        ]
    }
    body = {
        "name": "x",
        "sport": "biking",
        "step_blocks": [
            {**block, "completion_condition": {"type": "time_threshold", "value": 1150}},
            {**block, "completion_condition": {"type": "hr_above", "value": 170}},
        ],
    }
    workout = template_to_workout(WorkoutTemplate.model_validate(body), week=1, day=1, phase="base")
    assert [s.repeats for s in workout.segments] == [10, 1]  # ceil(1150 / 120)


def test_totals_sum_repeats_times_steps_with_documented_speeds() -> None:
    segments = [
        seg("warmup", time(600, "warmup")),  # 600 s at 6:00/km -> 1667 m
        seg(
            "main",
            dist(1000, "interval", Target(type="pace", low=240, high=260)),
            time(60, "rest"),
            repeats=5,
        ),  # 5 x (1000 m in 250 s + 60 s standing)
    ]
    assert estimate_totals(segments, "running") == (600 + 5 * 310, 1667 + 5000)
    ride = [seg("main", time(3600, target=Target(type="power", low=200, high=220)))]
    assert estimate_totals(ride, "biking") == (3600, 25000)
    assert estimate_totals(
        [seg("main", Step(intensity="active", duration_type="open"))], "running"
    ) == (0, 0)


def test_a_52_week_plan_converts_both_ways() -> None:
    plan = sample_plan(52, sport="triathlon")
    for workout in plan:
        template = workout_to_template(workout, sport="triathlon")
        back = template_to_workout(
            template,
            week=workout.week,
            day=workout.day,
            phase=workout.phase,
            date=workout.date,
            type=workout.type,
        )
        assert back.segments == workout.segments
        assert (back.duration, back.distance) == (workout.duration, workout.distance)


def test_a_workout_without_segments_still_makes_a_valid_template() -> None:
    rest_day = Workout(
        week=1,
        day=5,
        title="Mobility",
        phase="base",
        type="strength",
        description="20 min of stretching",
        duration=1200,
        distance=0,
    )
    template = workout_to_template(rest_day, sport="running")
    [block] = template.step_blocks
    assert block.steps[0].duration_type == "open"
    assert block.steps[0].notes == "20 min of stretching"
