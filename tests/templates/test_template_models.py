"""workout_template validation: every reference enum string, the rules, and error paths."""

from __future__ import annotations

import copy
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from coach.field_errors import error_details
from coach.field_errors import field_path as error_path
from coach.templates import models
from coach.templates.models import (
    CoercionWarning,
    WorkoutTemplate,
    WorkoutTemplateRequest,
)

# Copied by hand from the "Accepted Enum Strings" tables of Terra's Planned Workouts API
# reference (https://docs.tryterra.co/planned-workouts-api/core-concepts), so the models
# are checked against the reference rather than against themselves.
REFERENCE_ENUMS: dict[str, set[str]] = {
    "TemplateSport": {
        "running",
        "treadmill_running",
        "indoor_running",
        "biking",
        "mountain_biking",
        "road_biking",
        "stationary_biking",
        "swimming",
        "swimming_swimming_pool",
        "swimming_open_water",
        "strength_training",
        "weightlifting",
        "yoga",
        "pilates",
        "hiit",
        "cardio_training",
    },
    "CompletionConditionType": {
        "fixed_repetition",
        "distance_threshold",
        "time_threshold",
        "calories_threshold",
        "hr_below",
        "hr_above",
        "power_below",
        "power_above",
        "open",
    },
    "TemplateDurationType": {
        "time",
        "distance_meters",
        "hr_less_than",
        "hr_greater_than",
        "calories",
        "open",
        "power_less_than",
        "power_greater_than",
        "reps",
        "fixed_rest",
        "steps",
    },
    "IntensityType": {"rest", "warmup", "cooldown", "recovery", "interval", "active"},
    "IntensityTargetType": {
        "speed",
        "heart_rate",
        "open",
        "cadence",
        "power",
        "swim_stroke",
        "speed_lap",
        "heart_rate_lap",
        "pace",
        "heart_rate_threshold_percentage",
        "heart_rate_max_percentage",
        "speed_percentage",
        "power_percentage",
        "repetition",
        "tss",
        "if",
        "rpe",
    },
    "Environment": {"indoor", "outdoor", "pool"},
    "StrokeType": {"backstroke", "breaststroke", "drill", "butterfly", "freestyle", "mixed", "im"},
    "DrillType": {"kick", "pull", "drill"},
    "EquipmentType": {
        "none",
        "swim_fins",
        "swim_kickboard",
        "swim_paddles",
        "swim_pull_buoy",
        "swim_snorkel",
    },
    "ExerciseCategory": {
        "bench_press",
        "calf_raise",
        "cardio",
        "carry",
        "chop",
        "core",
        "crunch",
        "curl",
        "deadlift",
        "fly",
        "hip_raise",
        "hip_stability",
        "hip_swing",
        "hyperextension",
        "lateral_raise",
        "leg_curl",
        "leg_raise",
        "lunge",
        "olympic_lift",
        "plank",
        "plyo",
        "pull_up",
        "push_up",
        "row",
        "shoulder_press",
        "shoulder_stability",
        "shrug",
        "sit_up",
        "squat",
        "total_body",
        "triceps_extension",
        "warm_up",
        "run",
        "bike",
        "cardio_sensors",
        "battle_rope",
        "sandbag",
        "sled",
        "sledge_hammer",
        "suspension",
        "tire",
        "elliptical",
        "stair_stepper",
        "ladder",
    },
    "WeightUnit": {"kilogram", "pound"},
}


def step(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "order": 1,
        "duration_type": "time",
        "duration_value": 600,
        "intensity_type": "active",
    }
    return {**base, **over}


def template(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Test",
        "sport": "running",
        "step_blocks": [
            {"completion_condition": {"type": "fixed_repetition", "value": 1}, "steps": [step()]}
        ],
    }
    return {**base, **over}


def with_step(sport: str = "running", block: int = 0, **over: Any) -> dict[str, Any]:
    """A request body whose block `block` (of two) has one step with `over` applied."""
    extra = {"pool_length_meters": 25.0} if sport == "swimming_swimming_pool" else {}
    blocks = [
        {"completion_condition": {"type": "fixed_repetition", "value": 1}, "steps": [step()]}
        for _ in range(2)
    ]
    blocks[block]["steps"] = [step(**over)]
    return {"workout_template": template(sport=sport, step_blocks=blocks, **extra)}


def fields_of(body: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        WorkoutTemplateRequest.model_validate(body)
    return [d["field"] for d in error_details(info.value)]


@pytest.mark.parametrize("alias", sorted(REFERENCE_ENUMS))
def test_enums_are_exactly_the_reference_tables(alias: str) -> None:
    assert set(get_args(getattr(models, alias))) == REFERENCE_ENUMS[alias]


@pytest.mark.parametrize("sport", sorted(REFERENCE_ENUMS["TemplateSport"]))
def test_every_sport_is_accepted(sport: str) -> None:
    extra = {"pool_length_meters": 25.0} if sport == "swimming_swimming_pool" else {}
    assert WorkoutTemplate.model_validate(template(sport=sport, **extra)).sport == sport


@pytest.mark.parametrize("kind", sorted(REFERENCE_ENUMS["CompletionConditionType"]))
def test_every_completion_condition_is_accepted(kind: str) -> None:
    body = template()
    body["step_blocks"][0]["completion_condition"] = {"type": kind, "value": 3}
    parsed = WorkoutTemplate.model_validate(body)
    assert parsed.step_blocks[0].completion_condition.type == kind


@pytest.mark.parametrize("kind", sorted(REFERENCE_ENUMS["TemplateDurationType"]))
def test_every_duration_type_is_accepted(kind: str) -> None:
    parsed = WorkoutTemplateRequest.model_validate(with_step(duration_type=kind))
    assert parsed.workout_template.step_blocks[0].steps[0].duration_type == kind


@pytest.mark.parametrize("kind", sorted(REFERENCE_ENUMS["IntensityType"]))
def test_every_intensity_is_accepted(kind: str) -> None:
    parsed = WorkoutTemplateRequest.model_validate(with_step(intensity_type=kind))
    assert parsed.workout_template.step_blocks[0].steps[0].intensity_type == kind


@pytest.mark.parametrize("kind", sorted(REFERENCE_ENUMS["IntensityTargetType"]))
def test_every_target_type_is_accepted(kind: str) -> None:
    body = with_step(intensity_targets=[{"target_type": kind, "value_low": 1, "value_high": 2}])
    parsed = WorkoutTemplateRequest.model_validate(body)
    assert parsed.workout_template.step_blocks[0].steps[0].intensity_targets[0].target_type == kind


@pytest.mark.parametrize("env", sorted(REFERENCE_ENUMS["Environment"]))
def test_every_environment_is_accepted(env: str) -> None:
    body = template(sport="swimming", environment=env, pool_length_meters=25.0)
    assert WorkoutTemplate.model_validate(body).environment == env


def test_every_swimming_value_is_accepted() -> None:
    for stroke in REFERENCE_ENUMS["StrokeType"]:
        for drill in REFERENCE_ENUMS["DrillType"]:
            for equipment in REFERENCE_ENUMS["EquipmentType"]:
                swim = {"stroke_type": stroke, "drill_type": drill, "equipment": equipment}
                body = with_step(sport="swimming_swimming_pool", swimming=swim)
                parsed = WorkoutTemplateRequest.model_validate(body).workout_template
                assert parsed.step_blocks[0].steps[0].swimming.model_dump() == swim


@pytest.mark.parametrize("category", sorted(REFERENCE_ENUMS["ExerciseCategory"]))
def test_every_exercise_category_and_unit_is_accepted(category: str) -> None:
    for unit in REFERENCE_ENUMS["WeightUnit"]:
        data = {
            "exercise_category": category,
            "exercise_name": "x",
            "weight_kg": 20,
            "weight_display_unit": unit,
        }
        body = with_step(
            sport="strength_training", duration_type="reps", duration_value=10, strength=data
        )
        parsed = WorkoutTemplateRequest.model_validate(body).workout_template
        assert parsed.step_blocks[0].steps[0].strength.exercise_category == category


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"intensity_type": "sprint"}, "intensity_type"),
        ({"duration_type": "minutes"}, "duration_type"),
        (
            {"intensity_targets": [{"target_type": "watts", "value": 200}]},
            "intensity_targets[0].target_type",
        ),
        ({"swimming": {"stroke_type": "doggy"}}, "swimming.stroke_type"),
        ({"strength": {"exercise_category": "yoga_pose"}}, "strength.exercise_category"),
        (
            {"strength": {"exercise_category": "squat", "weight_display_unit": "stone"}},
            "strength.weight_display_unit",
        ),
        ({"swimming": {"equipment": "snorkel"}}, "swimming.equipment"),
        ({"swimming": {"drill_type": "scull"}}, "swimming.drill_type"),
    ],
)
def test_a_wrong_enum_string_is_refused_with_its_path(over: dict[str, Any], field: str) -> None:
    sport = (
        "swimming_swimming_pool"
        if "swimming" in over
        else ("strength_training" if "strength" in over else "running")
    )
    assert fields_of(with_step(sport=sport, block=1, **over)) == [
        f"workout_template.step_blocks[1].steps[0].{field}"
    ]


def test_wrong_top_level_enums_are_refused_with_their_paths() -> None:
    assert fields_of({"workout_template": template(sport="skiing")}) == ["workout_template.sport"]
    assert fields_of({"workout_template": template(environment="garage")}) == [
        "workout_template.environment"
    ]
    body = template()
    body["step_blocks"][0]["completion_condition"]["type"] = "forever"
    assert fields_of({"workout_template": body}) == [
        "workout_template.step_blocks[0].completion_condition.type"
    ]


def test_unknown_fields_are_refused() -> None:
    assert fields_of({"workout_template": template(colour="red")}) == ["workout_template.colour"]
    assert fields_of(with_step(block=1, zone=3)) == [
        "workout_template.step_blocks[1].steps[0].zone"
    ]


def test_value_and_range_together_are_refused() -> None:
    target = {"target_type": "heart_rate", "value": 150, "value_low": 140, "value_high": 160}
    assert fields_of(with_step(block=1, intensity_targets=[target])) == [
        "workout_template.step_blocks[1].steps[0].intensity_targets[0].value_low"
    ]


def test_a_target_needs_a_value_unless_open() -> None:
    body = with_step(intensity_targets=[{"target_type": "power"}])
    assert fields_of(body) == [
        "workout_template.step_blocks[0].steps[0].intensity_targets[0].value"
    ]
    open_body = with_step(intensity_targets=[{"target_type": "open"}])
    assert WorkoutTemplateRequest.model_validate(open_body)


@pytest.mark.parametrize("kind", sorted(REFERENCE_ENUMS["TemplateDurationType"] - {"open"}))
def test_duration_value_is_required_except_for_open(kind: str) -> None:
    assert fields_of(with_step(block=1, duration_type=kind, duration_value=None)) == [
        "workout_template.step_blocks[1].steps[0].duration_value"
    ]


def test_open_duration_needs_no_value() -> None:
    body = with_step(duration_type="open", duration_value=None)
    assert WorkoutTemplateRequest.model_validate(body)


def test_completion_value_is_required_except_for_open() -> None:
    body = template()
    body["step_blocks"][0]["completion_condition"] = {"type": "time_threshold"}
    assert fields_of({"workout_template": body}) == [
        "workout_template.step_blocks[0].completion_condition.value"
    ]
    body["step_blocks"][0]["completion_condition"] = {"type": "open"}
    assert WorkoutTemplate.model_validate(body)
    body["step_blocks"][0]["completion_condition"] = {"type": "fixed_repetition", "value": 2.5}
    assert fields_of({"workout_template": body}) == [
        "workout_template.step_blocks[0].completion_condition.value"
    ]


def test_pool_swimming_needs_a_pool_length() -> None:
    assert fields_of({"workout_template": template(sport="swimming_swimming_pool")}) == [
        "workout_template.pool_length_meters"
    ]
    assert fields_of({"workout_template": template(sport="swimming", environment="pool")}) == [
        "workout_template.pool_length_meters"
    ]
    ok = template(sport="swimming_swimming_pool", pool_length_meters=25)
    assert WorkoutTemplate.model_validate(ok).pool_length_meters == 25


def test_pool_length_and_swim_data_only_for_swimming() -> None:
    assert fields_of({"workout_template": template(pool_length_meters=25)}) == [
        "workout_template.pool_length_meters"
    ]
    assert fields_of(with_step(block=1, swimming={"stroke_type": "freestyle"})) == [
        "workout_template.step_blocks[1].steps[0].swimming"
    ]
    assert fields_of(with_step(block=0, strength={"exercise_category": "squat"})) == [
        "workout_template.step_blocks[0].steps[0].strength"
    ]


def test_step_order_is_one_based_and_contiguous() -> None:
    body = template()
    body["step_blocks"][0]["steps"] = [step(order=1), step(order=3)]
    assert fields_of({"workout_template": body}) == [
        "workout_template.step_blocks[0].steps[1].order"
    ]
    body["step_blocks"][0]["steps"] = [step(order=1), step(order=1)]
    assert fields_of({"workout_template": body}) == [
        "workout_template.step_blocks[0].steps[1].order"
    ]
    body["step_blocks"][0]["steps"] = [step(order=0)]
    assert fields_of({"workout_template": body}) == [
        "workout_template.step_blocks[0].steps[0].order"
    ]


def test_steps_listed_out_of_order_are_sorted_by_order() -> None:
    body = template()
    body["step_blocks"][0]["steps"] = [
        step(order=2, duration_value=60),
        step(order=1, duration_value=30),
    ]
    parsed = WorkoutTemplate.model_validate(body)
    assert [s.duration_value for s in parsed.step_blocks[0].steps] == [30, 60]


def test_every_error_is_reported_not_only_the_first() -> None:
    body = copy.deepcopy(template(sport="skiing"))
    body["step_blocks"][0]["steps"][0]["intensity_type"] = "sprint"
    assert sorted(fields_of({"workout_template": body})) == [
        "workout_template.sport",
        "workout_template.step_blocks[0].steps[0].intensity_type",
    ]


def test_error_path_formats_pydantic_locs() -> None:
    loc = ("workout_template", "step_blocks", 1, "steps", 0, "intensity_type")
    assert error_path(loc) == "workout_template.step_blocks[1].steps[0].intensity_type"
    assert error_path(("step_blocks", 0)) == "step_blocks[0]"
    assert error_path(()) == ""


def test_error_details_have_the_400_body_shape() -> None:
    with pytest.raises(ValidationError) as info:
        WorkoutTemplateRequest.model_validate({"workout_template": template(sport="skiing")})
    [detail] = error_details(info.value)
    assert detail["field"] == "workout_template.sport"
    assert "running" in detail["message"]


def test_coercion_warning_has_the_reference_shape() -> None:
    warning = CoercionWarning(
        field="step_blocks[1].steps[0].duration_value",
        original_value=110,
        coerced_value=100,
        reason="Swimming distance rounded to complete laps",
    )
    assert warning.model_dump() == {
        "field": "step_blocks[1].steps[0].duration_value",
        "original_value": 110,
        "coerced_value": 100,
        "reason": "Swimming distance rounded to complete laps",
    }


def test_a_template_round_trips_through_json() -> None:
    body = with_step(
        sport="swimming_swimming_pool",
        duration_type="distance_meters",
        duration_value=100,
        swimming={"stroke_type": "freestyle"},
        intensity_targets=[{"target_type": "pace", "value_low": 1100, "value_high": 1200}],
        notes="strong",
    )
    parsed = WorkoutTemplateRequest.model_validate(body)
    again = WorkoutTemplateRequest.model_validate_json(parsed.model_dump_json(exclude_none=True))
    assert again == parsed
