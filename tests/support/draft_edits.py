"""A built-in draft as editable lines, random edits of it (hypothesis), and the check that a
plan is the edited draft, field for field, or says where it is not.

The check is its own oracle: it knows what each edit wrote (the test wrote it) and reads
the workout's segments directly; it does not use the engine's parser or fidelity check.
A field the plan does not keep must be named by a warning
`line <n>: <field> <written> → <planned>`, the format of docs/draft-format.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st

from coach.engines.base import GenerationContext
from coach.engines.builtin import write_draft
from coach.engines.builtin.draft import generate
from coach.plans.models import Segment, Step, Target, Workout

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PHASES = ("base", "build", "peak", "taper", "recovery")
_RUN = {"easy-run", "recovery-run", "long-run"}
_RIDE = {"easy-ride", "recovery-ride", "long-ride", "sweet-spot", "vo2max", "brick"}
_SWIM = {"endurance-swim", "technique-swim", "swim-intervals"}
# Paces (s/km) a coach would write for a steady session, per discipline.
SENSIBLE_PACE = {"running": (240, 450), "cycling": (100, 180), "swimming": (1000, 1600)}

_LINE = re.compile(
    r"W(?P<week>\d+) D(?P<day>\d) (?P<weekday>\w{3})  (?P<title>.+), "
    r"(?P<duration>\d+ min|\d+h \d\dm), (?P<km>\d+\.\d) km(?: \[.*\])?"
)
_HEADER = re.compile(r"Week (?P<week>\d+) — (?P<phase>\w+) \(focus: (?P<focus>[^)]*)\)(?P<rest>.*)")
_REPS = re.compile(r"(?P<name>.+?) (?P<reps>\d+)x(?P<size>\d+m|\d+ min|\d+ s) @ (?P<effort>.+)")
_LAST = re.compile(r"(?P<name>Progression run), last (?P<size>\d+ min|\d+ s) @ (?P<effort>.+)")
_BLOCK = re.compile(r"(?P<name>Tempo(?: ride)?) (?P<size>\d+ min) @ (?P<effort>.+)")


@dataclass
class Title:
    """A title in the forms the built-in engine writes."""

    name: str
    reps: int | None = None  # NxSIZE
    size: str | None = None  # "800m", "3 min", "75 s"
    last: bool = False  # "name, last SIZE @ effort"
    effort: str | None = None  # "Z4", "3:45/km", "160-168 bpm", "250-263 W", "RPE 7-8"

    def text(self) -> str:
        if self.size is None:
            return self.name
        effort = f" @ {self.effort}" if self.effort else ""
        if self.last:
            return f"{self.name}, last {self.size}{effort}"
        if self.reps is not None:
            return f"{self.name} {self.reps}x{self.size}{effort}"
        return f"{self.name} {self.size}{effort}"

    @classmethod
    def read(cls, text: str) -> Title:
        if m := _REPS.fullmatch(text):
            return cls(m["name"], int(m["reps"]), m["size"], effort=m["effort"])
        if m := _LAST.fullmatch(text):
            return cls(m["name"], None, m["size"], last=True, effort=m["effort"])
        if m := _BLOCK.fullmatch(text):
            return cls(m["name"], None, m["size"], effort=m["effort"])
        return cls(text)


@dataclass
class Line:
    week: int
    day: int
    type: str
    title: Title
    seconds: int | None
    meters: int | None

    def text(self, first_weekday: int) -> str:
        weekday = WEEKDAYS[(first_weekday + self.day - 1) % 7]
        fields = [self.title.text()]
        if self.seconds is not None:
            fields.append(duration_text(self.seconds))
        if self.meters is not None:
            fields.append(km_text(self.meters))
        return f"W{self.week} D{self.day} {weekday}  {', '.join(fields)}"


@dataclass
class Week:
    number: int
    phase: str
    focus: str


@dataclass
class Draft:
    """The draft as the test knows it: intro, weeks and lines, in the order written."""

    intro: str
    weeks: list[Week]
    lines: list[Line]
    first_weekday: int
    sport: str
    linenos: dict[int, int] = field(default_factory=dict)  # id(line) -> line number

    def render(self) -> str:
        out = self.intro.rstrip("\n").split("\n") + [""]
        self.linenos = {}
        for week in self.weeks:
            out.append(f"Week {week.number} — {week.phase} (focus: {week.focus})")
            for line in self.lines:
                if line.week == week.number:
                    out.append(line.text(self.first_weekday))
                    self.linenos[id(line)] = len(out)
            out.append("")
        return "\n".join(out) + "\n"

    def planned_lines(self) -> dict[tuple[int, int], Line]:
        """The line each (week, day) is planned from: the last one written for it."""
        self.render()
        chosen: dict[tuple[int, int], Line] = {}
        for line in sorted(self.lines, key=lambda x: self.linenos[id(x)]):
            chosen[(line.week, line.day)] = line
        return chosen


def duration_text(seconds: int) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 100 else f"{minutes // 60}h {minutes % 60:02d}m"


def km_text(meters: int) -> str:
    return f"{meters / 1000:.1f} km"


def _seconds(text: str) -> int:
    if m := re.fullmatch(r"(\d+)h (\d\d)m", text):
        return int(m[1]) * 3600 + int(m[2]) * 60
    return int(text.split()[0]) * 60


def from_builtin(ctx: GenerationContext) -> Draft:
    """The built-in engine's draft for `ctx`, read into lines (types from its plan)."""
    text = write_draft(ctx)
    types = {(s.week, s.day): s.shown.type for s in generate(ctx).slots}
    intro, _, _ = text.partition("\nWeek 1 —")
    weeks: list[Week] = []
    lines: list[Line] = []
    for raw in text.splitlines():
        if m := _HEADER.fullmatch(raw):
            weeks.append(Week(int(m["week"]), m["phase"], m["focus"]))
        elif m := _LINE.fullmatch(raw):
            week, day = int(m["week"]), int(m["day"])
            lines.append(
                Line(
                    week,
                    day,
                    types[(week, day)],
                    Title.read(m["title"]),
                    _seconds(m["duration"]),
                    round(float(m["km"]) * 1000),
                )
            )
    start = ctx.request.start_date
    return Draft(intro + "\n", weeks, lines, start.weekday() if start else 0, ctx.request.sport)


def discipline(kind: str, sport: str) -> str:
    if kind in _RUN:
        return "running"
    if kind in _RIDE:
        return "cycling"
    if kind in _SWIM:
        return "swimming"
    return "running" if sport == "triathlon" else sport


# Lines a coach adds, per discipline: (title, type, minutes); km from a sensible pace.
_ADD_RUN = (
    (Title("Easy run"), "easy-run", 40),
    (Title("Recovery run"), "recovery-run", 30),
    (Title("Long run"), "long-run", 80),
    (Title("Tempo", None, "20 min", effort="Z3"), "tempo", 45),
    (Title("Intervals", 5, "1000m", effort="Z5"), "intervals", 55),
    (Title("Hill repeats", 6, "90 s", effort="Z5"), "hills", 50),
    (Title("Fartlek", 8, "1 min", effort="Z5"), "fartlek", 45),
    (Title("Threshold", 2, "10 min", effort="Z4"), "threshold", 50),
    (Title("Progression run", None, "10 min", last=True, effort="Z3"), "progression", 50),
)
_ADD_RIDE = (
    (Title("Easy ride"), "easy-ride", 60),
    (Title("Long ride"), "long-ride", 150),
    (Title("Threshold ride", 2, "12 min", effort="Z4"), "threshold", 70),
    (Title("Sweet spot ride", 3, "10 min", effort="Z3"), "sweet-spot", 75),
    (Title("VO2max ride", 5, "3 min", effort="Z5"), "vo2max", 60),
    (Title("Tempo ride", None, "25 min", effort="Z3"), "tempo", 60),
)
_ADD_SWIM = (
    (Title("Endurance swim"), "endurance-swim", 40),
    (Title("Technique swim"), "technique-swim", 30),
    (Title("Swim intervals", 8, "100m", effort="Z4"), "swim-intervals", 45),
)
ADDED = {
    "running": _ADD_RUN,
    "cycling": _ADD_RIDE,
    "swimming": _ADD_SWIM,
    "triathlon": _ADD_RUN[:3] + _ADD_RIDE[:2] + _ADD_SWIM[:1],
}


def _sensible_meters(draw: Any, seconds: int, kind: str, sport: str) -> int:
    low, high = SENSIBLE_PACE[discipline(kind, sport)]
    pace = draw(st.integers(low, high))
    return max(100, round(seconds * 1000 / pace / 100) * 100)


def edit(draw: Any, draft: Draft) -> str:
    """Draw one edit, apply it to `draft`, and say what it was."""
    lines = draft.lines
    kinds = ["minutes", "km", "reps", "size", "effort", "move", "delete", "add", "phase"]
    kind = draw(st.sampled_from(kinds))
    if kind == "add" or not lines:
        title, type_, minutes = draw(st.sampled_from(ADDED[draft.sport]))
        line = Line(
            draw(st.integers(1, len(draft.weeks))),
            draw(st.integers(1, 7)),
            type_,
            replace(title),
            minutes * 60,
            None,
        )
        if draw(st.booleans()):
            line.meters = _sensible_meters(draw, minutes * 60, type_, draft.sport)
        lines.insert(draw(st.integers(0, len(lines))), line)
        return f"add {line.text(draft.first_weekday)}"
    if kind == "phase":
        week = draw(st.sampled_from(draft.weeks))
        week.phase = draw(st.sampled_from(PHASES))
        return f"phase of week {week.number}: {week.phase}"
    line = draw(st.sampled_from(lines))
    before = line.text(draft.first_weekday)
    if kind == "minutes":
        line.seconds = draw(st.integers(20, 150)) * 60
    elif kind == "km":
        seconds = line.seconds or 3600
        if draw(st.integers(0, 9)) == 0:
            line.meters = draw(st.integers(1, 80)) * 1000  # anything, even absurd
        else:
            line.meters = _sensible_meters(draw, seconds, line.type, draft.sport)
    elif kind == "reps" and line.title.reps is not None:
        line.title.reps = draw(st.integers(1, 12))
    elif kind == "size" and line.title.size is not None:
        if line.title.size.endswith("m") and not line.title.size.endswith(" m"):
            line.title.size = f"{draw(st.integers(2, 20)) * 100}m"
        elif line.title.size.endswith(" s"):
            line.title.size = f"{draw(st.integers(3, 12)) * 10} s"
        else:
            line.title.size = f"{draw(st.integers(1, 15))} min"
    elif kind == "effort" and line.title.effort is not None:
        running = discipline(line.type, draft.sport) == "running"
        if running and draw(st.booleans()):
            pace = draw(st.integers(180, 420))
            line.title.effort = f"{pace // 60}:{pace % 60:02d}/km"
        else:
            line.title.effort = f"Z{draw(st.integers(1, 5))}"
    elif kind == "move":
        line.day = draw(st.integers(1, 7))
    elif kind == "delete":
        lines.remove(line)
        return f"delete {before}"
    return f"{kind}: {before} → {line.text(draft.first_weekday)}"


# -- the check ------------------------------------------------------------------------


def _main(workout: Workout) -> Segment | None:
    mains = [s for s in workout.segments if s.kind == "main"]
    return next((s for s in mains if any(st.intensity == "interval" for st in s.steps)), None)


def _length(step: Step) -> str:
    value = step.duration_value or 0
    if step.duration_type == "distance_meters":
        return f"{value:g}m"
    if value % 60 == 0 or value >= 600:
        return f"{round(value / 60)} min"
    return f"{round(value)} s"


def _effort(target: Target | None) -> str:
    if target is None:
        return "none"
    if target.low is None or target.high is None:
        return f"Z{target.zone}"
    if target.type == "pace":
        mid = round((target.low + target.high) / 2)
        return f"{mid // 60}:{mid % 60:02d}/km"
    span = f"{target.low:g}-{target.high:g}"
    return {"heart_rate": f"{span} bpm", "power": f"{span} W", "rpe": f"RPE {span}"}.get(
        target.type, span
    )


def _holds(effort: str, target: Target | None) -> bool:
    if target is None:
        return False
    if m := re.fullmatch(r"Z(\d)", effort):
        return target.zone == int(m[1])
    if m := re.fullmatch(r"(\d+):(\d\d)/km", effort):
        pace = int(m[1]) * 60 + int(m[2])
        mid = (target.low or 0) + (target.high or 0)
        return target.type == "pace" and abs(mid / 2 - pace) <= 0.5
    return _effort(target) == effort


def _fields(line: Line, workout: Workout, phase: str) -> list[tuple[str, str, str]]:
    """(field, written, planned) for each field of `line` that `workout` does not keep."""
    found = []
    if workout.type != line.type:
        found.append(("type", line.type, workout.type))
    if line.seconds is not None and duration_text(line.seconds) != duration_text(workout.duration):
        found.append(("duration", duration_text(line.seconds), duration_text(workout.duration)))
    if line.meters is not None and km_text(line.meters) != km_text(workout.distance):
        found.append(("distance", km_text(line.meters), km_text(workout.distance)))
    title = line.title
    work: Step | None = None
    if title.size is not None and title.last:
        mains = [s for s in workout.segments if s.kind == "main"]
        work = mains[-1].steps[-1]
        if _length(work) != title.size:
            found.append(("rep length", title.size, _length(work)))
    elif title.size is not None:
        segment = _main(workout)
        assert segment is not None, f"no main set for {title.text()}"
        if segment.repeats != (title.reps or 1):
            found.append(("reps", str(title.reps or 1), str(segment.repeats)))
        work = next(st for st in segment.steps if st.intensity == "interval")
        if _length(work) != title.size:
            found.append(("rep length", title.size, _length(work)))
    if title.effort is not None and work is not None and not _holds(title.effort, work.target):
        name = "zone" if title.effort.startswith("Z") else "pace"
        if not re.fullmatch(r"Z\d|\d+:\d\d/km", title.effort):
            name = "target"
        found.append((name, title.effort, _effort(work.target)))
    if workout.phase != phase:
        found.append(("phase", phase, workout.phase))
    return found


@dataclass
class Report:
    """What the check found: every difference, and which of them a warning names."""

    differences: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)


def check_plan(draft: Draft, workouts: list[Workout], warnings: list[str]) -> Report:
    """The plan is the edited draft, field for field, or a warning names each difference."""
    planned = draft.planned_lines()
    by_day = {(w.week, w.day): w for w in workouts}
    assert sorted(by_day) == sorted(planned), (
        f"workouts on {sorted(set(by_day) ^ set(planned))} but lines on the others"
    )
    assert len(by_day) == len(workouts), "two workouts on one day"
    phases = {week.number: week.phase for week in draft.weeks}
    report = Report()
    for key, line in planned.items():
        workout = by_day[key]
        assert workout.title == line.title.text(), (workout.title, line.title.text())
        lineno = draft.linenos[id(line)]
        for name, written, planned_value in _fields(line, workout, phases[line.week]):
            said = f"line {lineno}: {name} {written} → {planned_value}"
            report.differences.append(said)
            if not any(w.startswith(said) for w in warnings):
                report.unexplained.append(said)
    return report
