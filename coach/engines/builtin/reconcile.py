"""Builds the structured plan from the coach's refined draft, honoring every edit."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from coach.engines.base import DraftContext
from coach.engines.builtin.draft import Generated, Slot, generate
from coach.engines.builtin.planner import (
    DayPlan,
    PlanSettings,
    WeekPlan,
    from_library,
    intensities,
    realize,
)
from coach.engines.builtin.week import QUALITY_MINUTES, floor5
from coach.plans.draft_format import (
    WEEKDAYS,
    ParsedLine,
    format_duration,
    format_km,
    parse_draft,
)
from coach.plans.instructions import parse_instructions
from coach.plans.models import Phase, WeekInfo, Workout
from coach.plans.sports import sport_of
from coach.plans.validate import validate_plan
from coach.plans.weeks import by_week

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


def _default_seconds(kind: str, week: WeekPlan, settings: PlanSettings) -> int:
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


class _Reconciler:
    def __init__(self, gen: Generated, request_race: bool) -> None:
        self.gen = gen
        self.settings = gen.settings
        self.weeks = {w.frame.week: w for w in gen.weeks}
        self.by_week = by_week(gen.slots)
        self.by_slot = {(s.week, s.day): s for s in gen.slots}
        self.used: set[tuple[int, int]] = set()
        self.warnings: list[str] = []
        self.request_race = request_race

    def _matching_slot(self, line: ParsedLine) -> Slot | None:
        candidates = [
            s
            for s in self.by_week.get(line.week, [])
            if (s.week, s.day) not in self.used and _same(line, s.shown)
        ]
        # The same day first: an unchanged line stays where it was.
        candidates.sort(key=lambda s: (s.day != line.day, s.day))
        return candidates[0] if candidates else None

    def workout_for(self, line: ParsedLine) -> Workout | None:
        settings = self.settings
        slot = self._matching_slot(line)
        if slot is not None:
            self.used.add((slot.week, slot.day))
            if slot.final is None:
                self.warnings.append(f"line {line.lineno}: {slot.warning}")
                return None
            if slot.day == line.day:
                return slot.final
            return slot.final.model_copy(
                update={"day": line.day, "date": settings.date(line.week, line.day)}
            )
        return self._new_workout(line)

    def _new_workout(self, line: ParsedLine) -> Workout | None:
        settings = self.settings
        week = self.weeks[line.week]
        before = self.by_slot.get((line.week, line.day))
        shown = before.shown if before and before.shown.type == line.type else None
        seconds, meters = line.seconds, line.meters
        by_distance = False
        if meters is not None and line.type in _STEADY:
            same_time = (
                shown is not None
                and seconds is not None
                and (format_duration(seconds) == format_duration(shown.duration))
            )
            distance_changed = shown is None or format_km(meters) != format_km(shown.distance)
            by_distance = seconds is None or (same_time and distance_changed)
        sport = sport_of(line.type, settings.sport)
        if seconds is None:
            if meters is not None:
                pace = intensities(settings, sport)
                seconds = round(meters * pace.pace("easy") / 1000)
            else:
                seconds = _default_seconds(line.type, week, settings)
        day = DayPlan(
            line.week,
            line.day,
            line.type,
            sport,
            seconds,
            meters if by_distance else None,
            line.main_set,
        )
        if line.type == "race" and not self.request_race:
            # A race the coach added: read its distance from the line's own words.
            settings = _with_race(settings, line.title)
        workout = realize(settings, week, day)
        if (
            not by_distance
            and meters is not None
            and line.type != "race"
            and (abs(workout.distance - meters) > 0.1 * meters)
        ):
            self.warnings.append(
                f"line {line.lineno}: kept {round(seconds / 60)} min; {format_km(meters)} does "
                f"not fit that time for {line.type}, the distance is now "
                f"{format_km(workout.distance)}"
            )
        final, warning = from_library(settings, workout)
        if warning:
            self.warnings.append(f"line {line.lineno}: {warning}")
        return final


def _with_race(settings: PlanSettings, title: str) -> PlanSettings:
    race = parse_instructions(title).race
    return replace(settings, race=race) if race else settings


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


def from_generated(gen: Generated, warnings: list[str]) -> BuiltPlan:
    workouts = [s.final for s in gen.slots if s.final is not None]
    warnings = warnings + [s.warning for s in gen.slots if s.warning]
    return BuiltPlan(workouts, _weekly_info(gen, workouts, {}), warnings)


def build_plan(
    ctx: DraftContext, refined_draft: str, *, principles_dir: Path | None = None
) -> BuiltPlan:
    """The structured plan for the coach's refined draft (see docs/draft-format.md).

    Unchanged lines give exactly the workouts the engine drafted; edited or added lines are
    rebuilt from what they say; unreadable lines and broken coaching rules are warnings.
    """
    gen = generate(ctx, principles_dir=principles_dir)
    settings = gen.settings
    parsed = parse_draft(refined_draft, sport=settings.sport, first_weekday=settings.first_weekday)
    warnings = [
        f"line {u.lineno}: could not read {u.text.strip()!r} ({u.reason})"
        for u in parsed.unreadable
    ]
    if not parsed.lines:
        warnings.append(
            "the refined draft has no workout lines this engine can read; "
            "the plan follows the request instead"
        )
        return from_generated(gen, warnings)
    rec = _Reconciler(gen, request_race=settings.race is not None)
    chosen: dict[tuple[int, int], tuple[int, Workout | None]] = {}
    for line in parsed.lines:
        where = f"line {line.lineno}: {line.text.strip()!r}"
        if not 1 <= line.week <= settings.weeks:
            warnings.append(
                f"{where}: week {line.week} is outside the {settings.weeks}-week plan; skipped"
            )
            continue
        if not 1 <= line.day <= 7:
            warnings.append(f"{where}: day {line.day} is not 1..7; skipped")
            continue
        if line.weekday is not None and line.weekday != settings.weekday(line.day):
            warnings.append(
                f"{where}: D{line.day} is a {WEEKDAYS[settings.weekday(line.day)]}, "
                f"not {WEEKDAYS[line.weekday]}; used D{line.day}"
            )
        workout = rec.workout_for(line)
        key = (line.week, line.day)
        if key in chosen:
            warnings.append(
                f"{where}: W{line.week} D{line.day} already has a workout from "
                f"line {chosen[key][0]}; this line replaces it"
            )
        chosen[key] = (line.lineno, workout)
    warnings += rec.warnings
    overrides = {week: (h.phase, h.focus) for week, h in parsed.headers.items()}
    workouts = []
    for key in sorted(chosen):
        workout = chosen[key][1]
        if workout is None:
            continue
        phase = overrides.get(key[0], (None, None))[0]
        if phase and phase != workout.phase:
            workout = workout.model_copy(update={"phase": phase})
        workouts.append(workout)
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
