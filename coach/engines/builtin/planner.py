"""Turns a request into the plan a coach would write: weeks, days, volumes, workouts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from coach.engines.base import DraftContext
from coach.engines.builtin.days import choose_roles
from coach.engines.builtin.layout import WeekFrame, lay_out
from coach.engines.builtin.sessions import SessionInput, build_session
from coach.engines.builtin.targets import Intensities, intensities_for
from coach.engines.builtin.week import cap_increase, distribute, floor5, mark_recovery_days
from coach.plans.fit import Refit
from coach.plans.instructions import Instructions, RaceGoal, parse_instructions
from coach.plans.models import HARD_TYPES, Sport, Workout, WorkoutType
from coach.plans.phases import FOCUS
from coach.plans.session_text import TitleSpec
from coach.principles import PrincipleRules, rules_for

# Weekly minutes at the start and the most the plan builds to, per sport and level.
VOLUME = {
    "running": {"beginner": (150, 270), "intermediate": (240, 420), "advanced": (360, 600)},
    "cycling": {"beginner": (180, 360), "intermediate": (300, 540), "advanced": (420, 720)},
    "swimming": {"beginner": (90, 150), "intermediate": (150, 240), "advanced": (210, 360)},
    "triathlon": {"beginner": (240, 420), "intermediate": (360, 600), "advanced": (480, 780)},
}
DAYS_PER_WEEK = {
    "running": {"beginner": 4, "intermediate": 5, "advanced": 6},
    "cycling": {"beginner": 4, "intermediate": 5, "advanced": 5},
    "swimming": {"beginner": 3, "intermediate": 4, "advanced": 5},
    "triathlon": {"beginner": 5, "intermediate": 6, "advanced": 6},
}
_CYCLING: dict[str, WorkoutType] = {
    "easy-run": "easy-ride",
    "recovery-run": "recovery-ride",
    "long-run": "long-ride",
    "tempo": "sweet-spot",
    "intervals": "vo2max",
    "fartlek": "vo2max",
    "progression": "sweet-spot",
    "hills": "hills",
    "threshold": "threshold",
}
_STEADY_TYPES: dict[str, dict[str, WorkoutType]] = {
    "running": {"easy": "easy-run", "recovery": "recovery-run", "long": "long-run"},
    "cycling": {"easy": "easy-ride", "recovery": "recovery-ride", "long": "long-ride"},
    "swimming": {"easy": "endurance-swim", "recovery": "technique-swim", "long": "endurance-swim"},
}
# Which quality types fit each block best; the principle's own order decides the rest.
_PHASE_FRONT = {
    "base": ("hills", "fartlek", "progression", "tempo"),
    "build": (),
    "peak": ("intervals", "threshold", "tempo"),
    "taper": ("intervals", "threshold", "tempo"),
    "recovery": ("fartlek", "progression", "tempo", "hills"),
}
_TRI_QUALITY_SPORTS = ("running", "cycling", "swimming")
_TRI_EASY_SPORTS = ("swimming", "running", "cycling")


@dataclass(frozen=True)
class PlanSettings:
    """Everything the planner derives once from the request and the principle."""

    weeks: int
    level: str
    sport: Sport
    rules: PrincipleRules
    instructions: Instructions
    race: RaceGoal | None
    start_date: dt.date | None
    first_weekday: int
    available: tuple[int, ...]
    days_per_week: int
    long_weekday: int
    intensities: dict[str, Intensities]
    principle_name: str
    library: tuple[Workout, ...] = ()
    content_source: str = "ai_generate"

    def weekday(self, day: int) -> int:
        return (self.first_weekday + day - 1) % 7

    def date(self, week: int, day: int) -> dt.date | None:
        if self.start_date is None:
            return None
        return self.start_date + dt.timedelta(days=(week - 1) * 7 + day - 1)

    def max_quality(self) -> int:
        asked = self.instructions.quality_per_week or 0
        return max(self.rules.quality_days.for_level(self.level), asked)


@dataclass(frozen=True)
class DayPlan:
    week: int
    day: int
    type: WorkoutType
    sport: str
    seconds: int
    meters: int | None = None  # the coach's distance
    spec: TitleSpec | None = None  # what the coach's title fixes
    exact: bool = False  # `seconds` is the coach's


@dataclass
class WeekPlan:
    frame: WeekFrame
    volume: int  # planned minutes, races excluded
    hard_cap_s: int  # hard seconds allowed per quality session
    days: list[DayPlan] = field(default_factory=list)

    @property
    def focus(self) -> str:
        focus = FOCUS[self.frame.phase]
        if self.frame.kind == "race":
            return "race week: short and sharp, arrive fresh"
        return focus


def settings_from(ctx: DraftContext, *, principles_dir: Path | None = None) -> PlanSettings:
    """`principles_dir` holds the default principle whose rules a free-text principle keeps
    (the repository's principles/ when None)."""
    req = ctx.request
    rules = rules_for(ctx.principle, principles_dir)
    instructions = parse_instructions(req.instructions)
    race = instructions.race
    if race is not None and req.sport == "triathlon" and race.distance_m is not None:
        race = RaceGoal("olympic triathlon", None)
    first_weekday = req.start_date.weekday() if req.start_date else 0
    days = [d for d in range(1, 8) if (first_weekday + d - 1) % 7 not in instructions.days_off]
    if instructions.available_days:
        days = [d for d in days if (first_weekday + d - 1) % 7 in instructions.available_days]
    available = tuple(days) or tuple(range(1, 8))
    wanted = instructions.days_per_week or DAYS_PER_WEEK[req.sport][req.experience_level]
    sports = ("running", "cycling", "swimming") if req.sport == "triathlon" else (req.sport,)
    intens = {s: intensities_for(s, req.experience_level, req.athlete) for s in sports}
    return PlanSettings(
        weeks=req.weeks,
        level=req.experience_level,
        sport=req.sport,
        rules=rules,
        instructions=instructions,
        race=race,
        start_date=req.start_date,
        first_weekday=first_weekday,
        available=available,
        days_per_week=max(1, min(wanted, len(available))),
        long_weekday=instructions.long_day if instructions.long_day is not None else 6,
        intensities=intens,
        principle_name=rules.name,
        library=tuple(ctx.library),
        content_source=req.content_source,
    )


def intensities(settings: PlanSettings, sport: str) -> Intensities:
    if sport not in settings.intensities:
        return intensities_for(sport, settings.level, None)
    return settings.intensities[sport]


def _quality_count(settings: PlanSettings, frame: WeekFrame, n: int) -> int:
    base = settings.rules.quality_days.for_level(settings.level)
    asked = settings.instructions.quality_per_week
    if frame.kind == "recovery":
        count = max(base, asked or 0) - 1
        count = max(count, 1 if asked else 0)
    elif frame.kind == "race":
        count = 1 if n >= 3 else 0
    else:
        count = max(base, asked or 0)
    # One day stays non-quality: the long run, an easy day, or the race in race week.
    return max(0, min(count, 3, n - 1))


def quality_types(settings: PlanSettings, frame: WeekFrame, count: int) -> list[WorkoutType]:
    front = _PHASE_FRONT[frame.phase]
    order = sorted(
        settings.rules.quality_sessions, key=lambda t: front.index(t) if t in front else len(front)
    )
    top: list[WorkoutType] = order[: 3 if frame.phase == "build" else 2] or ["tempo"]
    picks: list[WorkoutType] = []
    asked_type = settings.instructions.quality_type
    if asked_type and settings.instructions.quality_per_week:
        picks = [asked_type] * min(settings.instructions.quality_per_week, count)
    i = 0
    while len(picks) < count:
        picks.append(top[(frame.week * count + i) % len(top)])
        i += 1
    return picks


def _sport_type(kind: WorkoutType, sport: str) -> WorkoutType:
    if sport == "cycling":
        return _CYCLING.get(kind, kind)
    if sport == "swimming":
        return "swim-intervals"
    return kind


def _week_volume(settings: PlanSettings, frame: WeekFrame, last_load: int | None, peak: int) -> int:
    start, top = VOLUME[settings.sport][settings.level]
    rules = settings.rules
    if frame.kind == "load":
        if last_load is None:
            return start
        rate = rules.max_weekly_increase * (0.5 if frame.block == "peak" else 1.0)
        return max(min(floor5(last_load * (1 + rate)), top), min(last_load, top))
    if frame.kind == "recovery":
        return floor5((last_load or start) * rules.recovery_week_volume)
    return floor5(max(peak, last_load or start) * frame.taper_share)


def _typed_days(
    settings: PlanSettings, frame: WeekFrame, roles: tuple[tuple[int, str], ...], quality: int
) -> list[tuple[int, str, WorkoutType, str]]:
    """(day, role, workout type, sport) for each training day of the week."""
    kinds = iter(quality_types(settings, frame, quality))
    easy_index = quality_index = 0
    typed: list[tuple[int, str, WorkoutType, str]] = []
    for day, role in roles:
        sport: str = settings.sport
        if role == "race":
            typed.append((day, role, "race", sport))
            continue
        if role == "quality":
            kind = next(kinds)
            if sport == "triathlon":
                sport = _TRI_QUALITY_SPORTS[quality_index % 3]
                quality_index += 1
            kind = _sport_type(kind, sport)
        else:
            if sport == "triathlon":
                sport = (
                    "cycling"
                    if role == "long"
                    else "swimming"
                    if role == "recovery"
                    else _TRI_EASY_SPORTS[easy_index % 3]
                )
                easy_index += role == "easy"
            kind = _STEADY_TYPES[sport][role]
        typed.append((day, role, kind, sport))
    return typed


def _keep_long_share(
    minutes: dict[int, int], roles: tuple[tuple[int, str], ...], share: float
) -> None:
    # Trimming other days after the split can leave the long session over its share.
    for day in (d for d, r in roles if r == "long"):
        while minutes[day] > 5 and minutes[day] > share * sum(minutes.values()) + 1e-9:
            minutes[day] -= 5


def plan_weeks(settings: PlanSettings) -> list[WeekPlan]:
    """The skeleton: each week's phase, volume and typed, timed days."""
    frames = lay_out(
        settings.weeks,
        settings.rules,
        race=settings.race is not None,
        no_taper=settings.instructions.no_taper,
    )
    weekdays = tuple(settings.weekday(d) for d in range(1, 8))
    last_load: int | None = None
    peak = 0
    prev_last_hard = False
    totals: list[int] = []
    plans: list[WeekPlan] = []
    for frame in frames:
        volume = _week_volume(settings, frame, last_load, peak)
        race_day = 7 if frame.kind == "race" else None
        n = settings.days_per_week
        want_long = n >= 3 and frame.kind != "race"
        quality = _quality_count(settings, frame, n)
        roles = None
        while roles is None and quality >= 0:
            roles = choose_roles(
                settings.available,
                n,
                quality,
                want_long,
                weekdays,
                settings.long_weekday,
                race_day,
                prev_last_hard,
            )
            if roles is None:
                quality -= 1
        roles = mark_recovery_days(roles or ((1, "easy"),))
        roles, minutes = distribute(
            volume,
            roles,
            level=settings.level,
            sport=settings.sport,
            rules=settings.rules,
            kind=frame.kind,
        )
        reference = max(totals[-2:], default=0)
        if reference:
            allowed = floor5(reference * (1 + settings.rules.max_weekly_increase))
            minutes = cap_increase(minutes, roles, allowed, settings.sport)
        quality = sum(1 for _, r in roles if r == "quality")
        hard_cap = round((1 - settings.rules.easy_share) * volume * 60 / max(quality, 1))
        week = WeekPlan(frame, volume, hard_cap)
        typed = _typed_days(settings, frame, roles, quality)
        for day, _role, _kind, sport in typed:
            if sport == "swimming" and settings.sport == "triathlon":
                # Swims in a triathlon week stay swim-sized; the volume lives on bike and run.
                minutes[day] = min(minutes[day], 75)
        _keep_long_share(minutes, roles, settings.rules.long_run_max_share)
        for day, role, kind, sport in typed:
            seconds = 0 if role == "race" else minutes[day] * 60
            week.days.append(DayPlan(frame.week, day, kind, sport, seconds))
        total = sum(minutes.values())
        totals.append(total)
        if frame.kind == "load":
            last_load = total
            peak = max(peak, total)
        prev_last_hard = any(d.day == 7 and d.type in HARD_TYPES for d in week.days)
        plans.append(week)
    return plans


def realize(settings: PlanSettings, week: WeekPlan, day: DayPlan) -> Workout:
    """A generated workout for one planned day."""
    return realize_session(settings, week, day)[0]


def realize_session(
    settings: PlanSettings, week: WeekPlan, day: DayPlan
) -> tuple[Workout, tuple[Refit, ...]]:
    """The workout for one day, and the totals of the coach's line it could not keep."""

    def intens_for(sport: str) -> Intensities:
        if sport == "primary":
            sport = "running" if day.sport == "triathlon" else day.sport
        return intensities(settings, sport)

    session = build_session(
        SessionInput(
            type=day.type,
            seconds=day.seconds,
            level=settings.level,
            progress=week.frame.progress,
            hard_cap_s=week.hard_cap_s,
            meters=day.meters,
            spec=day.spec,
            race=settings.race if day.type == "race" else None,
            exact=day.exact,
        ),
        intens_for,
    )
    workout = Workout(
        week=day.week,
        day=day.day,
        date=settings.date(day.week, day.day),
        title=session.title,
        phase=week.frame.phase,
        type=session.type,
        description=session.description,
        duration=session.duration,
        distance=session.distance,
        segments=session.segments,
        source="builtin",
    )
    return workout, session.refits


def from_library(settings: PlanSettings, generated: Workout) -> tuple[Workout | None, str | None]:
    """Apply the request's content_source to one generated workout: (workout, warning)."""
    mode = settings.content_source
    if mode == "ai_generate":
        return generated, None
    best: Workout | None = None
    for item in settings.library:
        if item.type != generated.type:
            continue
        if abs(item.duration - generated.duration) > 0.2 * generated.duration:
            continue
        if best is None or (
            abs(item.duration - generated.duration) < abs(best.duration - generated.duration)
        ):
            best = item
    if best is not None:
        return best.model_copy(
            update={
                "week": generated.week,
                "day": generated.day,
                "date": generated.date,
                "phase": generated.phase,
                "source": "library",
            }
        ), None
    if mode == "strict_existing":
        return None, (
            f"week {generated.week} day {generated.day}: no library workout fits "
            f"{generated.type} ({generated.duration // 60} min); day left unfilled"
        )
    return generated, None
