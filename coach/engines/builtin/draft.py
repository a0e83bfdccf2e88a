"""Generates the plan from the request and writes it as draft text for the coach to edit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coach.engines.base import DraftContext
from coach.engines.builtin.planner import (
    PlanSettings,
    WeekPlan,
    from_library,
    plan_weeks,
    realize,
    settings_from,
)
from coach.plans.deadline import NO_DEADLINE, Deadline
from coach.plans.draft_format import WEEKDAYS, DraftEntry, DraftWeek, render_week
from coach.plans.models import Workout
from coach.plans.weeks import by_week


@dataclass(frozen=True)
class Slot:
    """One planned day: what the engine generated and what the plan holds after the
    content_source rule (None when strict_existing found no library workout)."""

    week: int
    day: int
    generated: Workout
    final: Workout | None
    warning: str | None

    @property
    def shown(self) -> Workout:
        return self.final or self.generated


@dataclass(frozen=True)
class Generated:
    settings: PlanSettings
    weeks: list[WeekPlan]
    slots: list[Slot]


def generate(
    ctx: DraftContext, *, principles_dir: Path | None = None, deadline: Deadline = NO_DEADLINE
) -> Generated:
    """The plan for the request in `ctx`; see settings_from for `principles_dir`."""
    settings = settings_from(ctx, principles_dir=principles_dir)
    weeks = plan_weeks(settings)
    slots: list[Slot] = []
    for week in weeks:
        deadline.check()
        for day in week.days:
            workout = realize(settings, week, day)
            final, warning = from_library(settings, workout)
            slots.append(Slot(day.week, day.day, workout, final, warning))
    return Generated(settings, weeks, slots)


def _intro(ctx: DraftContext, gen: Generated) -> str:
    s = gen.settings
    principle = ctx.principle
    if principle.principle is None:
        rule_note = f"a custom principle (the rules of {s.principle_name} apply to volumes)"
    else:
        rule_note = f"{s.principle_name} ({s.rules.title})"
    start = (
        f"starting {WEEKDAYS[s.start_date.weekday()]} {s.start_date.isoformat()}"
        if s.start_date
        else "day 1 is a Monday"
    )
    off = [WEEKDAYS[s.weekday(d)] for d in range(1, 8) if d not in s.available]
    lines = [
        f"Training plan draft: {s.weeks} week{'s' if s.weeks != 1 else ''}, {s.level}, "
        f"{s.sport}; principle: {rule_note}; {start}.",
        f"{s.days_per_week} training days a week"
        + (f"; no training on {', '.join(off)}" if off else "")
        + f"; up to {s.max_quality()} quality session{'s' if s.max_quality() != 1 else ''}"
        " a week, never on consecutive days.",
    ]
    if s.race:
        lines.append(f"Goal: {s.race.name} on the last day (W{s.weeks} D7), after a taper.")
    if s.content_source != "ai_generate":
        lines.append(
            f"Content source: {s.content_source}; library workouts are used where "
            "type and duration fit (within 20%)."
        )
    lines += [
        "How to edit: one line per workout, `W<week> D<day> <weekday>  <session>, <duration>, "
        "<distance>`.",
        "Move a workout by changing its D, change the session words, minutes or km, or delete "
        "the line to drop it. Days without a line are rest days; lines starting with # are "
        "notes.",
    ]
    return "\n".join(lines) + "\n\n"


def draft_pieces(ctx: DraftContext, gen: Generated) -> list[str]:
    """The draft of `gen` as pieces: the intro, then one piece per week."""
    s = gen.settings
    slots = by_week(gen.slots)
    pieces = [_intro(ctx, gen)]
    for week in gen.weeks:
        entries = []
        for slot in slots.get(week.frame.week, []):
            shown = slot.shown
            note = (
                "no library match"
                if slot.final is None
                else ("library" if shown.source == "library" else None)
            )
            entries.append(
                DraftEntry(
                    week=slot.week,
                    day=slot.day,
                    title=shown.title,
                    seconds=shown.duration,
                    meters=shown.distance,
                    weekday=WEEKDAYS[s.weekday(slot.day)],
                    note=note,
                )
            )
        pieces.append(
            render_week(DraftWeek(week.frame.week, week.frame.phase, week.focus, entries))
        )
    return pieces


def write_draft(
    ctx: DraftContext, *, principles_dir: Path | None = None, deadline: Deadline = NO_DEADLINE
) -> str:
    """The coach-editable draft text for the request in `ctx`."""
    gen = generate(ctx, principles_dir=principles_dir, deadline=deadline)
    return "".join(draft_pieces(ctx, gen))


__all__ = ["Generated", "Slot", "draft_pieces", "generate", "write_draft"]
