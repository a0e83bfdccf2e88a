"""AI Endurance `Future_Workout_Static` objects (endurance and interval types) as templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from coach.templates.models import (
    CompletionCondition,
    IntensityTarget,
    IntensityTargetType,
    IntensityType,
    StepBlock,
    TemplateSport,
    WorkoutStep,
    WorkoutTemplate,
)

_SPORTS: dict[str, TemplateSport] = {"Run": "running", "Ride": "biking"}
INTERVAL_TYPES = frozenset({"Tempo", "Threshold", "VO2Max", "Anaerobic"})
# Targets are m/s (running pace) or W (running or cycling power). No runner holds 20 m/s
# and no power target is that low, so the size tells them apart when the sport can't.
_MAX_SPEED_M_S = 20.0


@dataclass
class ImportedWorkout:
    source_id: str
    planned_date: dt.date | None
    template: WorkoutTemplate
    raw: dict[str, Any] = field(default_factory=dict)


def future_workout_to_template(raw: dict[str, Any]) -> ImportedWorkout | None:
    """One Future_Workout_Static as a template; None for workouts without run/ride steps.

    `steps` holds the machine-readable part (the reference's examples); the object's
    `id` and `date` are assumed, as the reference does not show the envelope.
    """
    steps = raw.get("steps")
    if isinstance(steps, list):  # tolerate a one-item list around the steps object
        steps = steps[0] if steps else None
    if not isinstance(steps, dict) or steps.get("act_type") not in _SPORTS:
        return None
    sport = _SPORTS[steps["act_type"]]
    kind = str(steps.get("type") or "Endurance")
    blocks = _endurance(steps, sport) if kind == "Endurance" else _intervals(steps, sport)
    if not blocks:
        return None
    day = raw.get("date") or raw.get("day")
    return ImportedWorkout(
        source_id=str(raw.get("id") or raw.get("pk") or ""),
        planned_date=dt.date.fromisoformat(str(day)[:10]) if day else None,
        template=WorkoutTemplate(
            name=str(raw.get("title") or raw.get("name") or _name(steps, kind)),
            sport=sport,
            description=_description(steps),
            environment="outdoor",
            step_blocks=blocks,
        ),
        raw=raw,
    )


def _name(steps: dict[str, Any], kind: str) -> str:
    verb = "run" if steps["act_type"] == "Run" else "ride"
    if kind == "Endurance":
        return f"{'Long' if steps.get('is_long') else 'Endurance'} {verb}"
    on = int(steps.get("duration_on") or 0)
    length = f"{on // 60} min" if on % 60 == 0 else f"{on} s"
    return f"{kind} {verb} {int(steps.get('repeats') or 1)}x{length}"


def _description(steps: dict[str, Any]) -> str | None:
    if steps.get("stress") is None:
        return None
    return f"AI Endurance: {steps.get('type')}, {steps['stress']:g} ESS"


def _target(low: Any, high: Any, sport: TemplateSport) -> list[IntensityTarget] | None:
    values = [v for v in (low, high) if v is not None]
    if not values:
        return None
    watts = sport == "biking" or max(values) > _MAX_SPEED_M_S
    kind: IntensityTargetType = "power" if watts else "speed"
    # Endurance targets are an upper bound only; a one-sided range says exactly that.
    return [
        IntensityTarget(
            target_type=kind,
            value_low=None if low is None else round(float(low), 4),
            value_high=None if high is None else round(float(high), 4),
        )
    ]


def _step(order: int, seconds: Any, intensity: IntensityType, targets: Any) -> WorkoutStep:
    return WorkoutStep(
        order=order,
        duration_type="time",
        duration_value=float(seconds),
        intensity_type=intensity,
        intensity_targets=targets,
    )


def _once(*steps: WorkoutStep) -> StepBlock:
    return StepBlock(
        completion_condition=CompletionCondition(type="fixed_repetition", value=1),
        steps=list(steps),
    )


def _endurance(s: dict[str, Any], sport: TemplateSport) -> list[StepBlock]:
    if not s.get("duration"):
        return []
    return [
        _once(
            _step(
                1,
                s["duration"],
                "active",
                _target(s.get("target_low"), s.get("target_high"), sport),
            )
        )
    ]


def _intervals(s: dict[str, Any], sport: TemplateSport) -> list[StepBlock]:
    def part(name: str) -> list[IntensityTarget] | None:
        return _target(s.get(f"target_{name}_low"), s.get(f"target_{name}_high"), sport)

    blocks: list[StepBlock] = []
    if s.get("duration_warmup"):
        blocks.append(_once(_step(1, s["duration_warmup"], "warmup", part("warmup"))))
    if s.get("duration_on"):
        main = [_step(1, s["duration_on"], "interval", part("on"))]
        if s.get("duration_off"):
            main.append(_step(2, s["duration_off"], "recovery", part("off")))
        repeats = max(1, int(s.get("repeats") or 1))
        blocks.append(
            StepBlock(
                completion_condition=CompletionCondition(type="fixed_repetition", value=repeats),
                steps=main,
            )
        )
    if s.get("duration_add_endurance"):
        blocks.append(_once(_step(1, s["duration_add_endurance"], "active", part("add_endurance"))))
    if s.get("duration_cooldown"):
        blocks.append(_once(_step(1, s["duration_cooldown"], "cooldown", part("cooldown"))))
    return blocks
