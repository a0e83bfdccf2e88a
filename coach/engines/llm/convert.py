"""Turn a validated compact LLM workout into the public Workout, filling what the engine knows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coach.engines.llm.draftlines import DraftLine, DraftWeek
from coach.engines.llm.schema import LLMSegment, LLMStep, LLMWorkout
from coach.plans.models import HARD_TYPES, Phase, Segment, Sport, Step, Target, Workout
from coach.plans.requests import AthleteThresholds, ExperienceLevel
from coach.plans.validate import segment_totals
from coach.principles import PrincipleRules

# Zone ranges as multiples of the athlete's threshold. Pace is seconds per km, so slower
# zones are larger multiples; heart rate and power grow with the zone.
_PACE = {1: (1.25, 1.40), 2: (1.13, 1.25), 3: (1.04, 1.12), 4: (0.97, 1.03), 5: (0.88, 0.96)}
_HR = {1: (0.70, 0.81), 2: (0.81, 0.89), 3: (0.90, 0.93), 4: (0.94, 0.99), 5: (1.00, 1.06)}
_POWER = {1: (0.45, 0.55), 2: (0.56, 0.75), 3: (0.76, 0.90), 4: (0.91, 1.05), 5: (1.06, 1.20)}


@dataclass(frozen=True)
class WeekSpec:
    """What one week's request and its validation need to know."""

    week: int
    weeks: int
    phase: Phase
    focus: str
    draft: DraftWeek
    sport: Sport
    level: ExperienceLevel
    start_date: dt.date | None
    athlete: AthleteThresholds | None
    rules: PrincipleRules | None

    def date_of(self, day: int) -> dt.date | None:
        if self.start_date is None:
            return None
        return self.start_date + dt.timedelta(days=(self.week - 1) * 7 + day - 1)


def target(zone: int, sport: Sport, athlete: AthleteThresholds | None) -> Target:
    """Concrete targets when a threshold is known, the zone alone otherwise."""
    if athlete is not None:
        if sport in ("running", "triathlon") and athlete.threshold_pace_s_per_km:
            low, high = (round(athlete.threshold_pace_s_per_km * f) for f in _PACE[zone])
            return Target(type="pace", low=low, high=high, zone=zone)
        if sport == "cycling" and athlete.ftp_w:
            low, high = (round(athlete.ftp_w * f) for f in _POWER[zone])
            return Target(type="power", low=low, high=high, zone=zone)
        if athlete.threshold_hr:
            low, high = (round(athlete.threshold_hr * f) for f in _HR[zone])
            return Target(type="heart_rate", low=low, high=high, zone=zone)
    return Target(type="heart_rate", zone=zone)


def _minutes(value: float) -> str:
    return f"{value:g} min"


def _step_text(step: LLMStep) -> str:
    return f"{_minutes(step.min)} Z{step.z}"


def describe(workout: LLMWorkout) -> str:
    """A one-line reading of the segments, written by code so the model spends no tokens."""
    parts = []
    for seg in workout.seg:
        steps = " + ".join(_step_text(step) for step in seg.st)
        if seg.x > 1:
            parts.append(f"{seg.x} × ({steps})")
        elif seg.k == "main":
            parts.append(steps)
        else:
            parts.append(f"{steps} {seg.k}")
    return " · ".join(parts)


def to_workout(item: LLMWorkout, spec: WeekSpec) -> Workout:
    line = spec.draft.line(item.d)
    segments = [
        Segment(
            kind=seg.k,
            repeats=seg.x,
            steps=[
                Step(
                    intensity=step.i,
                    duration_type="time",
                    duration_value=round(step.min * 60),
                    target=target(step.z, spec.sport, spec.athlete),
                )
                for step in seg.st
            ],
        )
        for seg in item.seg
    ]
    # Duration is the segments' own sum, so the two always agree after rounding.
    duration = sum(
        seg.repeats * sum(int(s.duration_value or 0) for s in seg.steps) for seg in segments
    )
    return Workout(
        week=spec.week,
        day=item.d,
        date=spec.date_of(item.d),
        title=line.title if line else item.t.replace("-", " ").capitalize(),
        phase=spec.phase,
        type=item.t,
        description=describe(item),
        duration=duration,
        distance=_distance(segments, item.km * 1000),
        segments=segments,
        source="ai",
    )


def _distance(segments: list[Segment], stated_m: float) -> int:
    # With pace targets the steps imply a distance, and the validator holds the workout
    # to it; without them the stated distance stands.
    _seconds, meters, _time_known, distance_known = segment_totals(segments)
    return round(meters if distance_known else stated_m)


def easy_version(workout: Workout, spec: WeekSpec, easy_type: str) -> Workout:
    """The same day as one steady zone-2 session of the same length."""
    step = Step(
        intensity="active",
        duration_type="time",
        duration_value=workout.duration,
        target=target(2, spec.sport, spec.athlete),
    )
    segments = [Segment(kind="main", repeats=1, steps=[step])]
    return workout.model_copy(
        update={
            "type": easy_type,
            "segments": segments,
            "distance": _distance(segments, workout.distance),
            "description": f"{_minutes(round(workout.duration / 60, 1))} Z2",
        }
    )


def from_draft(line: DraftLine, spec: WeekSpec) -> LLMWorkout:
    """A plain session shaped by the draft line alone: hard types get warmup, one steady
    block at zone 4 and cooldown, everything else one zone-2 block. Needs line.minutes."""
    assert line.minutes is not None
    minutes = line.minutes
    km = line.km if line.km is not None else 0.0
    if line.type in HARD_TYPES and line.type != "race" and minutes >= 35:
        segments = [
            LLMSegment(k="warmup", x=1, st=[LLMStep(i="warmup", min=15, z=1)]),
            LLMSegment(k="main", x=1, st=[LLMStep(i="interval", min=minutes - 25, z=4)]),
            LLMSegment(k="cooldown", x=1, st=[LLMStep(i="cooldown", min=10, z=1)]),
        ]
    else:
        zone = 4 if line.type == "race" else 2
        segments = [LLMSegment(k="main", x=1, st=[LLMStep(i="active", min=minutes, z=zone)])]
    return LLMWorkout(d=line.day, t=line.type, min=minutes, km=km, seg=segments)
