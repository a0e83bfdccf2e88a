"""Builds one workout's segments (warmup, main set, cooldown), title and description.

Every step knows both its time and its distance: time-based steps cover time / pace,
distance-based steps take distance x pace, where pace is the step's pace target midpoint
when it has one and the engine's nominal pace for that intensity otherwise. Workout
duration and distance are the sums over segments (repeats x steps), rounded.

A session for a coach's line is built to what the line says: the title's main set and
effort (coach.plans.session_text), and the line's minutes and km, which the warmup, the
cooldown and steady blocks absorb (coach.plans.fit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coach.engines.builtin.targets import Intensities, describe_target, target_for
from coach.plans.fit import Block, Fitted, Part, Refit, fit
from coach.plans.instructions import RaceGoal
from coach.plans.models import Intensity, Segment, Step, Target, WorkoutType
from coach.plans.session_text import Effort, MainSet, TitleSpec, format_clock, format_meters

Level = str
_LEVELS = {"beginner": 0, "intermediate": 1, "advanced": 2}
# The jog (or spin) between the reps of a tempo the coach split ("Tempo 2x15 min").
_TEMPO_RECOVERY_S = 120


@dataclass(frozen=True)
class SessionInput:
    type: WorkoutType
    seconds: int
    level: Level
    progress: float  # 0..1 through the loading weeks; sets the size of main sets
    hard_cap_s: int  # most seconds of hard work this session may hold (easy_share)
    meters: int | None = None  # the coach's distance: the session covers exactly this
    spec: TitleSpec | None = None  # what the coach's title fixes
    race: RaceGoal | None = None
    exact: bool = False  # `seconds` is the coach's: the session lasts exactly this


@dataclass(frozen=True)
class Session:
    type: WorkoutType
    title: str
    description: str
    duration: int
    distance: int
    segments: list[Segment]
    refits: tuple[Refit, ...] = ()


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
    target: Target | None = None,
    flexible: bool = False,
    pace_fixed: bool = False,
) -> Part:
    speed_pace = pace or intens.pace(key)
    if target is None:
        target = intens.target(key, pace=speed_pace, by_effort=by_effort)
    if seconds is not None:
        step = Step(
            intensity=intensity,
            duration_type="time",
            duration_value=seconds,
            target=target,
            notes=notes,
        )
        return Part(step, seconds, seconds * 1000 / speed_pace, flexible, pace_fixed, intens.sport)
    assert meters is not None
    step = Step(
        intensity=intensity,
        duration_type="distance_meters",
        duration_value=meters,
        target=target,
        notes=notes,
    )
    return Part(step, meters * speed_pace / 1000, meters, flexible, pace_fixed, intens.sport)


def _effort(
    intens: Intensities, effort: Effort | None, key: str
) -> tuple[str, Target | None, int | None]:
    """The key, target and pace of a step: the coach's effort when the title names one."""
    if effort is None:
        return key, None, None
    return target_for(intens, effort, key)


def _rest(seconds: float) -> Part:
    step = Step(
        intensity="rest", duration_type="time", duration_value=seconds, notes="rest at the wall"
    )
    return Part(step, seconds, 0.0)


def _settle(inp: SessionInput, blocks: list[Block]) -> Fitted:
    """The blocks as segments; fitted to the coach's minutes and km when the line has them."""
    if inp.exact or inp.meters is not None:
        return fit(blocks, seconds=inp.seconds if inp.exact else None, meters=inp.meters)
    segments = [
        Segment(kind=b.kind, repeats=b.repeats, steps=[p.step for p in b.parts]) for b in blocks
    ]
    seconds = sum(b.repeats * p.seconds for b in blocks for p in b.parts)
    meters = sum(b.repeats * p.meters for b in blocks for p in b.parts)
    return Fitted(segments, round(seconds), round(meters), blocks=blocks)


def _finish(kind: WorkoutType, title: str, description: str, fitted: Fitted) -> Session:
    return Session(
        kind,
        title,
        description,
        fitted.seconds,
        fitted.meters,
        fitted.segments,
        tuple(fitted.refits),
    )


POOL_LENGTH_M = 25


def _lengths(meters: float) -> int:
    """Swim distances in whole 25 m lengths, so a watch in pool mode can end on them."""
    return int(round(meters / POOL_LENGTH_M) * POOL_LENGTH_M)


def _warm_cool(intens: Intensities, spare: float) -> tuple[Part, Part]:
    """Split the time the main set leaves over between a warmup and a cooldown."""
    if intens.sport == "swimming":
        meters = spare * 1000 / intens.pace("recovery")
        warm = round(meters * 0.6 / 50) * 50
        return (
            _piece(intens, "warmup", "recovery", meters=max(warm, 50), flexible=True),
            _piece(
                intens,
                "cooldown",
                "recovery",
                meters=max(_lengths(meters - warm), 50),
                flexible=True,
            ),
        )
    warm = round(spare * 0.6)
    return (
        _piece(intens, "warmup", "easy", seconds=warm, notes="build gradually", flexible=True),
        _piece(intens, "cooldown", "recovery", seconds=max(round(spare - warm), 60), flexible=True),
    )


def _spec_main(inp: SessionInput) -> MainSet | None:
    return inp.spec.main if inp.spec is not None else None


def _spec_effort(inp: SessionInput) -> Effort | None:
    return inp.spec.effort if inp.spec is not None else None


def _closing(inp: SessionInput, intens: Intensities, last: MainSet) -> Part:
    """The closing block a title names ("last 10 min @ Z3"), at its effort or steady."""
    key, target, pace = _effort(intens, _spec_effort(inp), "steady")
    return _piece(
        intens,
        "interval",
        key,
        seconds=last.rep_seconds,
        meters=last.rep_meters if last.rep_seconds is None else None,
        pace=pace,
        target=target,
    )


def _steady(inp: SessionInput, intens: Intensities) -> Session:
    key, title, purpose = _STEADY[inp.type]
    main_set = _spec_main(inp)
    last = main_set if main_set is not None and main_set.last else None
    effort = _spec_effort(inp)
    # Without a closing block the title's effort is the whole main block's.
    main_key, target, pace = _effort(intens, None if last else effort, key)
    pace_fixed = target is not None and target.type == "pace"
    closing = [_closing(inp, intens, last)] if last else []
    closing_s = sum(p.seconds for p in closing)
    if intens.sport == "swimming":
        total_m = _lengths(inp.meters or inp.seconds * 1000 / intens.pace(key))
        closing_m = sum(p.meters for p in closing)
        warm_m, cool_m = min(300, _lengths(total_m / 5)), min(200, _lengths(total_m / 8))
        warm = _piece(intens, "warmup", "recovery", meters=warm_m, flexible=True)
        main = _piece(
            intens,
            "active",
            main_key,
            meters=max(50, total_m - warm_m - cool_m - closing_m),
            pace=pace,
            target=target,
            flexible=True,
            pace_fixed=pace_fixed,
        )
        cool = _piece(intens, "cooldown", "recovery", meters=cool_m, flexible=True)
    else:
        warm_s = 600 if inp.seconds >= 2400 else 300
        warm = _piece(intens, "warmup", "recovery", seconds=warm_s, flexible=True)
        cool = _piece(intens, "cooldown", "recovery", seconds=300, flexible=True)
        main = _piece(
            intens,
            "active",
            main_key,
            seconds=max(300, inp.seconds - warm_s - 300 - closing_s),
            pace=pace,
            target=target,
            flexible=True,
            pace_fixed=pace_fixed,
        )
    fitted = _settle(
        inp,
        [
            Block("warmup", 1, [warm]),
            Block("main", 1, [main, *closing]),
            Block("cooldown", 1, [cool]),
        ],
    )
    return _finish(inp.type, title, f"{title}: {purpose}.", fitted)


def _rep_spec(kind: str, sport: str) -> _RepSpec:
    if sport == "cycling" and kind == "threshold":
        return _CYCLING_THRESHOLD
    if sport == "cycling" and kind == "hills":
        return _CYCLING_HILLS
    return _REPS[kind]


def _repeats(inp: SessionInput, intens: Intensities) -> Session:
    spec = _rep_spec(inp.type, intens.sport)
    level = _LEVELS[inp.level]
    main_set = _spec_main(inp)
    chosen = main_set if main_set is not None and not main_set.last else None
    key, target, pace = _effort(intens, _spec_effort(inp), spec.key)
    by_effort = spec.by_effort and target is None
    by_distance = (
        chosen.rep_meters is not None
        if chosen
        else spec.rep_m is not None and (intens.pace_targets or intens.sport == "swimming")
    )
    if by_distance:
        rep_m = chosen.rep_meters if chosen and chosen.rep_meters else None
        rep_m = rep_m or (spec.rep_m or (400, 800, 1000))[level]
        work = _piece(
            intens, "interval", key, meters=rep_m, pace=pace, by_effort=by_effort, target=target
        )
    else:
        rep_s = chosen.rep_seconds if chosen and chosen.rep_seconds else spec.rep_s[level]
        work = _piece(
            intens, "interval", key, seconds=rep_s, pace=pace, by_effort=by_effort, target=target
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
    spare = max(inp.seconds - main_s, 120 if inp.exact else spare_min)
    warm, cool = _warm_cool(intens, spare)
    fitted = _settle(
        inp,
        [
            Block("warmup", 1, [warm]),
            Block("main", reps, [work, recovery]),
            Block("cooldown", 1, [cool]),
        ],
    )
    warm, cool = fitted.blocks[0].parts[0], fitted.blocks[2].parts[0]
    size = format_meters(work.meters) if by_distance else format_clock(work.seconds)
    label = describe_target(work.step.target)
    name = _RIDE_TITLES.get(spec.title, spec.title) if intens.sport == "cycling" else spec.title
    title = f"{name} {reps}x{size} @ {label}"
    rest_word = "rest" if intens.sport == "swimming" else "easy"
    description = (
        f"Warm up {format_clock(warm.seconds)}, then {reps} x {size} at {label} with "
        f"{format_clock(recovery.seconds)} {rest_word} between; cool down "
        f"{format_clock(cool.seconds)}. Purpose: {spec.purpose}."
    )
    return _finish(inp.type, title, description, fitted)


def _tempo_main(inp: SessionInput, intens: Intensities, room: float) -> tuple[Block, Part, str]:
    """The tempo's main block (one block, or the coach's reps of it) and its title."""
    key, target, pace = _effort(intens, _spec_effort(inp), "tempo")
    main_set = _spec_main(inp)
    if main_set is not None and not main_set.last:
        reps = main_set.reps
        work = _piece(
            intens,
            "interval",
            key,
            seconds=main_set.rep_seconds,
            meters=main_set.rep_meters if main_set.rep_seconds is None else None,
            pace=pace,
            target=target,
        )
        size = main_set.rep_text()
    else:
        low, high = ((15, 25), (20, 35), (25, 45))[_LEVELS[inp.level]]
        bump = 1.5 if intens.sport == "cycling" else 1.0
        wanted = _lerp(low, high, inp.progress) * 60 * bump
        block = max(300, round(min(wanted, inp.hard_cap_s, room) / 60) * 60)
        reps = 1
        work = _piece(intens, "interval", key, seconds=block, pace=pace, target=target)
        size = format_clock(block)
    parts = [work]
    if reps > 1:
        note = "easy jog" if intens.sport == "running" else "easy spin"
        parts.append(_piece(intens, "recovery", "recovery", seconds=_TEMPO_RECOVERY_S, notes=note))
    name = "Tempo ride" if intens.sport == "cycling" else "Tempo"
    label = describe_target(work.step.target)
    size = f"{reps}x{size}" if reps > 1 else size
    return Block("main", reps, parts), work, f"{name} {size} @ {label}"


def _continuous(inp: SessionInput, intens: Intensities) -> Session:
    """Tempo (one block, or the coach's reps of it) and progression (easy, then the last
    part at tempo)."""
    warm_min = 600 if inp.level == "beginner" else 900
    room = max(300, inp.seconds - warm_min - 600)
    if inp.type == "tempo":
        main, work, title = _tempo_main(inp, intens, room)
        purpose = "comfortably hard, controlled; hold an even effort"
    else:
        main_set = _spec_main(inp)
        if main_set is not None and main_set.last:
            work = _closing(inp, intens, main_set)
            size = main_set.rep_text()
        else:
            third = max(300, round(min(room / 3, inp.hard_cap_s) / 60) * 60)
            key, target, pace = _effort(intens, _spec_effort(inp), "tempo")
            work = _piece(intens, "interval", key, seconds=third, pace=pace, target=target)
            size = format_clock(third)
        easy = _piece(
            intens, "active", "easy", seconds=max(300, room - work.seconds), flexible=True
        )
        main = Block("main", 1, [easy, work])
        label = describe_target(work.step.target)
        title = f"Progression run, last {size} @ {label}"
        purpose = "start easy, finish at tempo effort"
    main_s = main.repeats * sum(p.seconds for p in main.parts)
    spare = max(inp.seconds - main_s, 120 if inp.exact else warm_min + 600)
    warm, cool = _warm_cool(intens, spare)
    fitted = _settle(inp, [Block("warmup", 1, [warm]), main, Block("cooldown", 1, [cool])])
    return _finish(inp.type, title, f"{title}. Purpose: {purpose}.", fitted)


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
    warm = _piece(run, "warmup", "recovery", seconds=warm_s, flexible=True)
    cool = _piece(run, "cooldown", "recovery", seconds=cool_s, flexible=True)
    fitted = _settle(
        inp, [Block("warmup", 1, [warm]), Block("main", 1, main), Block("cooldown", 1, [cool])]
    )
    warm, cool = fitted.blocks[0].parts[0], fitted.blocks[2].parts[0]
    label = describe_target(main[0].step.target)
    description = (
        f"{title}. Warm up {format_clock(warm.seconds)} easy with a few strides; race at "
        f"{label}, even effort, start conservatively; cool down {format_clock(cool.seconds)}."
    )
    return _finish("race", title, description, fitted)


def _other(inp: SessionInput, intens_for: Callable[[str], Intensities]) -> Session:
    """Strength and brick sessions, which the engine only builds when a coach writes them."""
    if inp.type == "strength":
        main_s = max(60, inp.seconds - 600)
        step = Step(
            intensity="active",
            duration_type="time",
            duration_value=main_s,
            notes="squats, lunges, calf raises, core",
        )
        warm = Part(Step(intensity="warmup", duration_type="time", duration_value=300), 300, 0)
        cool = Part(Step(intensity="cooldown", duration_type="time", duration_value=300), 300, 0)
        warm.flexible = cool.flexible = True
        fitted = _settle(
            inp,
            [
                Block("warmup", 1, [warm]),
                Block("main", 1, [Part(step, main_s, 0, flexible=True)]),
                Block("cooldown", 1, [cool]),
            ],
        )
        return _finish("strength", "Strength", "Strength and mobility for durability.", fitted)
    ride, run = intens_for("cycling"), intens_for("running")
    ride_s = round(inp.seconds * 0.7 / 60) * 60
    warm = _piece(ride, "warmup", "recovery", seconds=600, flexible=True)
    main = [
        _piece(
            ride, "active", "steady", seconds=max(600, ride_s - 600), notes="bike", flexible=True
        ),
        _piece(
            run,
            "active",
            "steady",
            seconds=max(600, inp.seconds - ride_s - 300),
            notes="run off the bike",
            flexible=True,
        ),
    ]
    cool = _piece(run, "cooldown", "recovery", seconds=300, flexible=True)
    fitted = _settle(
        inp, [Block("warmup", 1, [warm]), Block("main", 1, main), Block("cooldown", 1, [cool])]
    )
    return _finish(
        "brick", "Brick: bike then run", "Brick: steady ride straight into a run.", fitted
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
