"""Check one LLM workout against the model, its draft line and the rules; repair what is safe."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from coach.engines.llm.convert import (
    WeekSpec,
    from_draft,
    main_set_segment,
    to_workout,
    work_of,
)
from coach.engines.llm.draftlines import DraftLine
from coach.engines.llm.schema import LLMSegment, LLMStep, LLMWorkout
from coach.plans.models import HARD_TYPES, Workout
from coach.plans.sports import MIN_MINUTES, max_minutes
from coach.plans.validate import validate_plan

# Rules of coach.plans.validate that one workout can break by itself. The others (hard
# days back to back, quality days, long-run share, weekly increase) follow from the draft
# the coach approved, so they are reported, not re-asked: the LLM cannot fix the draft.
GATED_RULES = frozenset({"date", "segments", "segment-totals", "duration", "one-per-day"})
# Plausible average pace in minutes per km, and a typical one for repairs.
PACE_RANGE: dict[str, tuple[float, float, float]] = {
    "running": (2.8, 10.0, 6.0),
    "cycling": (1.1, 5.0, 2.0),
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


def check(item: LLMWorkout, spec: WeekSpec, accepted: dict[int, Workout]) -> list[str]:
    """Everything wrong with one workout, phrased so the model can fix it."""
    day = item.d
    line = spec.draft.line(day)
    if line is None:
        return [f"day {day} has no line in week {spec.week}; its days are {spec.draft.days}"]
    errors: list[str] = []
    if (line.type in HARD_TYPES) != (item.t in HARD_TYPES):
        errors.append(f"day {day}: the plan line is a {line.type} session, not a {item.t}")
    errors.extend(main_set_errors(item, line))
    total = item.segment_minutes()
    if not _close(item.min, total, absolute=1, relative=0.03):
        errors.append(f"day {day}: min is {item.min:g} but the segments add up to {total:g} min")
    if line.minutes is not None and not _close(total, line.minutes, absolute=3, relative=0.1):
        errors.append(f"day {day}: the plan line says {line.minutes:g} min, not {total:g} min")
    if line.km is not None and not _close(item.km, line.km, absolute=0.5, relative=0.1):
        errors.append(f"day {day}: the plan line says {line.km:g} km, not {item.km:g} km")
    # Numbers the line does not give must be plausible; those it gives are the coach's
    # (the fit meets them, or the plan says why not).
    if line.minutes is None and not MIN_MINUTES <= total <= max_minutes(item.t, spec.sport):
        errors.append(f"day {day}: {total:g} minutes is not a plausible {item.t}")
    pace = PACE_RANGE.get(spec.sport)
    if line.km is None and pace and item.km > 0 and not pace[0] <= total / item.km <= pace[1]:
        errors.append(f"day {day}: {total:g} min for {item.km:g} km is not a plausible pace")
    errors.extend(rule_violations(item, spec, accepted))
    return errors


def main_set_errors(item: LLMWorkout, line: DraftLine) -> list[str]:
    """The main set the line's title names ("6x3 min", "Tempo 20 min", "last 10 min"),
    as the answer must write it: its reps and, for reps by time, their minutes."""
    main = line.line.spec.main
    if main is None:
        return []
    day = item.d
    if main.last:
        mains = [seg for seg in item.seg if seg.k == "main"]
        last = mains[-1].st[-1] if mains else None
        if main.rep_seconds and (last is None or abs(last.min * 60 - main.rep_seconds) > 3):
            return [
                f"day {day}: the plan line ends with {main.rep_text()}; make the last main "
                f"step {main.rep_seconds / 60:g} min"
            ]
        return []
    segment = main_set_segment(item, main)
    if segment is None or segment.x != main.reps:
        found = "none" if segment is None else f"x {segment.x}"
        return [
            f"day {day}: the plan line's main set is {main.text()}: write a main segment "
            f"with x {main.reps}, not {found}"
        ]
    work = work_of(segment)
    if main.rep_seconds and abs(work.min * 60 - main.rep_seconds) > 3:
        return [f"day {day}: the plan line's repeats are {main.rep_text()}, not {work.min:g} min"]
    return []


def _flexible(seg: LLMSegment, step: LLMStep) -> bool:
    return seg.k != "main" or (seg.x == 1 and step.i != "interval")


def _scaled(item: LLMWorkout, minutes: float, *, keep_main_set: bool) -> list[LLMSegment]:
    """The segments scaled to `minutes`; with `keep_main_set`, only the warmup, cooldown
    and steady steps (the line's main set is exact), when they can absorb the change."""
    total = item.segment_minutes()
    flexible = sum(seg.x * step.min for seg in item.seg for step in seg.st if _flexible(seg, step))
    fixed = total - flexible
    if keep_main_set and flexible > 0 and minutes - fixed > 0:
        factor, only_flexible = (minutes - fixed) / flexible, True
    else:
        factor, only_flexible = minutes / total, False
    return [
        seg.model_copy(
            update={
                "st": [
                    step.model_copy(update={"min": max(0.5, round(step.min * factor * 2) / 2)})
                    if not only_flexible or _flexible(seg, step)
                    else step
                    for step in seg.st
                ]
            }
        )
        for seg in item.seg
    ]


def with_main_set(item: LLMWorkout, line: DraftLine) -> LLMWorkout:
    """The answer with the main set the line's title names in place of its own: its
    warmup and cooldown kept, the main set as written (a repair of the last attempt)."""
    main = line.line.spec.main
    assert main is not None
    effort = line.line.spec.effort
    mains = [seg for seg in item.seg if seg.k == "main"]
    zone = max(st.z for seg in mains for st in seg.st) if mains else 4
    if effort is not None and effort.kind == "zone":
        zone = max(1, min(5, int(effort.low)))
    if main.rep_seconds is not None:
        rep = main.rep_seconds / 60
    else:
        rep = round(
            (main.rep_meters or 0) / 1000 * (effort.low / 60 if effort and effort.pace else 5), 2
        )
    warm = [seg for seg in item.seg if seg.k == "warmup"] or [
        LLMSegment(k="warmup", x=1, st=[LLMStep(i="warmup", min=10, z=1)])
    ]
    cool = [seg for seg in item.seg if seg.k == "cooldown"] or [
        LLMSegment(k="cooldown", x=1, st=[LLMStep(i="cooldown", min=10, z=1)])
    ]
    if main.last:
        outside = sum(seg.x * sum(st.min for st in seg.st) for seg in warm + cool)
        easy = max(1.0, item.segment_minutes() - outside - rep)
        body = [
            LLMSegment(
                k="main",
                x=1,
                st=[LLMStep(i="active", min=easy, z=2), LLMStep(i="interval", min=rep, z=zone)],
            )
        ]
    else:
        steps = [LLMStep(i="interval", min=rep, z=zone)]
        if main.reps > 1:
            steps.append(LLMStep(i="recovery", min=2, z=1))
        body = [LLMSegment(k="main", x=main.reps, st=steps)]
    rebuilt = item.model_copy(update={"seg": [*warm, *body, *cool]})
    return rebuilt.model_copy(update={"min": rebuilt.segment_minutes()})


def repair(
    item: LLMWorkout, spec: WeekSpec, accepted: dict[int, Workout]
) -> tuple[LLMWorkout, list[str]]:
    """Deterministic fixes for the last attempt: trust the draft's minutes and km, make the
    stated total match the segments, rebuild a session of the wrong kind from its line."""
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
    if line is not None and line.line.spec.main is not None and main_set_errors(item, line):
        notes.append(
            f"{where}: the LLM's main set was not the line's; wrote {line.line.spec.main.text()}"
        )
        item = with_main_set(item, line)
    total = item.segment_minutes()
    wanted = line.minutes if line is not None else None
    cap = max_minutes(item.t, spec.sport)
    if wanted is None and total > cap:
        wanted = cap
    if wanted is not None and not _close(total, wanted, absolute=3, relative=0.1):
        keep = line is not None and line.line.spec.main is not None
        item = item.model_copy(update={"seg": _scaled(item, wanted, keep_main_set=keep)})
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
        f"coaching rule broken by the draft: {v}"
        for v in violations
        if v.week == spec.week and v.rule not in GATED_RULES and v.rule != "week-missing"
    ]
