"""Read a refined draft into weeks of workout lines: what each week's LLM request carries.

The text format is the built-in engine's (coach.plans.draft_format, docs/draft-format.md):

    Week 3 — build (focus: threshold work) — 4h 10m, 42.5 km
    W3 D2 Tue  Intervals 6x800m @ 3:45/km, 60 min, 11.0 km

The lines a plan is built from, and the warning for each line not used as written, come
from coach.plans.plan_lines, exactly as for the built-in engine; here they are grouped by
week. A draft with no usable line raises UnreadableDraft.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.plans.deadline import NO_DEADLINE, Deadline
from coach.plans.draft_format import MAX_LINE_CHARS, ParsedLine
from coach.plans.models import Phase, WorkoutType
from coach.plans.plan_lines import read_plan_lines


@dataclass(frozen=True)
class DraftLine:
    week: int
    day: int
    title: str
    type: WorkoutType
    minutes: float | None
    km: float | None
    text: str
    line: ParsedLine  # everything the line says (its title's main set and effort)

    @property
    def lineno(self) -> int:
        return self.line.lineno


@dataclass
class DraftWeek:
    week: int
    phase: Phase | None = None
    focus: str | None = None
    lines: list[DraftLine] = field(default_factory=list)

    @property
    def days(self) -> list[int]:
        return [line.day for line in self.lines]

    def line(self, day: int) -> DraftLine | None:
        return next((line for line in self.lines if line.day == day), None)


@dataclass
class Draft:
    weeks: dict[int, DraftWeek]
    warnings: list[str]

    @property
    def total(self) -> int:
        """The number of workouts the plan will have: one per usable line."""
        return sum(len(week.lines) for week in self.weeks.values())


def draft_line(line: ParsedLine) -> DraftLine:
    return DraftLine(
        week=line.week,
        day=line.day,
        title=line.title,
        type=line.type,
        minutes=line.seconds / 60 if line.seconds is not None else None,
        km=line.meters / 1000 if line.meters is not None else None,
        text=line.text,
        line=line,
    )


def parse_draft(
    text: str,
    *,
    weeks: int,
    sport: str = "running",
    first_weekday: int = 0,
    max_line_chars: int = MAX_LINE_CHARS,
    deadline: Deadline = NO_DEADLINE,
) -> Draft:
    found = read_plan_lines(
        text,
        weeks=weeks,
        sport=sport,
        first_weekday=first_weekday,
        max_line_chars=max_line_chars,
        deadline=deadline,
    )
    by_week = {n: DraftWeek(week=n) for n in range(1, weeks + 1)}
    for number, header in found.headers.items():
        by_week[number].phase, by_week[number].focus = header.phase, header.focus
    for line in found.lines:
        by_week[line.week].lines.append(draft_line(line))
    return Draft(weeks=by_week, warnings=found.warnings)
