"""Check one LLM workout against the model, its draft line and the rules; repair what is safe."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from coach.engines.llm.convert import WeekSpec, from_draft, to_workout
from coach.engines.llm.schema import LLMSegment, LLMStep, LLMWorkout
from coach.plans.models import HARD_TYPES, Workout, WorkoutType
from coach.plans.sports import MIN_MINUTES, max_minutes
from coach.plans.validate import validate_plan

# Rules of coach.plans.validate that one workout can break by itself (or with the day
# before it). The others (quality days, long-run share, weekly increase) follow from the
# draft the coach approved and the whole week, so they are reported, not re-asked.
GATED_RULES = frozenset(
    {"date", "segments", "segment-totals", "duration", "back-to-back-hard", "one-per-day"}
)
# Plausible average pace in minutes per km, and a typical one for repairs.
PACE_RANGE: dict[str, tuple[float, float, float]] = {
    "running": (2.8, 10.0, 6.0),
    "cycling": (1.1, 5.0, 2.0),
}
EASY_TYPE: dict[str, WorkoutType] = {
    "running": "easy-run",
    "cycling": "easy-ride",
    "swimming": "endurance-swim",
    "triathlon": "easy-run",
}


def _close(value: float, expected: float, *, absolute: float, relative: float) -> bool:
    return abs(value - expected) <= max(absolute, relative * expected)


def parse_item(item: dict[str, Any]) -> tuple[LLMWorkout | None, list[str]]:
    try:
        return LLMWorkout.model_validate(item), []
    except ValidationError as exc:
        day = item.get("d", "?")
        errors = [
            f"day {day}: field {'.'.join(map(str, e['loc'])) or 'workout'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        return None, errors


def _hard_neighbour(item: LLMWorkout, accepted: dict[int, Workout]) -> Workout | None:
    if item.t not in HARD_TYPES:
        return None
    for day in (item.d - 1, item.d + 1):
        other = accepted.get(day)
        if other is not None and other.type in HARD_TYPES:
            return other
    return None


def check(item: LLMWorkout, spec: WeekSpec, accepted: dict[int, Workout]) -> list[str]:
    """Everything wrong with one workout, phrased so the model can fix it."""
    day = item.d
    line = spec.draft.line(day)
    if line is None:
        return [f"day {day} has no line in week {spec.week}; its days are {spec.draft.days}"]
    errors: list[str] = []
    line_hard = line.type in HARD_TYPES
    # A hard line may become easy when the day before is hard too: that is the repair.
    downgraded = line_hard and any(
        (other := accepted.get(d)) is not None and other.type in HARD_TYPES
        for d in (day - 1, day + 1)
    )
    if line_hard != (item.t in HARD_TYPES) and not downgraded:
        errors.append(f"day {day}: the plan line is a {line.type} session, not a {item.t}")
    total = item.segment_minutes()
    if not _close(item.min, total, absolute=1, relative=0.03):
        errors.append(f"day {day}: min is {item.min:g} but the segments add up to {total:g} min")
    if line.minutes is not None and not _close(total, line.minutes, absolute=3, relative=0.1):
        errors.append(f"day {day}: the plan line says {line.minutes:g} min, not {total:g} min")
    if line.km is not None and not _close(item.km, line.km, absolute=0.5, relative=0.1):
        errors.append(f"day {day}: the plan line says {line.km:g} km, not {item.km:g} km")
    # Not plausible whatever the draft says (the validator's caps).
    if not MIN_MINUTES <= total <= max_minutes(item.t, spec.sport):
        errors.append(f"day {day}: {total:g} minutes is not a plausible {item.t}")
    pace = PACE_RANGE.get(spec.sport)
    if pace and item.km > 0 and not pace[0] <= total / item.km <= pace[1]:
        errors.append(f"day {day}: {total:g} min for {item.km:g} km is not a plausible pace")
    if (other := _hard_neighbour(item, accepted)) is not None:
        errors.append(
            f"day {day}: {item.t} and {other.type} on day {other.day} are hard days back to "
            "back; make one of them easy"
        )
    errors.extend(rule_violations(item, spec, accepted))
    return errors


def _scaled(item: LLMWorkout, minutes: float) -> list[LLMSegment]:
    factor = minutes / item.segment_minutes()
    return [
        seg.model_copy(
            update={
                "st": [
                    step.model_copy(update={"min": max(0.5, round(step.min * factor * 2) / 2)})
                    for step in seg.st
                ]
            }
        )
        for seg in item.seg
    ]


def repair(
    item: LLMWorkout, spec: WeekSpec, accepted: dict[int, Workout]
) -> tuple[LLMWorkout, list[str]]:
    """Deterministic fixes for the last attempt: trust the draft's minutes and km, make the
    stated total match the segments, downgrade the later of two back-to-back hard days."""
    line = spec.draft.line(item.d)
    notes: list[str] = []
    where = f"week {spec.week} day {item.d}"
    if (
        line is not None
        and line.minutes is not None
        and ((line.type in HARD_TYPES) != (item.t in HARD_TYPES))
    ):
        notes.append(f"{where}: the LLM wrote a {item.t}; built the draft's {line.type} instead")
        item = from_draft(line, spec)
    total = item.segment_minutes()
    wanted = line.minutes if line is not None else None
    cap = max_minutes(item.t, spec.sport)
    if wanted is None and total > cap:
        wanted = cap
    if wanted is not None and not _close(total, wanted, absolute=3, relative=0.1):
        item = item.model_copy(update={"seg": _scaled(item, wanted)})
        notes.append(f"{where}: the LLM wrote {total:g} min; scaled to {wanted:g} min")
    item = item.model_copy(update={"min": item.segment_minutes()})
    pace = PACE_RANGE.get(spec.sport)
    if line is not None and line.km is not None:
        if not _close(item.km, line.km, absolute=0.5, relative=0.1):
            notes.append(f"{where}: the LLM wrote {item.km:g} km; set to the draft's {line.km:g}")
            item = item.model_copy(update={"km": line.km})
    elif pace and item.km > 0 and not pace[0] <= item.min / item.km <= pace[1]:
        km = round(item.min / pace[2], 1)
        notes.append(f"{where}: {item.km:g} km is implausible for {item.min:g} min; set to {km}")
        item = item.model_copy(update={"km": km})
    if (other := _hard_neighbour(item, accepted)) is not None:
        easy = EASY_TYPE[spec.sport]
        step = LLMStep(i="active", min=item.min, z=2)
        item = item.model_copy(update={"t": easy, "seg": [LLMSegment(k="main", x=1, st=[step])]})
        notes.append(
            f"{where}: {other.type} on day {other.day} is hard too; made this day an easy session"
        )
    return item, notes


def rule_violations(item: LLMWorkout, spec: WeekSpec, accepted: dict[int, Workout]) -> list[str]:
    """The shared coaching rules that gate one workout, checked within its week so far:
    violations of other days are not this answer's fault."""
    if spec.rules is None:
        return []
    candidate = to_workout(item, spec)
    week = sorted([*accepted.values(), candidate], key=lambda w: w.day)
    violations = validate_plan(
        week, weeks=spec.weeks, rules=spec.rules, level=spec.level, start_date=spec.start_date
    )
    return [
        f"day {item.d}: {v.message} ({v.rule})"
        for v in violations
        if v.rule in GATED_RULES and v.week == spec.week and v.day == item.d
    ]


def week_warnings(released: list[Workout], spec: WeekSpec) -> list[str]:
    """The whole-week and progression rules for a finished week, as warnings: its
    workouts are out already, and these rules judge the draft more than the LLM."""
    if spec.rules is None:
        return []
    violations = validate_plan(
        released,
        weeks=spec.weeks,
        rules=spec.rules,
        level=spec.level,
        start_date=spec.start_date,
    )
    return [
        str(v)
        for v in violations
        if v.week == spec.week and v.rule not in GATED_RULES and v.rule != "week-missing"
    ]
