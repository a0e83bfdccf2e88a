"""Coaching rules every plan must keep, checked the same way for every engine.

`validate_plan` returns one `Violation` per broken rule, each naming week and day. Volume
means training time (seconds) of the week, without races: a goal race is not training load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from coach.plans.models import HARD_TYPES, Segment, Step, Workout
from coach.plans.sports import MIN_MINUTES, max_minutes
from coach.plans.weeks import by_week
from coach.principles import PrincipleRules

LONG_TYPES = frozenset({"long-run", "long-ride"})
# Tolerances absorb rounding (whole seconds, whole meters, minutes in a draft), not real slack.
TIME_TOLERANCE = (30.0, 0.01)  # seconds, share
DISTANCE_TOLERANCE = (50.0, 0.01)  # meters, share
SHARE_TOLERANCE = 0.02
INCREASE_TOLERANCE = (600.0, 0.03)  # seconds, share


class Violation(BaseModel):
    """One broken rule: where (week, day; None when it concerns the whole week or plan)."""

    week: int | None
    day: int | None
    rule: str
    message: str

    def __str__(self) -> str:
        day = self.day if self.day is not None else "-"
        week = self.week if self.week is not None else "-"
        return f"week {week} day {day}: {self.rule}: {self.message}"


def step_amounts(step: Step) -> tuple[float | None, float | None]:
    """(seconds, meters) of one step; None where the step alone does not say.

    A time step's distance is time / pace and a distance step's time is distance x pace,
    where pace is the midpoint of a pace target (or 1 / speed of a speed target).
    """
    value = step.duration_value
    if step.duration_type == "open" or value is None:
        return None, None
    pace = _pace_of(step)
    if step.duration_type == "time":
        return value, (value * 1000 / pace if pace else None)
    return (value * pace / 1000 if pace else None), value


def _pace_of(step: Step) -> float | None:
    target = step.target
    if target is None or target.low is None or target.high is None:
        return None
    mid = (target.low + target.high) / 2
    if mid <= 0:
        return None
    if target.type == "pace":
        return mid
    if target.type == "speed":
        return 1000 / mid
    return None


def segment_totals(segments: Sequence[Segment]) -> tuple[float, float, bool, bool]:
    """Known seconds, known meters, and whether each total is complete."""
    seconds = meters = 0.0
    time_known = distance_known = True
    for segment in segments:
        for step in segment.steps:
            s, m = step_amounts(step)
            if s is None:
                time_known = False
            else:
                seconds += segment.repeats * s
            if m is None:
                distance_known = False
            else:
                meters += segment.repeats * m
    return seconds, meters, time_known, distance_known


def _off(actual: float, expected: float, tolerance: tuple[float, float]) -> bool:
    return abs(actual - expected) > max(tolerance[0], tolerance[1] * expected)


def _check_workout(w: Workout, start_date: dt.date | None) -> Iterable[Violation]:
    if start_date is not None:
        expected = start_date + dt.timedelta(days=(w.week - 1) * 7 + w.day - 1)
        if w.date != expected:
            yield Violation(
                week=w.week,
                day=w.day,
                rule="date",
                message=f"date is {w.date}, expected {expected}",
            )
    if not w.segments:
        yield Violation(week=w.week, day=w.day, rule="segments", message="no segments")
    else:
        seconds, meters, time_known, distance_known = segment_totals(w.segments)
        if (time_known and _off(seconds, w.duration, TIME_TOLERANCE)) or (
            not time_known and seconds > w.duration + TIME_TOLERANCE[0]
        ):
            yield Violation(
                week=w.week,
                day=w.day,
                rule="segment-totals",
                message=f"segments add up to {seconds:.0f} s, duration is {w.duration} s",
            )
        if (distance_known and _off(meters, w.distance, DISTANCE_TOLERANCE)) or (
            not distance_known and meters > w.distance + DISTANCE_TOLERANCE[0]
        ):
            yield Violation(
                week=w.week,
                day=w.day,
                rule="segment-totals",
                message=f"segments add up to {meters:.0f} m, distance is {w.distance} m",
            )
    if w.type != "race":
        # The plan's sport is not known here: the generic types are held to a run's cap.
        limit = max_minutes(w.type, "running")
        if not MIN_MINUTES * 60 <= w.duration <= limit * 60:
            yield Violation(
                week=w.week,
                day=w.day,
                rule="duration",
                message=f"{w.duration / 60:.0f} min is outside {MIN_MINUTES}..{limit} min "
                f"for {w.type}",
            )


def _week_volume(ws: list[Workout]) -> int:
    return sum(w.duration for w in ws if w.type != "race")


def validate_plan(
    workouts: Sequence[Workout],
    *,
    weeks: int,
    rules: PrincipleRules,
    level: str | None = None,
    start_date: dt.date | None = None,
    max_quality: int | None = None,
) -> list[Violation]:
    """Every broken coaching rule in `workouts`, in week and day order.

    `max_quality` overrides the principle's quality days per week (e.g. when the coach's
    instructions asked for more sessions); without `level` the advanced count applies.
    """
    found: list[Violation] = []
    slots: dict[tuple[int, int], Workout] = {}
    for w in workouts:
        if not 1 <= w.week <= weeks:
            found.append(
                Violation(
                    week=w.week,
                    day=w.day,
                    rule="week-range",
                    message=f"week {w.week} is outside 1..{weeks}",
                )
            )
        if (w.week, w.day) in slots:
            found.append(
                Violation(
                    week=w.week,
                    day=w.day,
                    rule="one-per-day",
                    message=f"second workout on this day ({w.type})",
                )
            )
        slots[(w.week, w.day)] = w
        found.extend(_check_workout(w, start_date))
    if start_date is None:
        anchors = {
            w.date - dt.timedelta(days=(w.week - 1) * 7 + w.day - 1)
            for w in workouts
            if w.date is not None
        }
        if len(anchors) > 1:
            found.append(
                Violation(
                    week=None, day=None, rule="date", message="dates do not follow one calendar"
                )
            )
    in_weeks = by_week(workouts)
    for week in range(1, weeks + 1):
        if week not in in_weeks:
            found.append(
                Violation(
                    week=week, day=None, rule="week-missing", message="no workouts in this week"
                )
            )
    found.extend(_hard_days(slots))
    quality_cap = max_quality if max_quality is not None else rules.quality_days.for_level(level)
    volumes = {week: _week_volume(ws) for week, ws in in_weeks.items()}
    for week in sorted(in_weeks):
        found.extend(_week_rules(week, in_weeks[week], volumes, rules, quality_cap))
    found.sort(key=lambda v: (v.week or 0, v.day or 0))
    return found


def _hard_days(slots: dict[tuple[int, int], Workout]) -> Iterable[Violation]:
    # Day 7 of week N and day 1 of week N+1 are consecutive: count days across the plan.
    hard = sorted((week - 1) * 7 + day for (week, day), w in slots.items() if w.type in HARD_TYPES)
    hard_set = set(hard)
    for index in hard:
        if index - 1 in hard_set:
            week, day = divmod(index - 1, 7)
            yield Violation(
                week=week + 1,
                day=day + 1,
                rule="back-to-back-hard",
                message="hard session the day after another hard session",
            )


def _week_rules(
    week: int, ws: list[Workout], volumes: dict[int, int], rules: PrincipleRules, quality_cap: int
) -> Iterable[Violation]:
    volume = volumes[week]
    quality = [w for w in ws if w.type in HARD_TYPES and w.type != "race"]
    if len(quality) > quality_cap:
        yield Violation(
            week=week,
            day=None,
            rule="quality-days",
            message=f"{len(quality)} quality sessions, at most {quality_cap}",
        )
    for w in ws:
        if w.type not in LONG_TYPES or volume <= 0:
            continue
        share = w.duration / volume
        if share > rules.long_run_max_share + SHARE_TOLERANCE:
            yield Violation(
                week=week,
                day=w.day,
                rule="long-run-share",
                message=f"{w.type} is {share:.0%} of the week, at most "
                f"{rules.long_run_max_share:.0%}",
            )
        cap = rules.long_run_max_minutes * (2 if w.type == "long-ride" else 1)
        if w.duration > cap * 60 * 1.05:
            yield Violation(
                week=week,
                day=w.day,
                rule="long-run-minutes",
                message=f"{w.type} is {w.duration / 60:.0f} min, at most {cap}",
            )
    # Compare with the higher of the two weeks before, so the week after a recovery week
    # may return to the level it had before the recovery week.
    reference = max(volumes.get(week - 1, 0), volumes.get(week - 2, 0))
    if reference > 0:
        allowed = reference * (1 + rules.max_weekly_increase)
        slack = max(INCREASE_TOLERANCE[0], INCREASE_TOLERANCE[1] * reference)
        if volume > allowed + slack:
            yield Violation(
                week=week,
                day=None,
                rule="weekly-increase",
                message=f"volume {volume / 60:.0f} min is "
                f"{volume / reference - 1:.0%} above {reference / 60:.0f} "
                f"min, at most {rules.max_weekly_increase:.0%}",
            )
