"""Zwift .zwo export, parsed back with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from coach.templates.convert import workout_to_template
from coach.templates.models import WorkoutTemplate
from coach.templates.zwo import encode_zwo, template_to_zwo
from tests.templates.sample_plans import sample_workout


def blocks(data: bytes) -> list[ET.Element]:
    root = ET.fromstring(data)
    assert root.tag == "workout_file"
    assert root.findtext("sportType") == "bike"
    workout = root.find("workout")
    assert workout is not None
    return list(workout)


def test_sweet_spot_becomes_warmup_intervals_and_cooldown_ramps() -> None:
    workout = sample_workout("sweet-spot", sport="cycling", load=1.0)
    data = template_to_zwo(workout_to_template(workout, sport="cycling"), ftp_w=250)
    root = ET.fromstring(data)
    assert root.findtext("name") == "Sweet spot"
    warmup, intervals, cooldown = blocks(data)
    # 125-175 W at 250 W FTP ramps up from 0.5 to 0.7.
    assert (
        warmup.tag,
        warmup.get("Duration"),
        warmup.get("PowerLow"),
        warmup.get("PowerHigh"),
    ) == ("Warmup", "900", "0.5", "0.7")
    assert intervals.tag == "IntervalsT"
    assert {k: intervals.get(k) for k in ("Repeat", "OnDuration", "OffDuration")} == {
        "Repeat": "3",
        "OnDuration": "720",
        "OffDuration": "240",
    }
    # Range midpoints: 227.5 W and 140 W as fractions of 250 W.
    assert float(intervals.get("OnPower", "")) == pytest.approx(0.91)
    assert float(intervals.get("OffPower", "")) == pytest.approx(0.56)
    # Cooldown ramps down: PowerLow is where it starts.
    assert (cooldown.tag, cooldown.get("PowerLow"), cooldown.get("PowerHigh")) == (
        "Cooldown",
        "0.6",
        "0.4",
    )


def test_total_duration_equals_the_source_workout() -> None:
    for kind in ("easy-ride", "long-ride", "sweet-spot", "vo2max", "recovery-ride"):
        workout = sample_workout(kind, sport="cycling")
        data = template_to_zwo(workout_to_template(workout, sport="cycling"), ftp_w=250)
        total = 0
        for el in blocks(data):
            if el.tag == "IntervalsT":
                total += int(el.get("Repeat", "0")) * (
                    int(el.get("OnDuration", "0")) + int(el.get("OffDuration", "0"))
                )
            else:
                total += int(el.get("Duration", "0"))
        assert total == workout.duration, kind


def test_percent_of_ftp_needs_no_ftp_and_zones_use_zone_midpoints() -> None:
    template = WorkoutTemplate.model_validate(
        {
            "name": "Pct",
            "sport": "stationary_biking",
            "step_blocks": [
                {
                    "completion_condition": {"type": "fixed_repetition", "value": 1},
                    "steps": [
                        {
                            "order": 1,
                            "duration_type": "time",
                            "duration_value": 300,
                            "intensity_type": "active",
                            "intensity_targets": [{"target_type": "power_percentage", "value": 88}],
                        },
                        {
                            "order": 2,
                            "duration_type": "time",
                            "duration_value": 300,
                            "intensity_type": "active",
                            "intensity_targets": [{"target_type": "power", "value": 2}],
                        },
                    ],
                }
            ],
        }
    )
    first, second = blocks(template_to_zwo(template))
    assert (first.tag, first.get("Power")) == ("SteadyState", "0.88")
    assert (second.tag, second.get("Power")) == ("SteadyState", "0.65")


def test_blocks_that_are_not_on_off_pairs_are_unrolled() -> None:
    template = WorkoutTemplate.model_validate(
        {
            "name": "3-step",
            "sport": "biking",
            "step_blocks": [
                {
                    "completion_condition": {"type": "fixed_repetition", "value": 2},
                    "steps": [
                        {
                            "order": i,
                            "duration_type": "time",
                            "duration_value": 60 * i,
                            "intensity_type": "interval",
                            "intensity_targets": [{"target_type": "power", "value": 100 + 100 * i}],
                        }
                        for i in (1, 2, 3)
                    ],
                }
            ],
        }
    )
    export = encode_zwo(template, ftp_w=200)
    els = blocks(export.data)
    assert [(e.tag, e.get("Duration"), e.get("Power")) for e in els] == [
        ("SteadyState", "60", "1"),
        ("SteadyState", "120", "1.5"),
        ("SteadyState", "180", "2"),
    ] * 2
    assert [w.field for w in export.warnings] == ["step_blocks[0]"]


def test_steps_without_power_ride_freely_and_notes_become_text_events() -> None:
    workout = sample_workout("long-ride", sport="cycling", load=1.0)
    export = encode_zwo(workout_to_template(workout, sport="cycling"), ftp_w=250)
    warmup, main, cooldown = blocks(export.data)
    assert (main.tag, main.get("Duration")) == ("FreeRide", "9000")
    assert [w.field for w in export.warnings] == ["step_blocks[1].steps[0].intensity_targets[0]"]
    brick = sample_workout("brick", sport="cycling", load=1.0)
    ride = blocks(template_to_zwo(workout_to_template(brick, sport="cycling"), ftp_w=250))[0]
    assert ride.find("textevent").get("message") == "bike"  # type: ignore[union-attr]


def test_distance_and_open_steps_get_an_estimated_time() -> None:
    template = WorkoutTemplate.model_validate(
        {
            "name": "Dist",
            "sport": "road_biking",
            "step_blocks": [
                {
                    "completion_condition": {"type": "open"},
                    "steps": [
                        {
                            "order": 1,
                            "duration_type": "distance_meters",
                            "duration_value": 10000,
                            "intensity_type": "active",
                        },
                        {"order": 2, "duration_type": "open", "intensity_type": "cooldown"},
                    ],
                }
            ],
        }
    )
    export = encode_zwo(template)
    ride, free = blocks(export.data)
    assert ride.get("Duration") == "1440"  # 10 km at 25 km/h
    assert free.get("Duration") == "300"
    assert len(export.warnings) == 2


def test_non_cycling_templates_and_watts_without_ftp_are_refused() -> None:
    run = workout_to_template(sample_workout("tempo"), sport="running")
    with pytest.raises(ValueError, match="cycling"):
        template_to_zwo(run)
    ride = workout_to_template(sample_workout("vo2max", sport="cycling"), sport="cycling")
    with pytest.raises(ValueError, match="ftp_w"):
        template_to_zwo(ride)
