"""A workout template as a Shape activity, following Shape's conventions for creating workouts.

The reference's conventions, and what this module does about each:

- Steps only for a real interval structure ("5x400m at 5k pace with 60s rest"): a block
  that repeats, a step marked `interval`, or a main set of several parts. An easy or long
  run (warmup, main block, cooldown) goes as one activity with a time, distance or pace
  target; its steps are written into the description and a coercion warning says so.
  Never steps for strength, yoga or other sports.
- `target` from the goal: `distance` for a distance main block, `pace` when it has a pace,
  else `time`; `steps` with steps.
- Short titles without distance or duration ("Easy 5k run" -> "Easy run"); repeats of a
  structure ("6x800m") stay. A changed title is a coercion warning on `name`.
- `load` is the workout's Training Stress Score (coach/providers/load.py).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from coach.providers.base import Thresholds, with_marker
from coach.providers.capabilities import SHAPE
from coach.providers.coerce import coerce
from coach.providers.load import training_load
from coach.templates.convert import describe_target, template_to_workout
from coach.templates.models import (
    CoercionWarning,
    IntensityTarget,
    StepBlock,
    WorkoutStep,
    WorkoutTemplate,
)

SPORTS = {
    "running": "run",
    "biking": "bike",
    "swimming": "swim",
    "strength_training": "strength",
    "yoga": "yoga",
}
# Sports the reference never gives steps ("use the description field instead").
_NO_STEPS = frozenset({"strength", "yoga", "other"})
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

# Titles: an amount of time or distance ("45 min", "5k", "1:30:00", "40'"), unless it is a
# pace ("4:30/km") or the size of a repeat ("6x800m", "2 x 15 min").
_NUMBER = r"\d+(?:[.,]\d+)?"
_UNIT = (
    r"(?:kilometers?|kilometres?|km|k|miles?|mi|minutes?|mins?|meters?|metres?|m|yards?|yds?"
    r"|hours?|hrs?|h|seconds?|secs?|s|'|\")"
)
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?!\s*(?:/|[-–]\s*\d{1,2}:\d{2}\s*/))"
_SIZE = rf"(?:{_CLOCK}|{_NUMBER}\s*{_UNIT}(?![a-z]))"
_TITLE_AMOUNT = re.compile(
    rf"(?P<keep>\d+\s*[x×]\s*{_SIZE})"
    rf"|(?P<drop>(?:\b(?:last|first|for)\s+)?(?<![\w/:.,]){_SIZE})",
    re.IGNORECASE,
)
_SPORT_WORD = {"run": "Run", "bike": "Bike", "swim": "Swim", "strength": "Strength"}


def to_activity(
    template: WorkoutTemplate,
    day: dt.date,
    idempotency_key: str,
    *,
    structured: bool = True,
    thresholds: Thresholds | None = None,
) -> tuple[dict[str, Any], list[CoercionWarning]]:
    """The body of `POST /activities` (or one item of the batch form) for the template as
    the coach wrote it, and every change made to it (coercion, then Shape's conventions).
    The description ends in the idempotency marker."""
    coerced, warnings = coerce(template, SHAPE, thresholds=thresholds)
    plan_day = template_to_workout(coerced, week=1, day=1, phase="base")
    sport = SPORTS.get(coerced.sport, "other")
    title = short_title(coerced.name, sport)
    if title != coerced.name:
        warnings.append(
            CoercionWarning(
                field="name",
                original_value=coerced.name,
                coerced_value=title,
                reason="shape: titles carry no distance or duration (the activity's "
                "fields hold them)",
            )
        )
    body: dict[str, Any] = {
        "date": day.isoformat(),
        "title": title,
        "sportType": sport,
        "completed": False,
        "load": training_load(template, thresholds),
    }
    if plan_day.duration:
        body["duration"] = plan_day.duration
    if plan_day.distance and sport not in ("strength", "yoga"):
        body["distance"] = plan_day.distance
    description = coerced.description
    steps = [s for b in coerced.step_blocks for s in b.steps]
    if structured and sport not in _NO_STEPS and has_interval_structure(template):
        body["target"] = "steps"
        body["steps"] = [s for b in coerced.step_blocks for s in _block(b)]
    else:
        # No step types are sent, so no step type was changed.
        warnings = [w for w in warnings if not w.field.endswith(".intensity_type")]
        main = _main_step(coerced)
        body["target"] = "distance" if main.duration_type == "distance_meters" else "time"
        for t in main.intensity_targets or []:
            _summary(body, t)
        if len(steps) > 1:
            # The steps are not sent: the athlete still reads them.
            written = "Steps: " + "; ".join(
                _step_text(s) for b in template.step_blocks for s in _repeat_text(b)
            )
            description = f"{description}\n\n{written}" if description else written
            warnings.append(
                CoercionWarning(
                    field="step_blocks",
                    original_value={"steps": len(steps)},
                    coerced_value={"target": body["target"]},
                    reason=f"shape: {_why_no_steps(sport, structured)}; sent as "
                    f"one activity with a {body['target']} target, the steps written in the "
                    "description",
                )
            )
    body["description"] = with_marker(description, idempotency_key, SHAPE.text.description)
    return body, warnings


def has_interval_structure(template: WorkoutTemplate) -> bool:
    """What the reference gives steps: a block that repeats, a step marked interval, or a
    main set of several parts (a progression). A warmup, one main block and a cooldown
    (an easy, long or steady run) is not."""
    main_parts = 0
    for block in template.step_blocks:
        cond = block.completion_condition
        if cond.type not in ("fixed_repetition", "open") or _count(block) > 1:
            return True
        if any(s.intensity_type == "interval" for s in block.steps):
            return True
        main_parts += sum(s.intensity_type not in ("warmup", "cooldown") for s in block.steps)
    return main_parts > 1


def _why_no_steps(sport: str, structured: bool) -> str:
    if sport in _NO_STEPS:
        return f"never steps for {sport}"
    if not structured:
        return "this connection sends no steps (settings.structured false)"
    return "steps only for interval workouts"


def short_title(name: str, sport: str = "other") -> str:
    """The title without its distances and durations; the sport's word if nothing is left."""

    def edit(found: re.Match[str]) -> str:
        return found.group("keep") or ""

    text = _TITLE_AMOUNT.sub(edit, name)
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = re.sub(r"\s+([,;:)])", r"\1", text)
    text = re.sub(r"\s*[,;:]\s*(?=@)", " ", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;:-–—@/")
    if not text:
        return _SPORT_WORD.get(sport, name)
    return text[0].upper() + text[1:]


def _count(block: StepBlock) -> int:
    cond = block.completion_condition
    return int(cond.value or 1) if cond.type == "fixed_repetition" else 1


def _main_step(template: WorkoutTemplate) -> WorkoutStep:
    """The step that sets an unstructured activity's target: the longest that is neither
    warmup nor cooldown (the longest of all when every step is)."""
    steps = [s for b in template.step_blocks for s in b.steps]
    work = [s for s in steps if s.intensity_type not in ("warmup", "cooldown")] or steps
    return max(work, key=lambda s: s.duration_value or 0.0)


def _repeat_text(block: StepBlock) -> list[WorkoutStep]:
    return list(block.steps) * max(1, _count(block))


def _step_text(step: WorkoutStep) -> str:
    targets = [_target_text(t) for t in step.intensity_targets or [] if t.target_type != "open"]
    text = f"{_amount(step)} {step.intensity_type}"
    text = f"{text} at {', '.join(targets)}" if targets else text
    return f"{text} ({step.notes})" if step.notes else text


def _target_text(t: IntensityTarget) -> str:
    if _zone(t):
        return f"{t.target_type.replace('_', ' ')} zone {t.value:g}"
    return describe_target(t)


def _zone(t: IntensityTarget) -> bool:
    v = t.value
    return v is not None and v == int(v) and 1 <= v <= 7


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


def _amount(step: WorkoutStep) -> str:
    if step.duration_type == "time" and step.duration_value:
        minutes, seconds = divmod(int(step.duration_value), 60)
        return f"{minutes}:{seconds:02d}" if seconds else f"{minutes} min"
    if step.duration_type == "distance_meters" and step.duration_value:
        return f"{step.duration_value:g} m"
    return "lap"


def _display(step: WorkoutStep) -> str:
    if step.notes:
        return step.notes[:40]
    return f"{_amount(step)} {step.intensity_type}"


def _target(t: IntensityTarget, prefix: str) -> dict[str, Any]:
    def key(name: str) -> str:
        return f"{prefix}{name[0].upper()}{name[1:]}" if prefix else name

    out: dict[str, Any] = {key("targetType"): _TARGET[t.target_type]}
    v = t.value
    if v is not None and _zone(t):
        # A zone: Garmin-style APIs drop a custom range when a zone is also set.
        out[key("zoneNumber")] = int(v)
        return out
    low = t.value_low if t.value is None else t.value
    high = t.value_high if t.value is None else t.value
    out[key("targetValueOne")] = low if low is not None else high
    out[key("targetValueTwo")] = high if high is not None else low
    return out


def _summary(body: dict[str, Any], t: IntensityTarget) -> None:
    # An activity without steps carries its main block's target in the summary fields.
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
