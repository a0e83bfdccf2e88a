"""Builds the structured plan from the coach's refined draft, honoring every edit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from coach.engines.base import DraftContext
from coach.engines.builtin.draft import Generated, Slot, generate
from coach.engines.builtin.lines import LineBuilder
from coach.plans.deadline import NO_DEADLINE, Deadline
from coach.plans.draft_format import MAX_LINE_CHARS, ParsedLine, format_duration, format_km
from coach.plans.fidelity import changes
from coach.plans.models import Phase, WeekInfo, Workout
from coach.plans.plan_lines import read_plan_lines
from coach.plans.validate import validate_plan
from coach.plans.weeks import by_week


@dataclass(frozen=True)
class BuiltPlan:
    """The structured plan: workouts in plan order, per-week info, and warnings."""

    workouts: list[Workout]
    weekly_info: dict[int, WeekInfo]
    warnings: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _same(line: ParsedLine, shown: Workout) -> bool:
    """Does the line still say what the engine wrote for this workout?"""
    if line.type != shown.type or _norm(line.title) != _norm(shown.title):
        return False
    # Compare as written: the draft shows whole minutes and tenths of a km.
    if line.seconds is not None and format_duration(line.seconds) != format_duration(
        shown.duration
    ):
        return False
    return line.meters is None or format_km(line.meters) == format_km(shown.distance)


class _Reconciler:
    def __init__(self, gen: Generated) -> None:
        self.gen = gen
        self.settings = gen.settings
        self.by_week = by_week(gen.slots)
        self.used: set[tuple[int, int]] = set()
        self.builder = LineBuilder(gen.settings, gen.weeks)
        self.warnings: list[str] = []

    def _matching_slot(self, line: ParsedLine) -> Slot | None:
        candidates = [
            s
            for s in self.by_week.get(line.week, [])
            if (s.week, s.day) not in self.used and _same(line, s.shown)
        ]
        # The same day first: an unchanged line stays where it was.
        candidates.sort(key=lambda s: (s.day != line.day, s.day))
        return candidates[0] if candidates else None

    def workout_for(self, line: ParsedLine, phase: Phase | None) -> Workout | None:
        """The drafted workout for an unchanged (or only moved) line; a new one, built to
        what the line says, for an edited or added line."""
        slot = self._matching_slot(line)
        if slot is None:
            built = self.builder.build(line, phase)
            self.warnings += built.warnings
            return built.workout
        self.used.add((slot.week, slot.day))
        if slot.final is None:
            self.warnings.append(f"line {line.lineno}: {slot.warning}")
            return None
        workout = slot.final
        if slot.day != line.day:
            date = self.settings.date(line.week, line.day)
            workout = workout.model_copy(update={"day": line.day, "date": date})
        if phase and phase != workout.phase:
            workout = workout.model_copy(update={"phase": phase})
        self.warnings += [str(c) for c in changes(line, workout, phase)]
        return workout


def _weekly_info(
    gen: Generated, workouts: list[Workout], overrides: dict[int, tuple[Phase | None, str | None]]
) -> dict[int, WeekInfo]:
    info: dict[int, WeekInfo] = {}
    for week in gen.weeks:
        number = week.frame.week
        phase, focus = overrides.get(number, (None, None))
        info[number] = WeekInfo(
            phase=phase or week.frame.phase,
            focus=focus or week.focus,
            total_distance=sum(w.distance for w in workouts if w.week == number),
        )
    return info


def build_plan(
    ctx: DraftContext,
    refined_draft: str,
    *,
    principles_dir: Path | None = None,
    max_line_chars: int = MAX_LINE_CHARS,
    deadline: Deadline = NO_DEADLINE,
) -> BuiltPlan:
    """The structured plan for the coach's refined draft (see docs/draft-format.md).

    Unchanged lines give exactly the workouts the engine drafted; edited or added lines are
    built to what they say; unreadable lines, numbers the plan could not keep and broken
    coaching rules are warnings. A draft with no usable line raises UnreadableDraft.
    """
    gen = generate(ctx, principles_dir=principles_dir, deadline=deadline)
    settings = gen.settings
    lines = read_plan_lines(
        refined_draft,
        weeks=settings.weeks,
        sport=settings.sport,
        first_weekday=settings.first_weekday,
        max_line_chars=max_line_chars,
        deadline=deadline,
    )
    overrides = {week: (h.phase, h.focus) for week, h in lines.headers.items()}
    rec = _Reconciler(gen)
    workouts = []
    for index, line in enumerate(lines.lines):
        if index % 8 == 0:
            deadline.check()
        workout = rec.workout_for(line, overrides.get(line.week, (None, None))[0])
        if workout is not None:
            workouts.append(workout)
    warnings = lines.warnings + rec.warnings
    untouched = workouts == [s.final for s in gen.slots if s.final is not None]
    # Generated plans keep every rule (the test suite checks that); only edits can break one.
    if not untouched:
        for violation in validate_plan(
            workouts,
            weeks=settings.weeks,
            rules=settings.rules,
            level=settings.level,
            start_date=settings.start_date,
            max_quality=settings.max_quality(),
        ):
            warnings.append(f"coaching rule broken by the edits: {violation}")
    return BuiltPlan(workouts, _weekly_info(gen, workouts, overrides), warnings)
