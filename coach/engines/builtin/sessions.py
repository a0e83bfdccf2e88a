"""Builds one workout's segments (warmup, main set, cooldown), title and description.

Every step knows both its time and its distance: time-based steps cover time / pace,
distance-based steps take distance x pace, where pace is the step's pace target midpoint
when it has one and the engine's nominal pace for that intensity otherwise. Workout
duration and distance are the sums over segments (repeats x steps), rounded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coach.engines.builtin.targets import Intensities, describe_target
from coach.plans.draft_format import MainSet
from coach.plans.instructions import RaceGoal
from coach.plans.models import Intensity, Segment, SegmentKind, Step, WorkoutType

Level = str
_LEVELS = {"beginner": 0, "intermediate": 1, "advanced": 2}


@dataclass(frozen=True)
class SessionInput:
    type: WorkoutType
    seconds: int
    level: Level
    progress: float  # 0..1 through the loading weeks; sets the size of main sets
    hard_cap_s: int  # most seconds of hard work this session may hold (easy_share)
    meters: int | None = None  # build a steady session to this distance instead of time
    main_set: MainSet | None = None
    race: RaceGoal | None = None


@dataclass(frozen=True)
class Session:
    type: WorkoutType
    title: str
    description: str
    duration: int
    distance: int
    segments: list[Segment]


@dataclass(frozen=True)
class _Piece:
    step: Step
    seconds: float
    meters: float


@dataclass(frozen=True)
class _RepSpec:
    key: str
    title: str
    hard_min: tuple[tuple[int, int], ...]  # (low, high) minutes of work per level
    rep_s: tuple[int, int, int]
    rep_m: tuple[int, int, int] | None
    recovery: Callable[[float], float]
    purpose: str
    by_effort: bool = False


_REPS: dict[str, _RepSpec] = {
    "threshold": _RepSpec(
        "threshold",
        "Threshold",
        ((12, 20), (20, 32), (24, 40)),
        (300, 360, 480),
        (1000, 1000, 1600),
        lambda r: 60,
        "raise the lactate threshold; controlled, never a race",
    ),
    "intervals": _RepSpec(
        "vo2",
        "Intervals",
        ((8, 15), (12, 20), (15, 24)),
        (120, 180, 240),
        (400, 800, 1000),
        lambda r: max(60, round(r * 0.75 / 15) * 15),
        "VO2max and running economy",
    ),
    "hills": _RepSpec(
        "anaerobic",
        "Hill repeats",
        ((5, 10), (8, 14), (10, 18)),
        (60, 75, 90),
        None,
        lambda r: 2 * r,
        "strength and power; jog back down to recover",
        by_effort=True,
    ),
    "fartlek": _RepSpec(
        "vo2",
        "Fartlek",
        ((6, 12), (10, 18), (14, 24)),
        (60, 120, 120),
        None,
        lambda r: 90 if r < 90 else 60,
        "speed and rhythm inside an easy run",
    ),
    "sweet-spot": _RepSpec(
        "sweetspot",
        "Sweet spot",
        ((20, 36), (30, 50), (40, 70)),
        (600, 720, 1200),
        None,
        lambda r: 300,
        "muscular endurance just under threshold",
    ),
    "vo2max": _RepSpec(
        "vo2",
        "VO2max",
        ((9, 15), (12, 20), (15, 25)),
        (180, 240, 300),
        None,
        lambda r: r,
        "aerobic ceiling",
    ),
    "swim-intervals": _RepSpec(
        "threshold",
        "Swim intervals",
        ((8, 12), (12, 20), (16, 28)),
        (60, 100, 180),
        (50, 100, 200),
        lambda r: 20,
        "swim-specific threshold",
    ),
}
_CYCLING_THRESHOLD = _RepSpec(
    "threshold",
    "Threshold",
    ((16, 24), (20, 36), (30, 50)),
    (480, 600, 900),
    None,
    lambda r: 240,
    "raise FTP",
)
_CYCLING_HILLS = _RepSpec(
    "vo2",
    "Hill repeats",
    ((8, 12), (12, 18), (15, 24)),
    (120, 180, 240),
    None,
    lambda r: r,
    "climbing strength",
    by_effort=True,
)
# Bike sessions say so, so a triathlon draft reads back as rides, not runs.
_RIDE_TITLES = {
    "Threshold": "Threshold ride",
    "VO2max": "VO2max ride",
    "Sweet spot": "Sweet spot ride",
    "Hill repeats": "Bike hill repeats",
}
_STEADY = {
    "easy-run": ("easy", "Easy run", "aerobic base at conversational effort"),
    "recovery-run": ("recovery", "Recovery run", "loosen up; slower than feels necessary"),
    "long-run": ("easy", "Long run", "endurance and durability at an even, easy effort"),
    "easy-ride": ("easy", "Easy ride", "aerobic endurance, smooth pedalling"),
    "recovery-ride": ("recovery", "Recovery ride", "spin the legs; keep it very light"),
    "long-ride": ("easy", "Long ride", "endurance; eat and drink on the bike"),
    "endurance-swim": ("easy", "Endurance swim", "aerobic swimming with relaxed technique"),
    "technique-swim": ("recovery", "Technique swim", "drills and easy swimming for form"),
}
_RACE_PACE = {
    5000: (0.96, "vo2"),
    10000: (1.0, "threshold"),
    21098: (1.05, "threshold"),
    42195: (1.10, "steady"),
    50000: (1.25, "easy"),
}
_TRI = {
    "sprint triathlon": (750, 20000, 5000),
    "olympic triathlon": (1500, 40000, 10000),
    "half ironman": (1900, 90000, 21100),
    "ironman": (3800, 180000, 42200),
}
_RIDE_RACE_MIN = {"gran fondo": (300, 270, 240), "time trial": (50, 45, 40)}


def _lerp(low: float, high: float, t: float) -> float:
    return low + (high - low) * min(1.0, max(0.0, t))


def _piece(
    intens: Intensities,
    intensity: Intensity,
    key: str,
    *,
    seconds: float | None = None,
    meters: float | None = None,
    pace: int | None = None,
    by_effort: bool = False,
    notes: str | None = None,
) -> _Piece:
    speed_pace = pace or intens.pace(key)
    target = intens.target(key, pace=speed_pace, by_effort=by_effort)
    if seconds is not None:
        step = Step(
            intensity=intensity,
            duration_type="time",
            duration_value=seconds,
            target=target,
            notes=notes,
        )
        return _Piece(step, seconds, seconds * 1000 / speed_pace)
    assert meters is not None
    step = Step(
        intensity=intensity,
        duration_type="distance_meters",
        duration_value=meters,
        target=target,
        notes=notes,
    )
    return _Piece(step, meters * speed_pace / 1000, meters)


def _rest(seconds: float) -> _Piece:
    return _Piece(
        Step(
            intensity="rest", duration_type="time", duration_value=seconds, notes="rest at the wall"
        ),
        seconds,
        0.0,
    )


def _finish(
    kind: WorkoutType,
    title: str,
    description: str,
    parts: list[tuple[SegmentKind, int, list[_Piece]]],
) -> Session:
    segments = [Segment(kind=k, repeats=r, steps=[p.step for p in ps]) for k, r, ps in parts]
    seconds = sum(r * p.seconds for _, r, ps in parts for p in ps)
    meters = sum(r * p.meters for _, r, ps in parts for p in ps)
    return Session(kind, title, description, round(seconds), round(meters), segments)


POOL_LENGTH_M = 25


def _clock(seconds: float) -> str:
    if seconds % 60 == 0 or seconds >= 600:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds)} s"


def _lengths(meters: float) -> int:
    """Swim distances in whole 25 m lengths, so a watch in pool mode can end on them."""
    return int(round(meters / POOL_LENGTH_M) * POOL_LENGTH_M)


def _warm_cool(intens: Intensities, spare: float) -> tuple[_Piece, _Piece]:
    """Split the time the main set leaves over between a warmup and a cooldown."""
    if intens.sport == "swimming":
        meters = spare * 1000 / intens.pace("recovery")
        warm = round(meters * 0.6 / 50) * 50
        return (
            _piece(intens, "warmup", "recovery", meters=max(warm, 50)),
            _piece(intens, "cooldown", "recovery", meters=max(_lengths(meters - warm), 50)),
        )
    warm = round(spare * 0.6)
    return (
        _piece(intens, "warmup", "easy", seconds=warm, notes="build gradually"),
        _piece(intens, "cooldown", "recovery", seconds=max(round(spare - warm), 60)),
    )


def _steady(inp: SessionInput, intens: Intensities) -> Session:
    key, title, purpose = _STEADY[inp.type]
    if intens.sport == "swimming":
        total_m = _lengths(inp.meters or inp.seconds * 1000 / intens.pace(key))
        warm_m, cool_m = min(300, _lengths(total_m / 5)), min(200, _lengths(total_m / 8))
        pieces = [
            _piece(intens, "warmup", "recovery", meters=warm_m),
            _piece(intens, "active", key, meters=total_m - warm_m - cool_m),
            _piece(intens, "cooldown", "recovery", meters=cool_m),
        ]
    else:
        warm_s = 600 if inp.seconds >= 2400 else 300
        warm = _piece(intens, "warmup", "recovery", seconds=warm_s)
        cool = _piece(intens, "cooldown", "recovery", seconds=300)
        if inp.meters:
            main = _piece(
                intens,
                "active",
                key,
                meters=max(1000, inp.meters - round(warm.meters + cool.meters)),
            )
        else:
            main = _piece(intens, "active", key, seconds=max(300, inp.seconds - warm_s - 300))
        pieces = [warm, main, cool]
    return _finish(
        inp.type,
        title,
        f"{title}: {purpose}.",
        [("warmup", 1, [pieces[0]]), ("main", 1, [pieces[1]]), ("cooldown", 1, [pieces[2]])],
    )


def _rep_spec(kind: str, sport: str) -> _RepSpec:
    if sport == "cycling" and kind == "threshold":
        return _CYCLING_THRESHOLD
    if sport == "cycling" and kind == "hills":
        return _CYCLING_HILLS
    return _REPS[kind]


def _repeats(inp: SessionInput, intens: Intensities) -> Session:
    spec = _rep_spec(inp.type, intens.sport)
    level = _LEVELS[inp.level]
    chosen = inp.main_set
    pace = chosen.pace if chosen and chosen.pace and intens.pace_targets else None
    by_distance = (
        chosen.rep_meters is not None
        if chosen
        else spec.rep_m is not None and (intens.pace_targets or intens.sport == "swimming")
    )
    if by_distance:
        rep_m = chosen.rep_meters if chosen and chosen.rep_meters else None
        rep_m = rep_m or (spec.rep_m or (400, 800, 1000))[level]
        work = _piece(
            intens, "interval", spec.key, meters=rep_m, pace=pace, by_effort=spec.by_effort
        )
    else:
        rep_s = chosen.rep_seconds if chosen and chosen.rep_seconds else spec.rep_s[level]
        work = _piece(
            intens, "interval", spec.key, seconds=rep_s, pace=pace, by_effort=spec.by_effort
        )
    rec_s = spec.recovery(work.seconds)
    recovery = (
        _rest(rec_s)
        if intens.sport == "swimming"
        else _piece(
            intens,
            "recovery",
            "recovery",
            seconds=rec_s,
            notes="easy jog" if intens.sport == "running" else "easy spin",
        )
    )
    warm_min = 600 if inp.level == "beginner" or intens.sport == "swimming" else 900
    spare_min = warm_min + 600
    if chosen:
        reps = chosen.reps
    else:
        low, high = spec.hard_min[level]
        wanted = min(_lerp(low, high, inp.progress) * 60, inp.hard_cap_s)
        fits = (inp.seconds - spare_min) // (work.seconds + recovery.seconds)
        reps = max(
            1, min(round(wanted / work.seconds), int(fits), int(inp.hard_cap_s // work.seconds))
        )
    main_s = reps * (work.seconds + recovery.seconds)
    warm, cool = _warm_cool(intens, max(inp.seconds - main_s, spare_min))
    size = f"{work.meters:g}m" if by_distance else _clock(work.seconds)
    label = describe_target(work.step.target)
    name = _RIDE_TITLES.get(spec.title, spec.title) if intens.sport == "cycling" else spec.title
    title = f"{name} {reps}x{size} @ {label}"
    rest_word = "rest" if intens.sport == "swimming" else "easy"
    description = (
        f"Warm up {_clock(warm.seconds)}, then {reps} x {size} at {label} with "
        f"{_clock(recovery.seconds)} {rest_word} between; cool down "
        f"{_clock(cool.seconds)}. Purpose: {spec.purpose}."
    )
    return _finish(
        inp.type,
        title,
        description,
        [("warmup", 1, [warm]), ("main", reps, [work, recovery]), ("cooldown", 1, [cool])],
    )


def _continuous(inp: SessionInput, intens: Intensities) -> Session:
    """Tempo (one block) and progression (easy, steady, then the last third at tempo)."""
    warm_min = 600 if inp.level == "beginner" else 900
    room = max(300, inp.seconds - warm_min - 600)
    bump = 1.5 if intens.sport == "cycling" else 1.0
    if inp.type == "tempo":
        low, high = ((15, 25), (20, 35), (25, 45))[_LEVELS[inp.level]]
        if inp.main_set and inp.main_set.rep_seconds:
            block = inp.main_set.reps * inp.main_set.rep_seconds
        else:
            wanted = _lerp(low, high, inp.progress) * 60 * bump
            block = max(300, round(min(wanted, inp.hard_cap_s, room) / 60) * 60)
        main = [_piece(intens, "interval", "tempo", seconds=block)]
        label = describe_target(main[0].step.target)
        name = "Tempo ride" if intens.sport == "cycling" else "Tempo"
        title = f"{name} {_clock(block)} @ {label}"
        purpose = "comfortably hard, controlled; hold an even effort"
    else:
        third = max(300, round(min(room / 3, inp.hard_cap_s) / 60) * 60)
        main = [
            _piece(intens, "active", "easy", seconds=room - 2 * third),
            _piece(intens, "active", "steady", seconds=third),
            _piece(intens, "interval", "tempo", seconds=third),
        ]
        label = describe_target(main[2].step.target)
        title = f"Progression run, last {_clock(third)} @ {label}"
        purpose = "start easy, finish at tempo effort"
    main_s = sum(p.seconds for p in main)
    warm, cool = _warm_cool(intens, max(inp.seconds - main_s, warm_min + 600))
    return _finish(
        inp.type,
        title,
        f"{title}. Purpose: {purpose}.",
        [("warmup", 1, [warm]), ("main", 1, main), ("cooldown", 1, [cool])],
    )


def _race(inp: SessionInput, intens_for: Callable[[str], Intensities]) -> Session:
    race = inp.race or RaceGoal("race", None)
    level = _LEVELS[inp.level]
    run = intens_for("running")
    name = race.name if race.name.endswith("race") else f"{race.name} race"
    title = name[0].upper() + name[1:]
    if race.name in _TRI:
        swim_m, bike_m, run_m = _TRI[race.name]
        main = [
            _piece(intens_for("swimming"), "active", "tempo", meters=swim_m, notes="swim"),
            _piece(intens_for("cycling"), "active", "steady", meters=bike_m, notes="bike"),
            _piece(run, "active", "steady", meters=run_m, notes="run"),
        ]
        warm_s, cool_s = 600, 600
    elif intens_for("primary").sport == "cycling":
        ride = intens_for("cycling")
        minutes = _RIDE_RACE_MIN.get(race.name, (150, 120, 120))[level]
        key = "threshold" if race.name == "time trial" else "tempo"
        main = [_piece(ride, "active", key, seconds=minutes * 60)]
        warm_s, cool_s = 900, 600
        run = ride
    elif intens_for("primary").sport == "swimming":
        swim = intens_for("swimming")
        main = [_piece(swim, "active", "threshold", meters=race.distance_m or 1500)]
        warm_s, cool_s, run = 600, 300, swim
    else:
        distance = race.distance_m or 10000
        factor, key = _RACE_PACE.get(distance, (1.02, "threshold"))
        pace = round((run.threshold_pace or run.pace("threshold")) * factor)
        main = [_piece(run, "active", key, meters=distance, pace=pace, notes="race")]
        warm_s = 900 if distance <= 10000 else 600 if distance < 40000 else 300
        cool_s = 600
    warm = _piece(run, "warmup", "recovery", seconds=warm_s)
    cool = _piece(run, "cooldown", "recovery", seconds=cool_s)
    label = describe_target(main[0].step.target)
    description = (
        f"{title}. Warm up {_clock(warm_s)} easy with a few strides; race at "
        f"{label}, even effort, start conservatively; cool down {_clock(cool_s)}."
    )
    return _finish(
        "race",
        title,
        description,
        [("warmup", 1, [warm]), ("main", 1, main), ("cooldown", 1, [cool])],
    )


def _other(inp: SessionInput, intens_for: Callable[[str], Intensities]) -> Session:
    """Strength and brick sessions, which the engine only builds when a coach writes them."""
    if inp.type == "strength":
        step = Step(
            intensity="active",
            duration_type="time",
            duration_value=inp.seconds - 600,
            notes="squats, lunges, calf raises, core",
        )
        warm = _Piece(Step(intensity="warmup", duration_type="time", duration_value=300), 300, 0)
        cool = _Piece(Step(intensity="cooldown", duration_type="time", duration_value=300), 300, 0)
        return _finish(
            "strength",
            "Strength",
            "Strength and mobility for durability.",
            [
                ("warmup", 1, [warm]),
                ("main", 1, [_Piece(step, inp.seconds - 600, 0)]),
                ("cooldown", 1, [cool]),
            ],
        )
    ride, run = intens_for("cycling"), intens_for("running")
    ride_s = round(inp.seconds * 0.7 / 60) * 60
    warm = _piece(ride, "warmup", "recovery", seconds=600)
    main = [
        _piece(ride, "active", "steady", seconds=max(600, ride_s - 600), notes="bike"),
        _piece(
            run,
            "active",
            "steady",
            seconds=max(600, inp.seconds - ride_s - 300),
            notes="run off the bike",
        ),
    ]
    cool = _piece(run, "cooldown", "recovery", seconds=300)
    return _finish(
        "brick",
        "Brick: bike then run",
        "Brick: steady ride straight into a run.",
        [("warmup", 1, [warm]), ("main", 1, main), ("cooldown", 1, [cool])],
    )


def build_session(inp: SessionInput, intens_for: Callable[[str], Intensities]) -> Session:
    """One workout of type `inp.type`; `intens_for(sport)` gives the athlete's intensities
    for a sport ("primary" = the sport a session of this type belongs to)."""
    if inp.type == "race":
        return _race(inp, intens_for)
    if inp.type in ("strength", "brick"):
        return _other(inp, intens_for)
    intens = intens_for("primary")
    if inp.type in _STEADY:
        return _steady(inp, intens)
    if inp.type in ("tempo", "progression"):
        return _continuous(inp, intens)
    return _repeats(inp, intens)
