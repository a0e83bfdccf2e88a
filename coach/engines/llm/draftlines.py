"""Read a refined draft into weeks of workout lines: what each week's LLM request carries.

The text format is the built-in engine's (coach.plans.draft_format, docs/draft-format.md):

    Week 3 — build (focus: threshold work) — 4h 10m, 42.5 km
    W3 D2 Tue  Intervals 6x800m @ 3:45/km, 60 min, 11.0 km

Its tolerant parser reads the lines; here they are grouped by week, and every line that
cannot be used (unreadable, outside the plan, a second workout on a day) becomes a
warning, never a silent drop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.plans.draft_format import parse_draft as parse_draft_text
from coach.plans.models import Phase, WorkoutType


@dataclass(frozen=True)
class DraftLine:
    week: int
    day: int
    title: str
    type: WorkoutType
    minutes: float | None
    km: float | None
    text: str


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


def parse_draft(text: str, *, weeks: int, sport: str = "running") -> Draft:
    parsed = parse_draft_text(text, sport=sport)
    found = {n: DraftWeek(week=n) for n in range(1, weeks + 1)}
    warnings = [
        f"draft line {bad.lineno} ignored ({bad.reason}): {bad.text.strip()!r}"
        for bad in parsed.unreadable
    ]
    for number, header in parsed.headers.items():
        if number in found:
            found[number].phase, found[number].focus = header.phase, header.focus
    for line in parsed.lines:
        where = f"draft line {line.lineno}"
        if line.week not in found or not 1 <= line.day <= 7:
            warnings.append(f"{where} is outside the plan, ignored: {line.text.strip()!r}")
        elif found[line.week].line(line.day) is not None:
            warnings.append(
                f"{where} is a second workout on week {line.week} day {line.day}, ignored"
            )
        else:
            found[line.week].lines.append(
                DraftLine(
                    week=line.week,
                    day=line.day,
                    title=line.title[:200],
                    type=line.type,
                    minutes=line.seconds / 60 if line.seconds is not None else None,
                    km=line.meters / 1000 if line.meters is not None else None,
                    text=line.text.strip(),
                )
            )
    for week in found.values():
        week.lines.sort(key=lambda line: line.day)
    return Draft(weeks=found, warnings=warnings)
