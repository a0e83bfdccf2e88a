"""Does a planned workout keep what the coach wrote on its draft line? Field by field.

The fields are the day, the session type, the minutes and km (as the draft shows them:
whole minutes, tenths of a km), the phase of the week's header, and what the title fixes:
the main set's reps and rep length, and the effort of its work (a zone, a pace, a range
of bpm, W or RPE). Every engine runs `changes` on each workout it builds from a coach's
line and reports each change as a warning, so no number changes silently:

    line 12: duration 20 min → 31 min (the main set alone takes 26 min, ...)
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.plans.draft_format import ParsedLine, format_duration, format_km
from coach.plans.models import Phase, Segment, Step, Workout
from coach.plans.session_text import (
    Effort,
    MainSet,
    describe_target,
    format_clock,
    format_meters,
)

FIELDS = (
    "day",
    "type",
    "duration",
    "distance",
    "reps",
    "rep length",
    "zone",
    "pace",
    "target",
    "phase",
)


@dataclass(frozen=True)
class Change:
    """One field of a draft line the plan does not keep: as written and as planned."""

    lineno: int
    field: str
    written: str
    planned: str
    reason: str | None = None

    def __str__(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"line {self.lineno}: {self.field} {self.written} → {self.planned}{why}"


def _step_length(step: Step) -> str:
    if step.duration_value is None or step.duration_type == "open":
        return "open"
    if step.duration_type == "distance_meters":
        return format_meters(step.duration_value)
    return format_clock(step.duration_value)


def _same_length(step: Step, main: MainSet) -> bool:
    value = step.duration_value
    if value is None:
        return False
    if main.rep_meters is not None:
        return step.duration_type == "distance_meters" and abs(value - main.rep_meters) < 0.5
    return step.duration_type == "time" and abs(value - (main.rep_seconds or 0)) < 0.5


def main_segment(workout: Workout) -> Segment | None:
    """The segment of the main set: the first main segment with work in it."""
    mains = [s for s in workout.segments if s.kind == "main"]
    return next((s for s in mains if any(st.intensity == "interval" for st in s.steps)), None)


def work_step(workout: Workout, main: MainSet | None) -> Step | None:
    """The step the title's effort is about: a rep of the main set, the closing block,
    or (without a main set) the longest step of the main segments."""
    mains = [s for s in workout.segments if s.kind == "main"]
    if not mains:
        return None
    if main is not None and main.last:
        return mains[-1].steps[-1]
    if main is not None:
        segment = main_segment(workout)
        if segment is None:
            return None
        return next(st for st in segment.steps if st.intensity == "interval")
    steps = [st for s in mains for st in s.steps]
    return max(steps, key=lambda st: st.duration_value or 0)


def _effort_field(effort: Effort) -> str:
    return {"zone": "zone", "pace": "pace"}.get(effort.kind, "target")


def _main_set_changes(line: ParsedLine, workout: Workout) -> list[Change]:
    main = line.spec.main
    if main is None:
        return []
    n = line.lineno
    if main.last:
        mains = [s for s in workout.segments if s.kind == "main"]
        last = mains[-1].steps[-1] if mains else None
        if last is None or not _same_length(last, main):
            planned = _step_length(last) if last else "none"
            return [Change(n, "rep length", main.rep_text(), planned)]
        return []
    segment = main_segment(workout)
    if segment is None:
        return [Change(n, "reps", str(main.reps), "no main set")]
    found: list[Change] = []
    if segment.repeats != main.reps:
        found.append(Change(n, "reps", str(main.reps), str(segment.repeats)))
    step = next(st for st in segment.steps if st.intensity == "interval")
    if not _same_length(step, main):
        found.append(Change(n, "rep length", main.rep_text(), _step_length(step)))
    return found


def changes(line: ParsedLine, workout: Workout, phase: Phase | None = None) -> list[Change]:
    """Every field of `line` that `workout` does not keep (`phase`: the week header's)."""
    n = line.lineno
    found: list[Change] = []
    if workout.day != line.day:
        found.append(Change(n, "day", f"D{line.day}", f"D{workout.day}"))
    if workout.type != line.type:
        found.append(Change(n, "type", line.type, workout.type))
    if line.seconds is not None and format_duration(line.seconds) != format_duration(
        workout.duration
    ):
        found.append(
            Change(n, "duration", format_duration(line.seconds), format_duration(workout.duration))
        )
    if line.meters is not None and format_km(line.meters) != format_km(workout.distance):
        found.append(Change(n, "distance", format_km(line.meters), format_km(workout.distance)))
    found += _main_set_changes(line, workout)
    effort = line.spec.effort
    if effort is not None:
        step = work_step(workout, line.spec.main)
        target = step.target if step is not None else None
        if not effort.held_by(target):
            planned = describe_target(target) if target is not None else "none"
            found.append(Change(n, _effort_field(effort), effort.text(), planned))
    if phase is not None and workout.phase != phase:
        found.append(Change(n, "phase", phase, workout.phase))
    return found


def explained(found: list[Change], reasons: dict[str, str]) -> list[Change]:
    """The changes with the reason the engine gave for each field, where it gave one."""
    return [
        Change(c.lineno, c.field, c.written, c.planned, reasons.get(c.field, c.reason))
        for c in found
    ]
