"""Turn a validated compact LLM workout into the public Workout, filling what the engine knows
and keeping what the coach's draft line says.

The LLM answers with minutes and zones; the line may say more. Its title's main set (the
rep length, "800m" included) and effort (a zone, a pace, a bpm, W or RPE range) are put
on the work steps, and its minutes and km are met exactly by the flexible steps (warmup,
cooldown, steady blocks) through coach.plans.fit, as in the built-in engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from coach.engines.builtin.targets import intensities_for, key_for_zone
from coach.engines.llm.draftlines import DraftLine, DraftWeek
from coach.engines.llm.schema import LLMSegment, LLMStep, LLMWorkout
from coach.plans.fit import Block, Part, fit
from coach.plans.models import HARD_TYPES, Phase, Sport, Step, Target, Workout
from coach.plans.requests import AthleteThresholds, ExperienceLevel
from coach.plans.session_text import Effort, MainSet, discipline_of
from coach.plans.sports import Discipline, sport_of
from coach.principles import PrincipleRules

# Zone ranges as multiples of the athlete's threshold. Pace is seconds per km, so slower
# zones are larger multiples; heart rate and power grow with the zone.
_PACE = {
    1: (1.25, 1.40),
    2: (1.13, 1.25),
    3: (1.04, 1.12),
    4: (0.97, 1.03),
    5: (0.88, 0.96),
    6: (0.84, 0.88),
    7: (0.80, 0.84),
}
_HR = {
    1: (0.70, 0.81),
    2: (0.81, 0.89),
    3: (0.90, 0.93),
    4: (0.94, 0.99),
    5: (1.00, 1.06),
    6: (1.02, 1.06),
    7: (1.02, 1.06),
}
_POWER = {
    1: (0.45, 0.55),
    2: (0.56, 0.75),
    3: (0.76, 0.90),
    4: (0.91, 1.05),
    5: (1.06, 1.20),
    6: (1.21, 1.50),
    7: (1.50, 2.00),
}
# Half the width of a pace target the coach wrote (s/km).
_PACE_HALF_WIDTH = 5

# A workout built from its draft line when the LLM gave none: (workout, warnings).
LineBuilder = Callable[[DraftLine, Phase | None], tuple[Workout | None, list[str]]]


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
    build_line: LineBuilder | None = None
    # A week written again: the plan's weeks around it, one line per workout, shown to
    # the LLM as context only.
    context: tuple[str, ...] = ()

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


def effort_target(effort: Effort, sport: Sport, athlete: AthleteThresholds | None) -> Target:
    """The target of a step the coach wrote an effort for, as written."""
    if effort.kind == "zone":
        return target(int(effort.low), sport, athlete)
    if effort.kind == "pace":
        half = _PACE_HALF_WIDTH
        return Target(type="pace", low=effort.low - half, high=effort.high + half)
    return Target(type=effort.kind, low=effort.low, high=effort.high)


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


def main_set_segment(item: LLMWorkout, main: MainSet) -> LLMSegment | None:
    """The segment of the answer that holds the line's main set: the first main segment
    with repeats (or, for one block, with a work step)."""
    mains = [seg for seg in item.seg if seg.k == "main"]
    if main.reps > 1:
        return next((seg for seg in mains if seg.x > 1), None)
    return next((seg for seg in mains if any(st.i == "interval" for st in seg.st)), None) or (
        mains[0] if mains else None
    )


def work_of(segment: LLMSegment) -> LLMStep:
    return next((st for st in segment.st if st.i == "interval"), segment.st[0])


def _pace_of(step: Target, fallback: float) -> float:
    if step.type == "pace" and step.low is not None and step.high is not None:
        return (step.low + step.high) / 2
    return fallback


def _discipline(item: LLMWorkout, spec: WeekSpec) -> Discipline:
    line = spec.draft.line(item.d)
    if line is None:
        return sport_of(item.t, spec.sport)
    return discipline_of(line.title, item.t, spec.sport)


def _blocks(item: LLMWorkout, spec: WeekSpec) -> list[Block]:
    discipline = _discipline(item, spec)
    intens = intensities_for(discipline, spec.level, spec.athlete)
    blocks = []
    for seg in item.seg:
        parts = []
        for st in seg.st:
            # A triathlon's ride gets power targets, its swim zones: the discipline's own.
            aim = target(st.z, discipline, spec.athlete)
            seconds = st.min * 60
            pace = _pace_of(aim, intens.pace(key_for_zone(st.z)))
            step = Step(
                intensity=st.i, duration_type="time", duration_value=round(seconds), target=aim
            )
            # Warmup, cooldown and steady blocks give way to the line's minutes and km.
            flexible = seg.x == 1 and (seg.k != "main" or st.i != "interval")
            parts.append(Part(step, seconds, seconds * 1000 / pace, flexible, False, discipline))
        blocks.append(Block(seg.k, seg.x, parts))
    return blocks


def _impose(blocks: list[Block], item: LLMWorkout, line: DraftLine, spec: WeekSpec) -> None:
    """Put what the line's title fixes on the work step: its length and its effort."""
    title = line.line.spec
    main = title.main
    work: Part | None = None
    if main is not None and main.last:
        mains = [b for b in blocks if b.kind == "main"]
        work = mains[-1].parts[-1] if mains else None
    elif main is not None:
        segment = main_set_segment(item, main)
        if segment is not None:
            block = blocks[item.seg.index(segment)]
            work = next((p for p in block.parts if p.step.intensity == "interval"), block.parts[0])
    elif title.effort is not None:
        steps = [p for b in blocks if b.kind == "main" for p in b.parts]
        work = max(steps, key=lambda p: p.seconds, default=None)
    if work is None:
        return
    pace = work.seconds * 1000 / work.meters if work.meters else 0.0
    if title.effort is not None:
        aim = effort_target(title.effort, _discipline(item, spec), spec.athlete)
        work.step = work.step.model_copy(update={"target": aim})
        work.pace_fixed = title.effort.kind == "pace"
        pace = _pace_of(aim, pace)
    if main is not None:
        work.flexible = False
        if main.rep_meters is not None:
            work.step = work.step.model_copy(
                update={"duration_type": "distance_meters", "duration_value": main.rep_meters}
            )
            work.seconds, work.meters = main.rep_meters * pace / 1000, float(main.rep_meters)
        else:
            work.seconds = float(main.rep_seconds or work.seconds)
            work.step = work.step.model_copy(update={"duration_value": work.seconds})
        work.step = work.step.model_copy(update={"intensity": "interval"})
    if pace:
        work.meters = work.seconds * 1000 / pace


def to_workout(item: LLMWorkout, spec: WeekSpec) -> Workout:
    return fitted_workout(item, spec)[0]


def fitted_workout(item: LLMWorkout, spec: WeekSpec) -> tuple[Workout, dict[str, str]]:
    """The public workout: the answer's structure, with the line's main set, effort,
    minutes and km (the answer's own where the line has none); and why, for each total
    it could not keep."""
    line = spec.draft.line(item.d)
    blocks = _blocks(item, spec)
    seconds: int | None = round(item.segment_minutes() * 60)
    meters: int | None = round(item.km * 1000) if item.km > 0 else None
    if line is not None:
        _impose(blocks, item, line, spec)
        if line.line.seconds is not None:
            seconds = line.line.seconds
        if line.line.meters is not None:
            meters = line.line.meters
    fitted = fit(blocks, seconds=seconds, meters=meters)
    kind = line.type if line is not None and _same_kind(line.type, item.t) else item.t
    workout = Workout(
        week=spec.week,
        day=item.d,
        date=spec.date_of(item.d),
        title=line.title if line else item.t.replace("-", " ").capitalize(),
        phase=spec.phase,
        type=kind,
        description=describe(item),
        duration=fitted.seconds,
        distance=fitted.meters,
        segments=fitted.segments,
        source="ai",
    )
    return workout, {refit.field: refit.reason for refit in fitted.refits}


def _same_kind(line_type: str, answer_type: str) -> bool:
    """The answer's type is the line's when both are hard or both easy: the coach's words
    name the session; the LLM's label only says what kind it wrote."""
    return (line_type in HARD_TYPES) == (answer_type in HARD_TYPES)


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
