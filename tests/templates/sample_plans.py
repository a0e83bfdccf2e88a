"""Realistic plan Workouts of every type and 52-week plans built from them (tests and bench)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from coach.plans.models import Phase, Segment, Sport, Step, Target, Workout, WorkoutType
from coach.templates.convert import estimate_totals, template_sport_for

# Athlete the fixtures are written for: 4:30/km threshold pace, 250 W FTP, 2:00/100 m swim.
Build = Callable[[float], list[Segment]]


def _t(
    kind: str, low: float | None = None, high: float | None = None, zone: int | None = None
) -> Target:
    return Target(type=kind, low=low, high=high, zone=zone)  # type: ignore[arg-type]


def time(
    seconds: float,
    intensity: str = "active",
    target: Target | None = None,
    notes: str | None = None,
) -> Step:
    return Step(
        intensity=intensity,
        duration_type="time",
        duration_value=seconds,  # type: ignore[arg-type]
        target=target,
        notes=notes,
    )


def dist(
    meters: float, intensity: str = "active", target: Target | None = None, notes: str | None = None
) -> Step:
    return Step(
        intensity=intensity,
        duration_type="distance_meters",  # type: ignore[arg-type]
        duration_value=meters,
        target=target,
        notes=notes,
    )


def open_step(
    intensity: str = "active", target: Target | None = None, notes: str | None = None
) -> Step:
    return Step(
        intensity=intensity,
        duration_type="open",
        target=target,  # type: ignore[arg-type]
        notes=notes,
    )


def seg(kind: str, *steps: Step, repeats: int = 1) -> Segment:
    return Segment(kind=kind, repeats=repeats, steps=list(steps))  # type: ignore[arg-type]


def _wu(minutes: float = 15, target: Target | None = None) -> Segment:
    return seg("warmup", time(minutes * 60, "warmup", target or _t("heart_rate", zone=1)))


def _cd(minutes: float = 10) -> Segment:
    return seg("cooldown", time(minutes * 60, "cooldown", _t("pace", 360, 400)))


# Each builder takes a load factor (0.6 recovery week .. 1.3 peak) and returns segments.
BUILDERS: dict[WorkoutType, Build] = {
    "easy-run": lambda f: [seg("main", time(round(45 * f) * 60, target=_t("pace", 330, 360)))],
    "recovery-run": lambda f: [seg("main", time(30 * 60, "recovery", _t("heart_rate", 120, 135)))],
    "long-run": lambda f: [
        _wu(10),
        seg("main", time(round(80 * f) * 60, target=_t("pace", 340, 360))),
        seg("cooldown", open_step("cooldown", notes="walk until home")),
    ],
    "tempo": lambda f: [
        _wu(),
        seg("main", time(round(20 * f) * 60, target=_t("pace", 285, 295))),
        _cd(),
    ],
    "threshold": lambda f: [
        _wu(),
        seg(
            "main",
            time(600, "interval", _t("pace", 268, 275)),
            time(120, "recovery", _t("heart_rate", zone=2)),
            repeats=max(2, round(3 * f)),
        ),
        _cd(),
    ],
    "intervals": lambda f: [
        _wu(),
        seg(
            "main",
            dist(800, "interval", _t("pace", 240, 250)),
            time(90, "rest"),
            repeats=max(3, round(6 * f)),
        ),
        _cd(),
    ],
    "hills": lambda f: [
        _wu(),
        seg(
            "main",
            time(90, "interval", _t("rpe", 8, 9), "uphill, strong arms"),
            time(120, "recovery", _t("open"), "jog down"),
            repeats=max(4, round(8 * f)),
        ),
        _cd(),
    ],
    "fartlek": lambda f: [
        _wu(),
        seg(
            "main",
            time(60, "interval", _t("speed", 4.5, 5.0)),
            time(60, "recovery", _t("speed", 3.0, 3.2)),
            repeats=max(5, round(8 * f)),
        ),
        _cd(),
    ],
    "progression": lambda f: [
        seg(
            "main",
            time(15 * 60, target=_t("pace", 335, 345)),
            time(15 * 60, target=_t("pace", 305, 315)),
            time(round(10 * f) * 60, target=_t("pace", 280, 290)),
        ),
        _cd(),
    ],
    "race": lambda f: [
        _wu(),
        seg("main", dist(10000, "active", _t("pace", 262, 268), "10 km race")),
        seg("cooldown", open_step("cooldown")),
    ],
    "easy-ride": lambda f: [seg("main", time(round(90 * f) * 60, target=_t("power", 150, 180)))],
    "recovery-ride": lambda f: [seg("main", time(45 * 60, "recovery", _t("power", zone=1)))],
    "long-ride": lambda f: [
        _wu(15, _t("power", 120, 150)),
        seg("main", time(round(150 * f) * 60, target=_t("heart_rate", 130, 145))),
        seg("cooldown", time(600, "cooldown", _t("power", 100, 130))),
    ],
    "sweet-spot": lambda f: [
        _wu(15, _t("power", 125, 175)),
        seg(
            "main",
            time(720, "interval", _t("power", 220, 235)),
            time(240, "recovery", _t("power", 140, 140)),
            repeats=max(2, round(3 * f)),
        ),
        seg("cooldown", time(600, "cooldown", _t("power", 150, 100))),
    ],
    "vo2max": lambda f: [
        _wu(15, _t("power", 125, 175)),
        seg(
            "main",
            time(180, "interval", _t("power", 290, 310)),
            time(180, "recovery", _t("power", 125, 125)),
            repeats=max(3, round(5 * f)),
        ),
        seg("cooldown", time(600, "cooldown", _t("power", zone=1))),
    ],
    "endurance-swim": lambda f: [
        seg("warmup", dist(400, "warmup", notes="easy freestyle")),
        seg(
            "main",
            dist(400, target=_t("pace", 1150, 1250)),
            time(30, "rest"),
            repeats=max(2, round(4 * f)),
        ),
        seg("cooldown", dist(200, "cooldown")),
    ],
    "technique-swim": lambda f: [
        seg("warmup", dist(300, "warmup")),
        seg(
            "main",
            dist(50, "active", _t("rpe", 4, 5), "catch-up drill"),
            time(20, "rest"),
            repeats=8,
        ),
        seg("cooldown", dist(200, "cooldown")),
    ],
    "swim-intervals": lambda f: [
        seg("warmup", dist(400, "warmup")),
        seg(
            "main",
            dist(100, "interval", _t("pace", 1050, 1100)),
            time(15, "rest"),
            repeats=max(6, round(10 * f)),
        ),
        seg("cooldown", dist(200, "cooldown")),
    ],
    "brick": lambda f: [
        seg("main", time(round(60 * f) * 60, target=_t("power", 180, 200), notes="bike")),
        seg("main", time(20 * 60, target=_t("pace", 300, 310), notes="run off the bike")),
    ],
    "strength": lambda f: [
        seg("warmup", time(600, "warmup", notes="mobility")),
        seg(
            "main",
            open_step(notes="10 squats"),
            open_step(notes="10 lunges each leg"),
            time(60, "rest"),
            repeats=3,
        ),
    ],
}

_TITLES = {t: t.replace("-", " ").capitalize() for t in BUILDERS}

RUN_WEEK: dict[int, list[WorkoutType]] = {
    1: ["easy-run"],
    2: ["intervals", "threshold", "hills"],
    3: ["recovery-run"],
    4: ["tempo", "fartlek", "progression"],
    6: ["easy-run"],
    7: ["long-run"],
}
TRI_WEEK: dict[int, list[WorkoutType]] = {
    1: ["swim-intervals", "technique-swim"],
    2: ["vo2max", "sweet-spot"],
    3: ["easy-run", "recovery-run"],
    4: ["endurance-swim"],
    5: ["brick", "strength"],
    6: ["long-ride", "easy-ride"],
    7: ["long-run", "tempo"],
}


def sample_workout(
    kind: WorkoutType,
    *,
    sport: Sport = "running",
    week: int = 1,
    day: int = 1,
    phase: Phase = "base",
    load: float = 1.0,
    date: dt.date | None = None,
) -> Workout:
    """One plan Workout of the given type with totals consistent with its segments."""
    segments = BUILDERS[kind](load)
    draft = Workout(
        week=week,
        day=day,
        date=date,
        title=_TITLES[kind],
        phase=phase,
        type=kind,
        duration=0,
        distance=0,
        segments=segments,
    )
    seconds, meters = estimate_totals(segments, template_sport_for(draft, sport))
    return draft.model_copy(update={"duration": seconds, "distance": meters})


def _phase(week: int, weeks: int) -> Phase:
    if week > weeks - 2:
        return "taper"
    if week % 4 == 0:
        return "recovery"
    if week <= weeks * 0.45:
        return "base"
    return "build" if week <= weeks * 0.8 else "peak"


def sample_plan(
    weeks: int = 52, *, sport: Sport = "running", start: dt.date = dt.date(2027, 1, 4)
) -> list[Workout]:
    """A plan of `weeks` weeks (6 sessions a week) in the shape the plan engine emits."""
    layout = TRI_WEEK if sport == "triathlon" else RUN_WEEK
    loads = {"base": 0.9, "build": 1.1, "peak": 1.3, "taper": 0.7, "recovery": 0.6}
    plan: list[Workout] = []
    for week in range(1, weeks + 1):
        phase = _phase(week, weeks)
        for day, kinds in layout.items():
            kind = kinds[week % len(kinds)]
            plan.append(
                sample_workout(
                    kind,
                    sport=sport,
                    week=week,
                    day=day,
                    phase=phase,
                    load=loads[phase],
                    date=start + dt.timedelta(weeks=week - 1, days=day - 1),
                )
            )
    return plan
