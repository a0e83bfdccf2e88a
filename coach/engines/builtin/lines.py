"""Workouts for a coach's draft lines, built to what each line says.

The line's minutes and km are the workout's; its title's main set and effort are the main
set's (coach.plans.session_text). A line without minutes gets a typical length for its
type and week. Whatever the built workout does not keep of the line (a main set longer
than the line's minutes, a distance no one covers in that time) is a warning naming the
line, the field, the number written and the number planned (coach.plans.fidelity).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from coach.engines.base import DraftContext
from coach.engines.builtin.planner import (
    DayPlan,
    PlanSettings,
    WeekPlan,
    from_library,
    intensities,
    plan_weeks,
    realize_session,
    settings_from,
)
from coach.engines.builtin.week import QUALITY_MINUTES, floor5
from coach.plans.draft_format import ParsedLine
from coach.plans.fidelity import changes, explained
from coach.plans.instructions import parse_instructions
from coach.plans.models import Phase, Workout
from coach.plans.session_text import discipline_of

_STEADY = frozenset(
    {
        "easy-run",
        "recovery-run",
        "long-run",
        "easy-ride",
        "recovery-ride",
        "long-ride",
        "endurance-swim",
        "technique-swim",
    }
)
_DEFAULT_MINUTES = {"easy": 45, "recovery": 30, "strength": 40, "brick": 90}


@dataclass(frozen=True)
class LineWorkout:
    """The workout for a line (None: no library workout fits under strict_existing), and
    a warning for each thing it does not keep of the line."""

    workout: Workout | None
    warnings: list[str] = field(default_factory=list)


def default_seconds(kind: str, week: WeekPlan, settings: PlanSettings) -> int:
    """A typical length for a line that gives none."""
    if kind.startswith("long"):
        minutes = min(
            floor5(settings.rules.long_run_max_share * week.volume),
            settings.rules.long_run_max_minutes,
        )
    elif kind in _STEADY:
        minutes = _DEFAULT_MINUTES["recovery" if "recovery" in kind else "easy"]
    else:
        minutes = _DEFAULT_MINUTES.get(kind, QUALITY_MINUTES[settings.level])
    return max(20, minutes) * 60


class LineBuilder:
    """Builds workouts from draft lines for one request's plan (its weeks and athlete)."""

    def __init__(self, settings: PlanSettings, weeks: list[WeekPlan]) -> None:
        self.settings = settings
        self.weeks = {w.frame.week: w for w in weeks}

    @classmethod
    def for_request(cls, ctx: DraftContext, *, principles_dir: Path | None = None) -> LineBuilder:
        settings = settings_from(ctx, principles_dir=principles_dir)
        return cls(settings, plan_weeks(settings))

    def build(self, line: ParsedLine, phase: Phase | None = None) -> LineWorkout:
        """The workout for `line` (day within 1..7, week within the plan), in `phase`
        (the week header's) or the plan's phase for its week."""
        settings = self.settings
        week = self.weeks[line.week]
        sport = discipline_of(line.title, line.type, settings.sport)
        seconds = line.seconds
        if seconds is None:
            if line.meters is not None:
                seconds = round(line.meters * intensities(settings, sport).pace("easy") / 1000)
            else:
                seconds = default_seconds(line.type, week, settings)
        day = DayPlan(
            line.week,
            line.day,
            line.type,
            sport,
            seconds,
            line.meters,
            line.spec,
            exact=line.seconds is not None,
        )
        if line.type == "race":
            # The race the line names ("10k race"), else the request's goal race.
            race = parse_instructions(line.title).race or settings.race
            settings = replace(settings, race=race)
        built, refits = realize_session(settings, week, day)
        built = built.model_copy(update={"title": line.title, "phase": phase or built.phase})
        reasons: dict[str, str] = {refit.field: refit.reason for refit in refits}
        final, warning = from_library(settings, built)
        if final is None:
            return LineWorkout(None, [f"line {line.lineno}: {warning}"])
        found = changes(line, final, phase)
        if final is not built and found and settings.content_source == "prefer_existing":
            # A library workout is preferred only when it keeps what the coach wrote.
            final, found = built, changes(line, built, phase)
        elif final is not built:
            reasons = {f: f"the library workout {final.title!r}" for f in ("duration", "distance")}
        return LineWorkout(final, [str(c) for c in explained(found, reasons)])
