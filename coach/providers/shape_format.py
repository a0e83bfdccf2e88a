"""A (coerced) workout template as a Shape activity with structured steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coach.templates.convert import template_to_workout
from coach.templates.models import IntensityTarget, StepBlock, WorkoutStep, WorkoutTemplate

SPORTS = {
    "running": "run",
    "biking": "bike",
    "swimming": "swim",
    "strength_training": "strength",
    "yoga": "yoga",
}
_END = {"time": "time", "distance_meters": "distance", "open": "lap.button"}
# Shape's target names; pace stays in s/km as in the reference's example, speed in m/s.
_TARGET = {
    "heart_rate": "heart.rate",
    "pace": "pace",
    "power": "power",
    "speed": "speed",
    "cadence": "cadence",
    "open": "no.target",
}
_SUMMARY = {"heart_rate": "heartRate", "power": "power", "speed": "speed"}


def to_activity(
    template: WorkoutTemplate, day: dt.date, description: str, *, structured: bool = True
) -> dict[str, Any]:
    """The body of `POST /activities` (or one item of the batch form)."""
    plan_day = template_to_workout(template, week=1, day=1, phase="base")
    body: dict[str, Any] = {
        "date": day.isoformat(),
        "title": template.name,
        "sportType": SPORTS.get(template.sport, "other"),
        "description": description,
        "completed": False,
    }
    if plan_day.duration:
        body["duration"] = plan_day.duration
    if plan_day.distance and template.sport not in ("strength_training", "yoga"):
        body["distance"] = plan_day.distance
    steps = [s for b in template.step_blocks for s in b.steps]
    repeated = any(_count(b) > 1 for b in template.step_blocks)
    # The reference: steps only for a real interval structure, never for strength.
    if (
        structured
        and body["sportType"] not in ("strength", "yoga", "other")
        and (repeated or len(steps) > 1)
    ):
        body["target"] = "steps"
        body["steps"] = [s for b in template.step_blocks for s in _block(b)]
        return body
    only = steps[0] if len(steps) == 1 else None
    body["target"] = "distance" if only and only.duration_type == "distance_meters" else "time"
    for t in (only.intensity_targets or []) if only else []:
        _summary(body, t)
    return body


def _count(block: StepBlock) -> int:
    cond = block.completion_condition
    return int(cond.value or 1) if cond.type == "fixed_repetition" else 1


def _block(block: StepBlock) -> list[dict[str, Any]]:
    steps = [_step(s) for s in block.steps]
    n = _count(block)
    if n <= 1:
        return steps
    return [
        {
            "stepType": "repeat",
            "numberOfIterations": n,
            "skipLastRestStep": False,
            "workoutSteps": steps,
        }
    ]


def _step(step: WorkoutStep) -> dict[str, Any]:
    out: dict[str, Any] = {
        "stepType": step.intensity_type,  # coercion left warmup/cooldown/interval/recovery
        "displayName": _display(step),
        "description": step.notes,
        "endCondition": _END[step.duration_type],
        "targetType": "no.target",
    }
    if step.duration_type != "open":
        out["endConditionValue"] = step.duration_value
    targets = [t for t in step.intensity_targets or [] if t.target_type != "open"]
    for prefix, target in zip(("", "secondary"), targets, strict=False):
        out.update(_target(target, prefix))
    return out


def _display(step: WorkoutStep) -> str:
    if step.notes:
        return step.notes[:40]
    if step.duration_type == "time" and step.duration_value:
        minutes, seconds = divmod(int(step.duration_value), 60)
        amount = f"{minutes}:{seconds:02d}" if seconds else f"{minutes} min"
    elif step.duration_type == "distance_meters" and step.duration_value:
        amount = f"{step.duration_value:g} m"
    else:
        amount = "lap"
    return f"{amount} {step.intensity_type}"


def _target(t: IntensityTarget, prefix: str) -> dict[str, Any]:
    def key(name: str) -> str:
        return f"{prefix}{name[0].upper()}{name[1:]}" if prefix else name

    out: dict[str, Any] = {key("targetType"): _TARGET[t.target_type]}
    v = t.value
    if v is not None and v == int(v) and 1 <= v <= 7:
        # A zone: Garmin-style APIs drop a custom range when a zone is also set.
        out[key("zoneNumber")] = int(v)
        return out
    low = t.value_low if t.value is None else t.value
    high = t.value_high if t.value is None else t.value
    out[key("targetValueOne")] = low if low is not None else high
    out[key("targetValueTwo")] = high if high is not None else low
    return out


def _summary(body: dict[str, Any], t: IntensityTarget) -> None:
    # A single-step activity carries its target in the summary fields.
    mid = t.value
    if mid is None and t.value_low is not None and t.value_high is not None:
        mid = (t.value_low + t.value_high) / 2
    if mid is None or (t.value is not None and t.value == int(t.value) and t.value <= 7):
        return
    if t.target_type == "pace" and mid > 0:
        body["speed"] = round(1000 / mid, 3)
        body["target"] = "pace"
    elif t.target_type in _SUMMARY:
        body[_SUMMARY[t.target_type]] = round(mid, 3)
