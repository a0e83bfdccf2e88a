"""Convert plan Workouts to workout templates and back, so library workouts can fill plan days."""

from __future__ import annotations

import datetime as dt
import math
from typing import get_args

from coach.plans.models import (
    Phase,
    Segment,
    SegmentKind,
    Sport,
    Step,
    Target,
    TargetType,
    Workout,
    WorkoutType,
)
from coach.plans.sports import RIDE_WORDS, Discipline, type_sport
from coach.templates.models import (
    CYCLING_SPORTS,
    RUNNING_SPORTS,
    STRENGTH_SPORTS,
    SWIM_SPORTS,
    CompletionCondition,
    Environment,
    IntensityTarget,
    StepBlock,
    TemplateSport,
    WorkoutStep,
    WorkoutTemplate,
)

# A brick counts as a ride (it starts on the bike): the template model has no multisport.
_TEMPLATE_SPORT: dict[Discipline, TemplateSport] = {
    "running": "running",
    "cycling": "biking",
    "swimming": "swimming_swimming_pool",
}
# Target types whose lone `value` may be a zone number (the reference: "zones or <unit>").
_ZONE_TYPES = frozenset({"pace", "heart_rate", "power", "speed"})
# The template target types a plan Target can hold, as the plan's type.
_PLAN_TARGET_TYPES: dict[str, TargetType] = {kind: kind for kind in get_args(TargetType)}
_MAX_ZONE = 7
_MAX_REPEATS = 100

# Speeds (m/s) assumed for steps whose target gives none, to estimate a time step's
# distance and a distance step's time: 6:00/km running, 25 km/h cycling, 2:00/100 m swimming.
DEFAULT_SPEED_M_S: dict[str, float] = {"run": 1000 / 360, "bike": 25 / 3.6, "swim": 100 / 120}

_UNITS = {
    "pace": "s/km",
    "heart_rate": "bpm",
    "power": "W",
    "speed": "m/s",
    "cadence": "rpm",
    "heart_rate_threshold_percentage": "% threshold HR",
    "heart_rate_max_percentage": "% max HR",
    "speed_percentage": "% max speed",
    "power_percentage": "% FTP",
    "speed_lap": "m/s",
    "heart_rate_lap": "bpm",
}
_DURATION_WORDS = {
    "hr_less_than": "until HR below {v:g} bpm",
    "hr_greater_than": "until HR above {v:g} bpm",
    "calories": "{v:g} kcal",
    "power_less_than": "until power below {v:g} W",
    "power_greater_than": "until power above {v:g} W",
    "reps": "{v:g} reps",
    "steps": "{v:g} steps",
}


def template_sport_for(workout: Workout, plan_sport: Sport) -> TemplateSport:
    """The template sport of one plan workout, from its type first and the plan's sport next."""
    if workout.type == "strength":
        return "strength_training"
    named = type_sport(workout.type)
    if named is not None:
        return _TEMPLATE_SPORT[named]
    if plan_sport != "triathlon":
        return _TEMPLATE_SPORT[plan_sport]
    # Triathlon: the generic types (tempo, intervals, ...) are bike sessions when their
    # title says so or they are steered by power, runs otherwise. Power alone is not
    # enough: without an FTP the engine gives rides heart-rate targets.
    if RIDE_WORDS.search(workout.title):
        return "biking"
    for seg in workout.segments:
        for step in seg.steps:
            if step.target is not None and step.target.type == "power":
                return "biking"
    return "running"


def environment_for(sport: TemplateSport) -> Environment:
    if sport == "swimming_swimming_pool":
        return "pool"
    if sport in STRENGTH_SPORTS or sport in {
        "treadmill_running",
        "indoor_running",
        "stationary_biking",
    }:
        return "indoor"
    return "outdoor"


def _target_to_template(target: Target) -> IntensityTarget:
    has_range = target.low is not None or target.high is not None
    if target.type == "open" or (not has_range and target.zone is None):
        # A target without any value carries no instruction; the template needs one.
        return IntensityTarget(target_type="open")
    if not has_range:
        return IntensityTarget(target_type=target.type, value=float(target.zone or 0))
    # Bounds are more precise than a zone, so a Target with both keeps only the bounds.
    return IntensityTarget(target_type=target.type, value_low=target.low, value_high=target.high)


def _step_to_template(step: Step, order: int) -> WorkoutStep:
    return WorkoutStep(
        order=order,
        duration_type=step.duration_type,
        duration_value=step.duration_value,
        intensity_type=step.intensity,
        intensity_targets=None if step.target is None else [_target_to_template(step.target)],
        notes=step.notes,
    )


def workout_to_template(
    workout: Workout, *, sport: Sport, pool_length_meters: float = 25.0
) -> WorkoutTemplate:
    """A plan workout as a template: one step block per segment, repeats as fixed_repetition."""
    tsport = template_sport_for(workout, sport)
    blocks = [
        StepBlock(
            # A single pass is fixed_repetition 1 rather than "open": "open" means the
            # athlete ends the block with the lap button, which is not what the plan says.
            completion_condition=CompletionCondition(type="fixed_repetition", value=seg.repeats),
            steps=[_step_to_template(step, i) for i, step in enumerate(seg.steps, start=1)],
        )
        for seg in workout.segments
    ]
    if not blocks:
        # A rest day or a workout described only in words is still a valid template.
        blocks = [
            StepBlock(
                completion_condition=CompletionCondition(type="fixed_repetition", value=1),
                steps=[
                    WorkoutStep(
                        order=1,
                        duration_type="open",
                        intensity_type="active",
                        notes=workout.description or None,
                    )
                ],
            )
        ]
    return WorkoutTemplate(
        name=workout.title,
        sport=tsport,
        description=workout.description or None,
        environment=environment_for(tsport),
        pool_length_meters=pool_length_meters if tsport == "swimming_swimming_pool" else None,
        step_blocks=blocks,
    )


def describe_target(target: IntensityTarget) -> str:
    """A short human text for a target, used in notes where a format cannot hold it."""
    unit = _UNITS.get(target.target_type, "")
    if target.value is not None:
        text = f"{target.value:g}"
    else:
        low = "" if target.value_low is None else f"{target.value_low:g}"
        high = "" if target.value_high is None else f"{target.value_high:g}"
        text = f"{low}-{high}"
    return " ".join(p for p in (target.target_type.replace("_", " "), text, unit) if p)


def _target_from_template(target: IntensityTarget, kind: TargetType) -> Target:
    if kind == "open":
        return Target(type="open")
    value = target.value
    if value is not None:
        if kind in _ZONE_TYPES and value == int(value) and 1 <= value <= _MAX_ZONE:
            return Target(type=kind, zone=int(value))
        return Target(type=kind, low=value, high=value)
    return Target(type=kind, low=target.value_low, high=target.value_high)


def _extras(step: WorkoutStep) -> list[str]:
    # What the plan Step cannot hold is kept as words in its notes, so the athlete still
    # reads it on the plan day.
    words: list[str] = []
    if step.duration_type in _DURATION_WORDS and step.duration_value is not None:
        words.append(_DURATION_WORDS[step.duration_type].format(v=step.duration_value))
    if step.swimming is not None:
        words.extend(v.replace("_", " ") for v in step.swimming.model_dump().values() if v)
    if step.strength is not None:
        s = step.strength
        words.append(s.exercise_name or s.exercise_category.replace("_", " "))
        if s.weight_kg is not None:
            words.append(f"{s.weight_kg:g} kg")
    return words


def _step_from_template(step: WorkoutStep) -> Step:
    target: Target | None = None
    words = _extras(step)
    for it in step.intensity_targets or []:
        kind = _PLAN_TARGET_TYPES.get(it.target_type)
        if target is None and kind is not None:
            target = _target_from_template(it, kind)
        else:
            words.append(describe_target(it))
    if step.duration_type in ("time", "distance_meters", "open"):
        dtype, dvalue = step.duration_type, step.duration_value
    elif step.duration_type == "fixed_rest":
        dtype, dvalue = "time", step.duration_value
    else:
        dtype, dvalue = "open", None
    notes = step.notes
    if words:
        notes = "; ".join([notes, *words] if notes else words)
    return Step(
        intensity=step.intensity_type,
        duration_type=dtype,
        duration_value=dvalue,
        target=target,
        notes=notes,
    )


def _repeats(block: StepBlock, steps: list[Step], speed_kind: str) -> int:
    cond = block.completion_condition
    if cond.type == "fixed_repetition" and cond.value is not None:
        return min(int(cond.value), _MAX_REPEATS)
    if cond.type in ("time_threshold", "distance_threshold") and cond.value:
        # "Repeat until N s / m in total" becomes the count that reaches N.
        seconds, meters = _steps_totals(steps, speed_kind)
        per_pass = seconds if cond.type == "time_threshold" else meters
        if per_pass > 0:
            return max(1, min(math.ceil(cond.value / per_pass), _MAX_REPEATS))
    return 1


def _segment_kind(steps: list[Step]) -> SegmentKind:
    # Templates have no segment kind; a block made only of warmup (cooldown) steps is the
    # warmup (cooldown), everything else is main set.
    intensities = {s.intensity for s in steps}
    if intensities == {"warmup"}:
        return "warmup"
    if intensities == {"cooldown"}:
        return "cooldown"
    return "main"


def speed_kind(sport: str) -> str:
    """Which default speed applies to a template sport: run, bike, swim or none."""
    if sport in RUNNING_SPORTS:
        return "run"
    if sport in CYCLING_SPORTS:
        return "bike"
    if sport in SWIM_SPORTS:
        return "swim"
    return "none"


def _step_speed(step: Step, kind: str) -> float:
    t = step.target
    if t is not None and t.zone is None:
        bounds = [v for v in (t.low, t.high) if v]
        if bounds and t.type == "pace":
            return 1000 / (sum(bounds) / len(bounds))
        if bounds and t.type == "speed":
            return sum(bounds) / len(bounds)
    return DEFAULT_SPEED_M_S.get(kind, 0.0)


def _steps_totals(steps: list[Step], kind: str) -> tuple[float, float]:
    seconds = meters = 0.0
    for step in steps:
        value = step.duration_value or 0.0
        speed = _step_speed(step, kind)
        if step.duration_type == "time":
            seconds += value
            # Standing rest covers no ground.
            meters += 0.0 if step.intensity == "rest" else value * speed
        elif step.duration_type == "distance_meters":
            meters += value
            seconds += value / speed if speed > 0 else 0.0
    return seconds, meters


def step_seconds(step: Step, sport: str) -> float:
    """One pass of a step in seconds (a distance step at its pace, else the sport's default
    speed); an open step counts zero."""
    return _steps_totals([step], speed_kind(sport))[0]


def estimate_totals(segments: list[Segment], sport: str) -> tuple[int, int]:
    """(seconds, meters) of segments: sum of repeats × steps; open steps count zero."""
    kind = speed_kind(sport)
    seconds = meters = 0.0
    for seg in segments:
        s, m = _steps_totals(seg.steps, kind)
        seconds += seg.repeats * s
        meters += seg.repeats * m
    return round(seconds), round(meters)


def _guess_type(template: WorkoutTemplate, segments: list[Segment], seconds: int) -> WorkoutType:
    hard = any(s.intensity == "interval" for seg in segments for s in seg.steps) or any(
        seg.repeats > 1 for seg in segments
    )
    recovery = all(s.intensity in ("recovery", "rest") for seg in segments for s in seg.steps)
    sport = template.sport
    if sport in SWIM_SPORTS:
        return "swim-intervals" if hard else "endurance-swim"
    if sport in CYCLING_SPORTS:
        if hard:
            return "intervals"
        return "long-ride" if seconds >= 150 * 60 else "recovery-ride" if recovery else "easy-ride"
    if sport == "hiit":
        return "intervals"
    if sport in STRENGTH_SPORTS:
        return "strength"
    if hard:
        return "intervals"
    return "long-run" if seconds >= 90 * 60 else "recovery-run" if recovery else "easy-run"


def template_to_workout(
    template: WorkoutTemplate,
    *,
    week: int,
    day: int,
    phase: Phase,
    date: dt.date | None = None,
    type: WorkoutType | None = None,  # noqa: A002 - mirrors Workout.type
) -> Workout:
    """A template as a plan day's Workout (source "library"), totals estimated from steps."""
    kind = speed_kind(template.sport)
    segments: list[Segment] = []
    for block in template.step_blocks:
        steps = [_step_from_template(s) for s in block.steps]
        segments.append(
            Segment(kind=_segment_kind(steps), repeats=_repeats(block, steps, kind), steps=steps)
        )
    seconds, meters = estimate_totals(segments, template.sport)
    return Workout(
        week=week,
        day=day,
        date=date,
        title=template.name[:200],
        phase=phase,
        type=type or _guess_type(template, segments, seconds),
        description=template.description or "",
        duration=seconds,
        distance=meters,
        segments=segments,
        source="library",
    )
