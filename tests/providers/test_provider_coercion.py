"""Coercion per provider: each change recorded as {field, original_value, coerced_value, reason}."""

from __future__ import annotations

from typing import Any

import pytest

from coach.providers.base import ProviderUnsupported, Thresholds
from coach.providers.capabilities import BY_NAME, COROS, FIT, GARMIN, SHAPE, WAHOO, ZWIFT
from coach.providers.coerce import coerce
from coach.providers.registry import preview
from coach.templates.convert import workout_to_template
from coach.templates.models import CoercionWarning, WorkoutTemplate
from tests.templates.sample_plans import sample_plan


def step(
    order: int = 1,
    dtype: str = "time",
    value: float | None = 600.0,
    intensity: str = "active",
    targets: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    s: dict[str, Any] = {
        "order": order,
        "duration_type": dtype,
        "intensity_type": intensity,
        **extra,
    }
    if value is not None:
        s["duration_value"] = value
    if targets is not None:
        s["intensity_targets"] = targets
    return s


def template(*blocks: tuple[int, list[dict[str, Any]]], **top: Any) -> WorkoutTemplate:
    return WorkoutTemplate.model_validate(
        {
            "name": "Workout",
            "sport": "running",
            **top,
            "step_blocks": [
                {"completion_condition": {"type": "fixed_repetition", "value": n}, "steps": steps}
                for n, steps in blocks
            ],
        }
    )


def W(field: str, original: Any, coerced: Any, reason: str) -> CoercionWarning:  # noqa: N802
    return CoercionWarning(
        field=field, original_value=original, coerced_value=coerced, reason=reason
    )


def test_unsupported_sport_becomes_generic_on_garmin_and_closest_elsewhere() -> None:
    t = template((1, [step()]), sport="swimming_open_water")
    out, warnings = coerce(t, GARMIN)
    assert out.sport == "swimming_open_water"
    assert warnings == [
        W(
            "sport",
            "swimming_open_water",
            "generic",
            "garmin has no swimming_open_water; sent as generic",
        )
    ]
    out, warnings = coerce(template((1, [step()]), sport="hiit"), GARMIN)
    assert out.sport == "cardio_training"
    assert warnings == [
        W("sport", "hiit", "cardio_training", "garmin has no hiit; sent as cardio_training")
    ]


def test_wahoo_refuses_a_sport_it_cannot_hold() -> None:
    with pytest.raises(ProviderUnsupported) as caught:
        coerce(template((1, [step()]), sport="yoga"), WAHOO)
    assert caught.value.status == 501


def test_swim_distances_round_to_whole_pool_lengths() -> None:
    t = template(
        (4, [step(1, "distance_meters", 110.0), step(2, "time", 20.0, "rest")]),
        sport="swimming_swimming_pool",
        environment="pool",
        pool_length_meters=25,
    )
    out, warnings = coerce(t, GARMIN)
    assert out.step_blocks[0].steps[0].duration_value == 100.0
    assert warnings == [
        W(
            "step_blocks[0].steps[0].duration_value",
            110.0,
            100.0,
            "swim distances are whole 25 m pool lengths (4 lengths)",
        )
    ]


def test_step_count_is_cut_from_the_end_and_says_what() -> None:
    many = [step(i, intensity="interval") for i in range(1, 31)]
    t = template((1, many), (1, [step(1), step(2)]), (3, [step(1), step(2), step(3)]))
    out, warnings = coerce(t, SHAPE)  # 30 + 2 + 3 steps + 1 repeat = 36 <= 50: nothing
    assert not [w for w in warnings if w.field == "step_blocks"]
    t = template((1, many), (1, many[:20]), (2, [step(1), step(2), step(3)]))
    out, warnings = coerce(t, SHAPE)
    cut = [w for w in warnings if w.field == "step_blocks"]
    assert cut == [
        W(
            "step_blocks",
            54,
            50,
            "shape takes at most 50 steps (a repeat counts as one); cut from the "
            "end: step_blocks[2] (whole block)",
        )
    ]
    assert [len(b.steps) for b in out.step_blocks] == [30, 20]


def test_unsupported_targets_convert_or_drop_into_the_notes() -> None:
    t = template(
        (1, [step(targets=[{"target_type": "speed", "value_low": 4.0, "value_high": 5.0}])])
    )
    _, warnings = coerce(t, COROS)
    assert warnings == []  # COROS speaks speed
    t = template(
        (1, [step(targets=[{"target_type": "pace", "value_low": 200.0, "value_high": 250.0}])])
    )
    out, warnings = coerce(t, COROS)
    target = out.step_blocks[0].steps[0].intensity_targets[0]  # type: ignore[index]
    assert (target.target_type, target.value_low, target.value_high) == ("speed", 4.0, 5.0)
    assert warnings == [
        W(
            "step_blocks[0].steps[0].intensity_targets[0].target_type",
            "pace",
            "speed",
            "coros has no pace targets; converted {'value_low': 200.0, "
            "'value_high': 250.0} to {'value_low': 4.0, 'value_high': 5.0}",
        )
    ]
    t = template((1, [step(targets=[{"target_type": "rpe", "value": 6}])]))
    out, warnings = coerce(t, SHAPE)
    assert out.step_blocks[0].steps[0].notes == "rpe 6"
    assert out.step_blocks[0].steps[0].intensity_targets[0].target_type == "open"  # type: ignore[index]
    assert warnings[-1] == W(
        "step_blocks[0].steps[0].intensity_targets[0]",
        {"target_type": "rpe", "value": 6.0},
        None,
        "shape cannot hold rpe targets; kept in the step notes as 'rpe 6'",
    )


def test_relative_targets_freeze_with_the_athletes_thresholds() -> None:
    t = template(
        (
            1,
            [
                step(
                    targets=[
                        {
                            "target_type": "heart_rate_threshold_percentage",
                            "value_low": 85,
                            "value_high": 90,
                        }
                    ]
                )
            ],
        )
    )
    out, warnings = coerce(t, GARMIN, thresholds=Thresholds(threshold_hr=170))
    target = out.step_blocks[0].steps[0].intensity_targets[0]  # type: ignore[index]
    assert (target.target_type, target.value_low, target.value_high) == ("heart_rate", 144.0, 153.0)
    assert [w.field for w in warnings] == [
        "step_blocks[0].steps[0].intensity_targets[0].target_type",
        "step_blocks[0].steps[0].intensity_targets[0].value_low",  # 144.5 -> 144 bpm
    ]
    _, warnings = coerce(t, GARMIN)  # no threshold HR known: the target is dropped
    assert warnings[0].coerced_value is None and "notes" in warnings[0].reason


def test_text_is_truncated_and_precision_rounded() -> None:
    t = template((1, [step(value=90.4, notes="n" * 600)]), name="N" * 90)
    out, warnings = coerce(t, GARMIN)
    assert out.name == "N" * 80
    assert W("name", "N" * 90, "N" * 80, "garmin keeps at most 80 chars") in warnings
    assert (
        W("step_blocks[0].steps[0].duration_value", 90.4, 90.0, "garmin keeps time to 0 decimal(s)")
        in warnings
    )
    assert out.step_blocks[0].steps[0].notes == "n" * 512
    fit_name = "é" * 200  # 400 bytes: FIT strings hold 254
    out, warnings = coerce(template((1, [step()]), name=fit_name), FIT)
    assert out.name == "é" * 127 and warnings[0].field == "name"


def test_coros_one_target_per_step_and_no_recovery_steps() -> None:
    t = template(
        (
            2,
            [
                step(
                    intensity="recovery",
                    targets=[
                        {"target_type": "heart_rate", "value_low": 120, "value_high": 130},
                        {"target_type": "cadence", "value_low": 170, "value_high": 180},
                    ],
                )
            ],
        )
    )
    out, warnings = coerce(t, COROS)
    s = out.step_blocks[0].steps[0]
    assert s.intensity_type == "rest" and len(s.intensity_targets or []) == 1
    assert s.notes == "cadence 170-180 rpm"
    assert warnings == [
        W(
            "step_blocks[0].steps[0].intensity_type",
            "recovery",
            "rest",
            "coros has no recovery steps",
        ),
        W(
            "step_blocks[0].steps[0].intensity_targets[1]",
            {"target_type": "cadence", "value_low": 170.0, "value_high": 180.0},
            None,
            "coros takes 1 target(s) per step; this one was dropped",
        ),
    ]


def test_zwift_unrolls_repeats_it_cannot_express_and_times_distances() -> None:
    t = template(
        (
            3,
            [
                step(1, intensity="interval"),
                step(2, intensity="recovery"),
                step(3, "distance_meters", 1000.0),
            ],
        ),
        sport="biking",
    )
    out, warnings = coerce(t, ZWIFT)
    assert len(out.step_blocks[0].steps) == 9
    assert out.step_blocks[0].completion_condition.value == 1
    assert warnings[-1] == W(
        "step_blocks[0]",
        {"repeats": 3, "steps": 3},
        {"repeats": 1, "steps": 9},
        "zwift takes repeats of at most 2 steps; the block was unrolled",
    )
    assert out.step_blocks[0].steps[2].duration_type == "time"
    assert out.step_blocks[0].steps[2].duration_value == 144.0  # 1 km at 25 km/h


def test_repeat_until_time_becomes_a_count() -> None:
    t = WorkoutTemplate.model_validate(
        {
            "name": "Until",
            "sport": "running",
            "step_blocks": [
                {
                    "completion_condition": {"type": "time_threshold", "value": 1200},
                    "steps": [step(1, value=180.0), step(2, value=120.0)],
                }
            ],
        }
    )
    out, warnings = coerce(t, SHAPE)
    assert out.step_blocks[0].completion_condition.model_dump() == {
        "type": "fixed_repetition",
        "value": 4.0,
    }
    assert warnings[0].field == "step_blocks[0].completion_condition"


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_sample_workout_coerces_to_a_valid_template(name: str) -> None:
    caps = BY_NAME[name]
    for sport in ("running", "triathlon"):
        for workout in sample_plan(4, sport=sport):  # type: ignore[arg-type]
            t = workout_to_template(workout, sport=sport)  # type: ignore[arg-type]
            try:
                out, warnings = coerce(t, caps, thresholds=Thresholds(ftp_w=250, max_hr=190))
            except ProviderUnsupported:
                assert t.sport not in caps.sports and not caps.generic_sport
                continue
            again, more = coerce(out, caps, thresholds=Thresholds(ftp_w=250, max_hr=190))
            # Coercing what was already coerced changes nothing but the generic sport.
            assert again == out and all(w.field == "sport" for w in more)


def test_preview_takes_devices_and_connection_settings() -> None:
    t = template((1, [step()]), sport="yoga")
    assert preview(t, "garmin")[1] == []
    with pytest.raises(ProviderUnsupported):
        preview(t, "terra", {"device_provider": "wahoo"})
    # Shape has no "active" step type, but a yoga session is sent without steps (its
    # conventions): the preview shows what a push would send, so nothing changed.
    assert preview(t, "shape")[1] == []
    intervals = template((4, [step(1), step(2, intensity="recovery")]))
    assert "step_blocks[0].steps[0].intensity_type" in [
        w.field for w in preview(intervals, "shape")[1]
    ]
