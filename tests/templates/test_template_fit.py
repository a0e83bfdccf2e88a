"""FIT workout export, read back with Garmin's official SDK (garmin_fit_sdk), not fit-tool."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from garmin_fit_sdk import Decoder, Stream
from hypothesis import given, settings

from coach.plans.models import Target, Workout, WorkoutType
from coach.templates.convert import workout_to_template
from coach.templates.fit import encode_fit, template_to_fit
from coach.templates.models import WorkoutTemplate
from tests.templates.sample_plans import BUILDERS, sample_plan, sample_workout
from tests.templates.test_template_convert import workouts


def decode(data: bytes) -> dict[str, list[dict[str, Any]]]:
    stream = Stream.from_byte_array(bytearray(data))
    decoder = Decoder(stream)
    assert decoder.is_fit() and decoder.check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages


def expected_target(target: Target | None) -> dict[str, Any]:
    """The raw FIT fields a plan Target must become, computed from FIT's documented units."""
    if target is None or target.type in ("open", "rpe"):
        return {"target_type": "open"}
    fit_type = {"pace": "speed", "speed": "speed", "heart_rate": "heart_rate", "power": "power"}[
        target.type
    ]
    if target.zone is not None and target.low is None and target.high is None:
        return {"target_type": fit_type, "target_value": target.zone}
    low = target.low if target.low is not None else target.high
    high = target.high if target.high is not None else target.low
    assert low is not None and high is not None
    low, high = min(low, high), max(low, high)
    if target.type == "pace":  # s/km -> mm/s, the slower pace being the lower speed
        low, high = 1000 / high, 1000 / low
    scale, offset = {"speed": (1000, 0), "heart_rate": (1, 100), "power": (1, 1000)}[fit_type]
    return {
        "target_type": fit_type,
        "target_value": 0,
        "custom_target_value_low": round(low * scale) + offset,
        "custom_target_value_high": round(high * scale) + offset,
    }


def expected_steps(workout: Workout) -> list[dict[str, Any]]:
    """The flat FIT step list a workout must become: its steps, then a repeat step per set."""
    out: list[dict[str, Any]] = []
    for segment in workout.segments:
        first = len(out)
        for step in segment.steps:
            row: dict[str, Any] = {"intensity": step.intensity}
            if step.duration_type == "open":
                row["duration_type"] = "open"
            elif step.duration_type == "time":
                row |= {
                    "duration_type": "time",
                    "duration_value": round((step.duration_value or 0) * 1000),
                }
            else:
                row |= {
                    "duration_type": "distance",
                    "duration_value": round((step.duration_value or 0) * 100),
                }
            out.append(row | expected_target(step.target))
        if segment.repeats > 1:
            out.append(
                {
                    "duration_type": "repeat_until_steps_cmplt",
                    "duration_value": first,
                    "target_type": "open",
                    "target_value": segment.repeats,
                }
            )
    return out


def actual_steps(messages: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    keys = (
        "intensity",
        "duration_type",
        "duration_value",
        "target_type",
        "target_value",
        "custom_target_value_low",
        "custom_target_value_high",
    )
    steps = messages["workout_step_mesgs"]
    assert [m["message_index"] for m in steps] == list(range(len(steps)))
    rows = []
    for m in steps:
        row = {k: m[k] for k in keys if k in m}
        if row["target_type"] == "open" and row["duration_type"] != "repeat_until_steps_cmplt":
            row.pop("target_value", None)  # meaningless without a target
        rows.append(row)
    return rows


def check(workout: Workout, data: bytes, sport: str, sub_sport: str) -> None:
    messages = decode(data)
    [file_id] = messages["file_id_mesgs"]
    assert file_id["type"] == "workout"
    [wkt] = messages["workout_mesgs"]
    # FIT strings are NUL-terminated and at most 254 bytes.
    name = workout.title.replace("\x00", "").encode()[:254].decode(errors="ignore")
    assert (wkt["sport"], wkt["sub_sport"], wkt.get("wkt_name")) == (sport, sub_sport, name or None)
    want = expected_steps(workout)
    assert wkt["num_valid_steps"] == len(want)
    got = actual_steps(messages)
    for g in got:  # speeds are written in whole mm/s; allow the last digit to round
        for key in ("custom_target_value_low", "custom_target_value_high"):
            g.setdefault(key, None)
    for w in want:
        for key in ("custom_target_value_low", "custom_target_value_high"):
            w.setdefault(key, None)
    assert got == want


FIT_SPORT = {
    "running": ("running", "generic"),
    "biking": ("cycling", "generic"),
    "swimming_swimming_pool": ("swimming", "lap_swimming"),
    "strength_training": ("training", "strength_training"),
}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_workout_type_decodes_equal_to_the_source(kind: WorkoutType) -> None:
    workout = sample_workout(kind, sport="triathlon", load=1.3)
    template = workout_to_template(workout, sport="triathlon")
    check(workout, template_to_fit(template), *FIT_SPORT[template.sport])


def test_bike_power_workout_in_fit_units() -> None:
    workout = sample_workout("vo2max", sport="cycling", load=1.0)
    messages = decode(template_to_fit(workout_to_template(workout, sport="cycling")))
    wu, work, rest, repeat, cd = messages["workout_step_mesgs"]
    assert (work["duration_type"], work["duration_value"]) == ("time", 180_000)
    assert work["target_type"] == "power"
    # 290-310 W are written with FIT's +1000 offset (raw <= 1000 would mean % FTP).
    assert (work["custom_target_value_low"], work["custom_target_value_high"]) == (1290, 1310)
    assert (repeat["duration_type"], repeat["duration_value"], repeat["target_value"]) == (
        "repeat_until_steps_cmplt",
        1,
        5,
    )
    assert (cd["target_type"], cd["target_value"]) == ("power", 1)  # zone 1


def test_pool_swim_with_strokes_equipment_and_pool_length() -> None:
    template = WorkoutTemplate.model_validate(
        {
            "name": "Pool 10x100",
            "sport": "swimming_swimming_pool",
            "pool_length_meters": 25,
            "step_blocks": [
                {
                    "completion_condition": {"type": "fixed_repetition", "value": 1},
                    "steps": [
                        {
                            "order": 1,
                            "duration_type": "distance_meters",
                            "duration_value": 200,
                            "intensity_type": "warmup",
                            "swimming": {"stroke_type": "backstroke"},
                        }
                    ],
                },
                {
                    "completion_condition": {"type": "fixed_repetition", "value": 10},
                    "steps": [
                        {
                            "order": 1,
                            "duration_type": "distance_meters",
                            "duration_value": 100,
                            "intensity_type": "interval",
                            "swimming": {"stroke_type": "freestyle"},
                            "intensity_targets": [
                                {"target_type": "pace", "value_low": 1000, "value_high": 1250}
                            ],
                        },
                        {"order": 2, "duration_type": "open", "intensity_type": "rest"},
                    ],
                },
                {
                    "completion_condition": {"type": "fixed_repetition", "value": 1},
                    "steps": [
                        {
                            "order": 1,
                            "duration_type": "distance_meters",
                            "duration_value": 100,
                            "intensity_type": "cooldown",
                            "swimming": {"drill_type": "kick", "stroke_type": "drill"},
                        }
                    ],
                },
            ],
        }
    )
    messages = decode(template_to_fit(template))
    [wkt] = messages["workout_mesgs"]
    assert (wkt["sport"], wkt["sub_sport"], wkt["pool_length"], wkt["pool_length_unit"]) == (
        "swimming",
        "lap_swimming",
        25.0,
        "metric",
    )
    wu, swim, rest, repeat, kick = messages["workout_step_mesgs"]
    assert (wu["duration_value"], wu["target_type"], wu["target_stroke_type"]) == (
        20000,
        "swim_stroke",
        "backstroke",
    )
    # 1000-1250 s/km is 0.8-1.0 m/s, written in mm/s; the stroke goes to the secondary target.
    assert (
        swim["target_type"],
        swim["custom_target_value_low"],
        swim["custom_target_value_high"],
    ) == ("speed", 800, 1000)
    assert swim["secondary_target_type"] == "swim_stroke"
    assert (rest["duration_type"], rest["intensity"]) == ("open", "rest")
    assert (repeat["duration_value"], repeat["target_value"]) == (1, 10)
    assert (kick["target_stroke_type"], kick["equipment"]) == ("drill", "swim_kickboard")
    assert wkt["num_valid_steps"] == 5


def test_heart_rate_targets_carry_the_bpm_offset() -> None:
    workout = sample_workout("long-ride", load=1.0)
    messages = decode(template_to_fit(workout_to_template(workout, sport="cycling")))
    main = messages["workout_step_mesgs"][1]
    assert (
        main["target_type"],
        main["custom_target_value_low"],
        main["custom_target_value_high"],
    ) == ("heart_rate", 230, 245)


def test_strength_steps_carry_reps_category_and_weight() -> None:
    template = WorkoutTemplate.model_validate(
        {
            "name": "Legs",
            "sport": "strength_training",
            "step_blocks": [
                {
                    "completion_condition": {"type": "fixed_repetition", "value": 3},
                    "steps": [
                        {
                            "order": 1,
                            "duration_type": "reps",
                            "duration_value": 12,
                            "intensity_type": "active",
                            "strength": {
                                "exercise_category": "fly",
                                "exercise_name": "Cable fly",
                                "weight_kg": 22.5,
                                "weight_display_unit": "kilogram",
                            },
                        },
                        {
                            "order": 2,
                            "duration_type": "fixed_rest",
                            "duration_value": 90,
                            "intensity_type": "rest",
                        },
                    ],
                }
            ],
        }
    )
    reps, rest, repeat = decode(template_to_fit(template))["workout_step_mesgs"]
    assert (reps["duration_type"], reps["duration_value"]) == ("reps", 12)
    assert (reps["exercise_category"], reps["exercise_weight"], reps["wkt_step_name"]) == (
        "flye",
        22.5,
        "Cable fly",
    )
    assert (rest["duration_type"], rest["duration_value"]) == ("time", 90_000)
    assert (repeat["duration_value"], repeat["target_value"]) == (0, 3)


def test_conditional_repeats_and_durations_use_fit_units() -> None:
    template = WorkoutTemplate.model_validate(
        {
            "name": "Until",
            "sport": "biking",
            "step_blocks": [
                {
                    "completion_condition": {"type": "time_threshold", "value": 1200},
                    "steps": [
                        {
                            "order": 1,
                            "duration_type": "power_greater_than",
                            "duration_value": 300,
                            "intensity_type": "interval",
                        },
                        {
                            "order": 2,
                            "duration_type": "hr_less_than",
                            "duration_value": 120,
                            "intensity_type": "recovery",
                        },
                    ],
                },
                {
                    "completion_condition": {"type": "distance_threshold", "value": 5000},
                    "steps": [
                        {
                            "order": 1,
                            "duration_type": "calories",
                            "duration_value": 50,
                            "intensity_type": "active",
                            "intensity_targets": [
                                {
                                    "target_type": "power_percentage",
                                    "value_low": 90,
                                    "value_high": 95,
                                },
                                {
                                    "target_type": "heart_rate_max_percentage",
                                    "value_low": 80,
                                    "value_high": 85,
                                },
                            ],
                        }
                    ],
                },
            ],
        }
    )
    steps = decode(template_to_fit(template))["workout_step_mesgs"]
    power_step, hr_step, rep1, cal_step, rep2 = steps
    assert (power_step["duration_type"], power_step["duration_value"]) == (
        "power_greater_than",
        1300,
    )
    assert (hr_step["duration_type"], hr_step["duration_value"]) == ("hr_less_than", 220)
    assert (rep1["duration_type"], rep1["target_value"]) == ("repeat_until_time", 1_200_000)
    assert (rep2["duration_type"], rep2["duration_value"], rep2["target_value"]) == (
        "repeat_until_distance",
        3,
        500_000,
    )
    # Percentages are FIT's raw 0-100 / 0-1000 ranges, without offsets.
    assert (cal_step["custom_target_value_low"], cal_step["custom_target_value_high"]) == (90, 95)
    assert (cal_step["secondary_target_type"], cal_step["secondary_custom_target_value_low"]) == (
        "heart_rate",
        80,
    )


def test_targets_fit_cannot_hold_become_notes_with_a_warning() -> None:
    workout = sample_workout("hills", load=1.0)
    export = encode_fit(workout_to_template(workout, sport="running"))
    hill = decode(export.data)["workout_step_mesgs"][1]
    assert hill["target_type"] == "open"
    assert hill["notes"] == "uphill, strong arms; rpe 8-9"
    [warning] = export.warnings
    assert warning.field == "step_blocks[1].steps[0].intensity_targets[0]"
    assert warning.original_value == {"target_type": "rpe", "value_low": 8, "value_high": 9}


def test_long_and_non_ascii_strings_stay_within_fit_limits() -> None:
    # The longest title a workout may have (200 characters), longer than FIT's bytes.
    title = ("Läuft " * 60)[:200]
    workout = sample_workout("easy-run").model_copy(update={"title": title})
    [wkt] = decode(template_to_fit(workout_to_template(workout, sport="running")))["workout_mesgs"]
    assert title.startswith(wkt["wkt_name"])
    assert 200 < len(wkt["wkt_name"].encode()) <= 254


def test_output_is_reproducible_for_a_given_creation_time() -> None:
    template = workout_to_template(sample_workout("tempo"), sport="running")
    when = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert template_to_fit(template, created=when) == template_to_fit(template, created=when)
    [file_id] = decode(template_to_fit(template, created=when))["file_id_mesgs"]
    assert file_id["time_created"] == when


def test_a_16_week_plan_decodes_without_errors() -> None:
    for sport in ("running", "triathlon"):
        for workout in sample_plan(16, sport=sport):
            template = workout_to_template(workout, sport=sport)
            check(workout, template_to_fit(template), *FIT_SPORT[template.sport])


@settings(max_examples=100, deadline=None)
@given(workouts())
def test_generated_workouts_decode_equal_to_the_source(workout: Workout) -> None:
    template = workout_to_template(workout, sport="running")
    check(workout, template_to_fit(template), *FIT_SPORT[template.sport])
