"""Fit a workout's steps to the totals the coach wrote: their minutes and their km.

A session is built in blocks of parts (steps with their time and distance). The warmup,
the cooldown and steady blocks are flexible: their length, and unless the coach wrote
their pace, their pace give way so the workout lasts exactly the coach's minutes and
covers exactly the coach's km. The main set the coach wrote (its reps, rep length and
pace) never gives way. When the totals cannot be met (a main set longer than the session,
a pace no one can hold), the total changes and the fit says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from coach.plans.models import Segment, SegmentKind, Step
from coach.plans.session_text import format_pace
from coach.plans.sports import HUMAN_PACE

MIN_PART_SECONDS = 60.0
# A step length is rounded to this when it is at least two of them (a coach writes
# "12 min" or "12:30", not "12:17"); the last flexible step takes what rounding leaves.
_ROUND_SECONDS = 30


@dataclass
class Part:
    """One step as the fit sees it: its time and distance (estimates where the step's
    target does not say), and what may give way."""

    step: Step
    seconds: float
    meters: float
    flexible: bool = False
    pace_fixed: bool = False  # the coach wrote this part's pace
    discipline: str = "running"


@dataclass
class Block:
    kind: SegmentKind
    repeats: int
    parts: list[Part]


@dataclass(frozen=True)
class Refit:
    """A total the steps could not keep: the field, its new value and why."""

    field: Literal["duration", "distance"]
    planned: float
    reason: str


@dataclass
class Fitted:
    segments: list[Segment]
    seconds: int
    meters: int
    refits: list[Refit] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)  # the parts as fitted


def _totals(blocks: list[Block]) -> tuple[float, float]:
    seconds = sum(b.repeats * p.seconds for b in blocks for p in b.parts)
    meters = sum(b.repeats * p.meters for b in blocks for p in b.parts)
    return seconds, meters


def _minutes(seconds: float) -> str:
    return f"{round(seconds / 60)} min"


def _km(meters: float) -> str:
    return f"{meters / 1000:.1f} km"


def _fit_time(flex: list[Part], blocks: list[Block], seconds: int) -> Refit | None:
    total, _ = _totals(blocks)
    have = sum(p.seconds for p in flex)
    fixed = total - have
    need = seconds - fixed
    floor = MIN_PART_SECONDS * len(flex)
    refit = None
    if need < floor:
        need = floor
        refit = Refit(
            "duration",
            fixed + floor,
            f"the main set alone takes {_minutes(fixed)}, with at least "
            f"{_minutes(floor)} of warmup and cooldown",
        )
    for part in flex:
        if have > 0:
            part.meters *= need / have  # the same pace, longer or shorter
            part.seconds *= need / have
        else:
            part.seconds = need / len(flex)
    return refit


def _movable(part: Part, *, keep_time: bool) -> bool:
    """Can this part cover more or less ground? Flexible parts can; so can the recoveries
    and steady steps between reps (their pace is the engine's, not the coach's). Reps and
    race distances cannot, nor a pace the coach wrote when the time is kept."""
    if part.meters <= 0 or (keep_time and part.pace_fixed):
        return False
    if part.flexible:
        return True
    return keep_time and part.step.duration_type == "time" and part.step.intensity != "interval"


def _discipline(blocks: list[Block]) -> tuple[float, float]:
    """The human pace range of the session: its discipline's, or every one's when mixed."""
    names = {p.discipline for b in blocks for p in b.parts if p.meters > 0}
    if len(names) == 1:
        return HUMAN_PACE.get(names.pop(), HUMAN_PACE["running"])
    ranges = [HUMAN_PACE.get(name, HUMAN_PACE["running"]) for name in names] or [
        HUMAN_PACE["running"]
    ]
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _fit_distance(blocks: list[Block], meters: int, *, keep_time: bool) -> Refit | None:
    """Meet `meters`: by the pace of what may move when the coach also wrote the minutes
    (`keep_time`), by the length of the flexible parts otherwise."""
    total_s, total_m = _totals(blocks)
    movable = [(b.repeats, p) for b in blocks for p in b.parts if _movable(p, keep_time=keep_time)]
    if not movable:
        if abs(total_m - meters) <= max(50, 0.01 * meters):
            return None
        return Refit("distance", total_m, "this session has no part that covers ground")
    have = sum(r * p.meters for r, p in movable)
    need = meters - (total_m - have)
    if need <= 0:
        return Refit("distance", total_m, f"the main set alone covers {_km(total_m - have)}")
    scale = need / have
    if keep_time:
        # The same time over more (or less) ground: a faster (or slower) pace.
        low, high = _discipline(blocks)
        average = total_s * 1000 / meters
        if not low <= average <= high:
            return Refit(
                "distance",
                total_m,
                f"{_km(meters)} in {_minutes(total_s)} is {format_pace(average)} on average, "
                f"{'faster' if average < low else 'slower'} than anyone goes",
            )
        for _, part in movable:
            part_low, part_high = HUMAN_PACE.get(part.discipline, (low, high))
            pace = part.seconds * 1000 / (part.meters * scale)
            if not part_low <= pace <= part_high:
                return Refit(
                    "distance",
                    total_m,
                    f"{_km(meters)} in {_minutes(total_s)} would need {format_pace(pace)} "
                    f"for the {part.step.intensity} steps, which no one holds",
                )
        for _, part in movable:
            part.meters *= scale
    else:
        for _, part in movable:
            part.seconds *= scale
            part.meters *= scale
    return None


def _pace_target(part: Part) -> Step:
    target = part.step.target
    if (
        target is None
        or target.type != "pace"
        or target.low is None
        or target.high is None
        or part.meters <= 0
        or part.pace_fixed
    ):
        return part.step
    mid = part.seconds * 1000 / part.meters
    half = (target.high - target.low) / 2
    if abs(mid - (target.low + target.high) / 2) < 0.05:
        return part.step
    moved = target.model_copy(update={"low": round(mid - half, 2), "high": round(mid + half, 2)})
    return part.step.model_copy(update={"target": moved})


def _rounded(flex: list[Part], blocks: list[Block], seconds: int | None) -> None:
    """Whole steps: time steps in whole seconds (30 s when long enough, when the coach
    wrote the minutes), the last flexible time step taking the remainder so the steps add
    up to exactly `seconds`. A part keeps its pace as it is rounded."""
    timed = [p for p in flex if p.step.duration_type == "time" and p.seconds > 0]
    for part in timed:
        unit = _ROUND_SECONDS if seconds is not None and part.seconds >= 2 * _ROUND_SECONDS else 1
        rounded = max(1.0, round(part.seconds / unit) * unit)
        part.meters *= rounded / part.seconds
        part.seconds = rounded
    if seconds is not None and timed:
        total, _ = _totals(blocks)
        last = timed[-1]
        rest = last.seconds + seconds - total
        if rest >= 1:
            last.meters *= rest / last.seconds
            last.seconds = rest


def fit(blocks: list[Block], *, seconds: int | None, meters: int | None) -> Fitted:
    """Segments that last `seconds` and cover `meters` (either may be None: free), with
    a Refit for a total that could not be kept."""
    blocks = [Block(b.kind, b.repeats, [replace(p) for p in b.parts]) for b in blocks]
    flex = [p for b in blocks if b.repeats == 1 for p in b.parts if p.flexible]
    refits: list[Refit] = []
    if seconds is not None:
        if flex:
            if (refit := _fit_time(flex, blocks, seconds)) is not None:
                refits.append(refit)
        elif abs(_totals(blocks)[0] - seconds) > 30:
            refits.append(
                Refit("duration", _totals(blocks)[0], "nothing in the session can give way")
            )
    duration_kept = seconds is not None and not refits
    _rounded(flex, blocks, seconds if duration_kept else None)
    if meters is not None:
        # With the coach's minutes the pace gives way; without them, the minutes do.
        keep_time = seconds is not None
        if (refit := _fit_distance(blocks, meters, keep_time=keep_time)) is not None:
            refits.append(refit)
        if not keep_time:
            _rounded(flex, blocks, None)
    segments = []
    for block in blocks:
        steps = []
        for part in block.parts:
            step = _pace_target(part)
            value = part.seconds if step.duration_type == "time" else part.meters
            if step.duration_type != "open":
                step = step.model_copy(update={"duration_value": round(value)})
            steps.append(step)
        segments.append(Segment(kind=block.kind, repeats=block.repeats, steps=steps))
    total_s, total_m = _totals(blocks)
    distance_kept = meters is not None and not any(r.field == "distance" for r in refits)
    return Fitted(
        segments,
        seconds if duration_kept and seconds is not None else round(total_s),
        meters if distance_kept and meters is not None else round(total_m),
        refits,
        blocks,
    )
