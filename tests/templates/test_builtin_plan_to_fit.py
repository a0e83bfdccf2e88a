"""16-week plans of the BUILT-IN engine, every workout converted to a template and a FIT file.

Issue 5, "Done when": the FIT files decode with Garmin's official SDK without errors, and
their step counts, repeat structure, durations and targets equal the source workout. The
raw comparison (ms, cm, mm/s, bpm + 100, W + 1000) reuses `check` from test_template_fit;
`expected_units` checks the same steps again through the decoder's scaled subfields (s, m,
m/s), so a wrong scale in either place shows. Plans are generated with athlete thresholds
(concrete pace / bpm / W targets) and without (zones), for running, cycling, swimming and
triathlon; one test per workout type keeps failures readable, and every workout of every
plan goes through one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

import pytest

from coach.engines.base import GenerationContext
from coach.engines.builtin import build_plan, write_draft
from coach.engines.builtin.draft import generate
from coach.plans.models import Sport, Target, Workout, WorkoutType
from coach.plans.requests import AthleteThresholds, GenerationRequest
from coach.principles import resolve
from coach.templates.convert import workout_to_template
from coach.templates.fit import encode_fit
from tests.templates.test_template_fit import FIT_SPORT, check, decode

WEEKS = 16
POOL_LENGTH_M = 25.0
RUNNER = AthleteThresholds(threshold_pace_s_per_km=270, threshold_hr=170, max_hr=192)
RUNNER_HR_ONLY = AthleteThresholds(max_hr=185)  # no pace: bpm targets
# FIT's offsets for absolute values (raw 0-100 is % of max HR, 0-1000 is % of FTP), written
# out rather than imported so that a wrong constant in coach.templates.fit shows.
HR_OFFSET = 100
POWER_OFFSET = 1000
RIDER = AthleteThresholds(ftp_w=250, threshold_hr=165)
TRIATHLETE = AthleteThresholds(threshold_pace_s_per_km=285, threshold_hr=168, ftp_w=230)


@dataclass(frozen=True, eq=False)  # hashed by identity, for the cache of built plans
class PlanCase:
    id: str
    sport: Sport
    level: str
    athlete: AthleteThresholds | None
    principle: str | None = None  # None: the default principle
    instructions: str | None = None
    # Lines the coach adds to the draft: the engine builds strength and brick sessions only
    # when a coach writes them.
    added_lines: tuple[str, ...] = ()

    @property
    def concrete(self) -> bool:
        return self.athlete is not None


CASES = (
    PlanCase("run-thresholds", "running", "advanced", RUNNER, instructions="half marathon race"),
    PlanCase("run-zones", "running", "advanced", None, instructions="half marathon race"),
    PlanCase(
        "run-pyramidal-hr",
        "running",
        "intermediate",
        RUNNER_HR_ONLY,
        "pyramidal",
        added_lines=("W6 D2 Tue  Strength and core, 45 min",),
    ),
    PlanCase("run-pyramidal-zones", "running", "beginner", None, "pyramidal"),
    PlanCase("bike-ftp", "cycling", "advanced", RIDER, instructions="gran fondo"),
    PlanCase("bike-zones", "cycling", "advanced", None),
    PlanCase("bike-pyramidal-ftp", "cycling", "intermediate", RIDER, "pyramidal"),
    PlanCase(
        "bike-pyramidal-hr", "cycling", "beginner", AthleteThresholds(threshold_hr=160), "pyramidal"
    ),
    PlanCase("swim", "swimming", "advanced", None, instructions="1500m swim race"),
    PlanCase("swim-pyramidal", "swimming", "intermediate", RUNNER, "pyramidal"),
    PlanCase(
        "tri-thresholds",
        "triathlon",
        "advanced",
        TRIATHLETE,
        instructions="olympic triathlon",
        added_lines=("W3 D6 Sat  Strength, 40 min", "W5 D6 Sat  Brick: bike then run, 90 min"),
    ),
    PlanCase("tri-zones", "triathlon", "advanced", None, instructions="olympic triathlon"),
    PlanCase("tri-pyramidal-zones", "triathlon", "intermediate", None, "pyramidal"),
)


@dataclass(frozen=True)
class BuiltCase:
    case: PlanCase
    workouts: list[Workout]
    warnings: list[str]
    # The sport the engine planned each generated day in: (week, day, type) -> sport.
    day_sports: dict[tuple[int, int, str], str]


@cache
def built(case: PlanCase) -> BuiltCase:
    request = GenerationRequest(
        weeks=WEEKS,
        experience_level=case.level,
        organization_id=1,  # type: ignore[arg-type]
        sport=case.sport,
        athlete=case.athlete,
        instructions=case.instructions,
        training_principle=case.principle,
    )
    principle = resolve(override=case.principle, coach_setting=None, organization_setting=None)
    ctx = GenerationContext(request=request, principle=principle)
    draft = write_draft(ctx) + "".join(f"\n{line}" for line in case.added_lines)
    plan = build_plan(ctx, draft)
    day_sports = {
        (d.week, d.day, d.type): d.sport for week in generate(ctx).weeks for d in week.days
    }
    return BuiltCase(case, plan.workouts, plan.warnings, day_sports)


def by_type() -> dict[str, list[tuple[PlanCase, Workout]]]:
    out: dict[str, list[tuple[PlanCase, Workout]]] = {}
    for case in CASES:
        for workout in built(case).workouts:
            out.setdefault(workout.type, []).append((case, workout))
    return out


TYPES = sorted(by_type())
_FIT_SPORT_OF = {
    "running": "running",
    "cycling": "cycling",
    "swimming": "swimming",
    "strength": "training",
}


def label(case: PlanCase, workout: Workout) -> str:
    return f"{case.id} W{workout.week} D{workout.day} {workout.type} {workout.title!r}"


def source_sport(case: PlanCase, workout: Workout) -> str | None:
    """The sport the engine planned the workout in; None for a multisport triathlon race."""
    if workout.type == "strength":
        return "strength"
    if workout.type == "brick":
        return "cycling"  # a brick starts on the bike, and templates have no multisport
    sport = built(case).day_sports.get((workout.week, workout.day, workout.type))
    assert sport is not None, f"{label(case, workout)} is not a day the engine planned"
    return None if sport == "triathlon" else sport


def expected_units(workout: Workout) -> list[dict[str, Any]]:
    """The steps in the units the decoder scales FIT's raw fields to: s, m, m/s; bpm + 100
    and W + 1000 (FIT's offsets for absolute values), zones as zone numbers."""
    out: list[dict[str, Any]] = []
    for segment in workout.segments:
        first = len(out)
        for step in segment.steps:
            row: dict[str, Any] = {}
            if step.duration_type == "time":
                row["duration_time"] = pytest.approx(step.duration_value, abs=1e-3)
            elif step.duration_type == "distance_meters":
                row["duration_distance"] = pytest.approx(step.duration_value, abs=1e-2)
            out.append(row | _target_units(step.target))
        if segment.repeats > 1:
            out.append({"duration_step": first, "repeat_steps": segment.repeats})
    return out


def _target_units(target: Target | None) -> dict[str, Any]:
    if target is None or target.type in ("open", "rpe"):
        return {}
    if target.low is None and target.high is None:
        field = {"pace": "speed", "speed": "speed", "heart_rate": "hr", "power": "power"}[
            target.type
        ]
        return {f"target_{field}_zone": target.zone}
    assert target.low is not None and target.high is not None
    if target.type == "pace":  # s/km as m/s; whole mm/s in the file
        return {
            "custom_target_speed_low": pytest.approx(1000 / target.high, abs=5e-4),
            "custom_target_speed_high": pytest.approx(1000 / target.low, abs=5e-4),
        }
    if target.type == "heart_rate":
        return {
            "custom_target_heart_rate_low": target.low + HR_OFFSET,
            "custom_target_heart_rate_high": target.high + HR_OFFSET,
        }
    assert target.type == "power", target
    return {
        "custom_target_power_low": target.low + POWER_OFFSET,
        "custom_target_power_high": target.high + POWER_OFFSET,
    }


def actual_units(
    messages: dict[str, list[dict[str, Any]]], want: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {k: m.get(k) for k in w} for m, w in zip(messages["workout_step_mesgs"], want, strict=True)
    ]


def convert_and_check(case: PlanCase, workout: Workout) -> None:
    template = workout_to_template(workout, sport=case.sport, pool_length_meters=POOL_LENGTH_M)
    export = encode_fit(template)
    check(workout, export.data, *FIT_SPORT[template.sport])  # raw FIT units
    messages = decode(export.data)
    want = expected_units(workout)
    assert actual_units(messages, want) == want
    [wkt] = messages["workout_mesgs"]
    if template.sport == "swimming_swimming_pool":
        assert (wkt["pool_length"], wkt["pool_length_unit"]) == (POOL_LENGTH_M, "metric")
    # The only thing of a built-in workout FIT cannot hold is an RPE target (kept as notes).
    rpe = [
        s
        for seg in workout.segments
        for s in seg.steps
        if s.target is not None and s.target.type == "rpe"
    ]
    assert [w.original_value["target_type"] for w in export.warnings] == ["rpe"] * len(rpe)


def test_plans_span_16_weeks_and_every_workout_type() -> None:
    for case in CASES:
        plan = built(case)
        assert {w.week for w in plan.workouts} == set(range(1, WEEKS + 1)), case.id
        if not case.added_lines:
            assert plan.warnings == [], case.id
    found = by_type()
    assert set(found) == set(get_args(WorkoutType))
    assert sum(map(len, found.values())) == sum(len(built(c).workouts) for c in CASES)


def test_targets_are_concrete_with_thresholds_and_zones_without() -> None:
    for case in CASES:
        targets = [
            (label(case, w), s.target)
            for w in built(case).workouts
            for seg in w.segments
            for s in seg.steps
            if s.target is not None
        ]
        assert targets, case.id
        for where, t in targets:
            if t.type == "rpe":  # swimming, and hills by effort with pace targets
                assert t.low is not None, where
            elif case.concrete:
                assert t.low is not None and t.high is not None, where
            else:
                assert t.low is None and t.high is None and t.zone, where


@pytest.mark.parametrize("kind", TYPES)
def test_workout_type_converts_to_fit_equal_to_the_source(kind: str) -> None:
    workouts = by_type()[kind]
    assert workouts
    for case, workout in workouts:
        try:
            convert_and_check(case, workout)
        except AssertionError as exc:
            raise AssertionError(f"{label(case, workout)}: {exc}") from exc


@pytest.mark.parametrize("kind", TYPES)
def test_fit_sport_is_the_sport_of_the_source_workout(kind: str) -> None:
    wrong = []
    for case, workout in by_type()[kind]:
        sport = source_sport(case, workout)
        if sport is None:
            continue
        template = workout_to_template(workout, sport=case.sport)
        [wkt] = decode(encode_fit(template).data)["workout_mesgs"]
        if wkt["sport"] != _FIT_SPORT_OF[sport]:
            wrong.append(f"{label(case, workout)}: {wkt['sport']}, planned as {sport}")
    assert wrong == []
