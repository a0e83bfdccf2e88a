"""The built-in engine's plans keep every coaching rule, for every level, length and sport."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from builtin_helpers import THRESHOLDS, MakeCtx, build_ctx

from coach.engines.builtin import build_plan, write_draft
from coach.engines.builtin.draft import generate
from coach.plans.models import HARD_TYPES, Workout
from coach.plans.validate import segment_totals, validate_plan
from coach.principles import load_builtin

LEVELS = ("beginner", "intermediate", "advanced")
# The engine schedules progression runs as quality days, though models.HARD_TYPES omits them.
QUALITY = HARD_TYPES | {"progression"}


def _plan(ctx) -> list[Workout]:
    return [s.final for s in generate(ctx).slots if s.final is not None]


def _check(ctx) -> list[Workout]:
    gen = generate(ctx)
    workouts = [s.final for s in gen.slots if s.final is not None]
    violations = validate_plan(
        workouts,
        weeks=ctx.request.weeks,
        rules=gen.settings.rules,
        level=ctx.request.experience_level,
        start_date=ctx.request.start_date,
        max_quality=gen.settings.max_quality(),
    )
    assert violations == [], [str(v) for v in violations]
    return workouts


@pytest.mark.parametrize("principle", sorted(load_builtin()))
def test_every_plan_passes_the_validator(principle: str) -> None:
    combos = itertools.product(
        LEVELS, (1, 2, 3, 4, 8, 12, 16, 24, 52), ("running", "cycling"), (False, True)
    )
    for level, weeks, sport, thresholds in combos:
        ctx = build_ctx(
            principle=principle,
            weeks=weeks,
            experience_level=level,
            sport=sport,
            start_date="2025-03-05",
            athlete=THRESHOLDS if thresholds else None,
        )
        workouts = _check(ctx)
        assert {w.week for w in workouts} == set(range(1, weeks + 1))


@pytest.mark.parametrize("sport", ["swimming", "triathlon"])
@pytest.mark.parametrize("weeks", [1, 4, 12, 16, 52])
def test_swimming_and_triathlon_plans_are_valid(sport: str, weeks: int) -> None:
    for level in LEVELS:
        _check(
            build_ctx(
                weeks=weeks,
                experience_level=level,
                sport=sport,
                instructions="race on the last day",
            )
        )


@pytest.mark.parametrize("weeks", [1, 4, 12, 16, 52])
@pytest.mark.parametrize("level", LEVELS)
def test_plans_with_instructions_are_valid(weeks: int, level: str) -> None:
    for instructions in (
        "marathon on the last day",
        "3 days per week, two track sessions per week",
        "no training on Mondays or Fridays, half marathon race",
    ):
        _check(
            build_ctx(
                weeks=weeks, experience_level=level, instructions=instructions, athlete=THRESHOLDS
            )
        )


def test_segment_totals_equal_duration_and_distance_exactly(make_ctx: MakeCtx) -> None:
    for athlete in (THRESHOLDS, None):
        for sport in ("running", "cycling"):
            for w in _plan(
                make_ctx(weeks=16, sport=sport, athlete=athlete, instructions="half marathon race")
            ):
                seconds, meters, time_known, _ = segment_totals(w.segments)
                assert time_known or w.type == "race"
                if time_known:
                    assert abs(seconds - w.duration) <= 1, w.title
                if athlete and sport == "running" and w.type not in ("hills",):
                    # Every running step carries a pace target: distance is checkable too.
                    assert abs(meters - w.distance) <= 1, w.title


def test_every_workout_has_warmup_main_and_cooldown(make_ctx: MakeCtx) -> None:
    for w in _plan(make_ctx(weeks=12, instructions="marathon on the last day")):
        assert [s.kind for s in w.segments] == ["warmup", "main", "cooldown"]
        assert w.source == "builtin"
    intervals = [w for w in _plan(make_ctx(weeks=12)) if w.type == "intervals"]
    assert intervals and all(w.segments[1].repeats >= 2 for w in intervals)


def test_targets_are_concrete_with_thresholds(make_ctx: MakeCtx) -> None:
    running = _plan(make_ctx(athlete={"threshold_pace_s_per_km": 270}))
    steps = [st for w in running for seg in w.segments for st in seg.steps]
    assert {st.target.type for st in steps if st.target} <= {"pace", "rpe"}
    assert all(st.target.low and st.target.high for st in steps if st.target)
    hr = _plan(make_ctx(athlete={"threshold_hr": 170}))
    hr_steps = [st.target for w in hr for seg in w.segments for st in seg.steps if st.target]
    assert all(t.type == "heart_rate" and 100 < t.low < t.high <= 190 for t in hr_steps)
    ride = _plan(make_ctx(sport="cycling", athlete={"ftp_w": 250}))
    ride_targets = [st.target for w in ride for seg in w.segments for st in seg.steps]
    assert all(t.type == "power" and 100 <= t.low < t.high <= 380 for t in ride_targets)


def test_targets_are_zones_without_thresholds(make_ctx: MakeCtx) -> None:
    for sport in ("running", "cycling"):
        targets = [
            st.target
            for w in _plan(make_ctx(sport=sport))
            for seg in w.segments
            for st in seg.steps
            if st.target
        ]
        assert targets and all(t.zone and t.low is None for t in targets)


def test_interval_pace_follows_threshold_pace(make_ctx: MakeCtx) -> None:
    fast = _plan(make_ctx(athlete={"threshold_pace_s_per_km": 240}))
    work = [
        st.target
        for w in fast
        if w.type == "intervals"
        for st in w.segments[1].steps
        if st.intensity == "interval"
    ]
    assert work and all(215 <= (t.low + t.high) / 2 < 240 for t in work)


def test_dates_follow_start_date(make_ctx: MakeCtx) -> None:
    start = dt.date(2025, 3, 5)
    for w in _plan(make_ctx(start_date="2025-03-05")):
        assert w.date == start + dt.timedelta(days=(w.week - 1) * 7 + w.day - 1)
    assert all(w.date is None for w in _plan(make_ctx()))


def test_never_two_hard_days_back_to_back(make_ctx: MakeCtx) -> None:
    for level in LEVELS:
        for principle in load_builtin():
            workouts = _plan(
                make_ctx(
                    weeks=24,
                    experience_level=level,
                    principle=principle,
                    instructions="two track sessions per week, 10k race",
                )
            )
            hard = sorted((w.week - 1) * 7 + w.day for w in workouts if w.type in QUALITY)
            assert all(b - a > 1 for a, b in itertools.pairwise(hard))


def test_taper_before_a_race(make_ctx: MakeCtx) -> None:
    workouts = _plan(
        make_ctx(weeks=16, instructions="marathon on the last day", athlete=THRESHOLDS)
    )
    race = workouts[-1]
    assert (race.type, race.week, race.day) == ("race", 16, 7)
    assert 42195 <= race.distance and race.title == "Marathon race"
    volume = defaultdict(int)
    phases = {}
    for w in workouts:
        phases[w.week] = w.phase
        if w.type != "race":
            volume[w.week] += w.duration
    assert phases[15] == phases[16] == "taper" and phases[14] == "peak"
    peak = max(volume.values())
    assert volume[15] <= 0.75 * peak and volume[16] <= 0.55 * peak
    assert volume[16] < volume[15]
    assert all(w.type not in HARD_TYPES for w in workouts if w.week == 16 and w.day == 6)


def test_recovery_weeks_every_nth_week(make_ctx: MakeCtx) -> None:
    workouts = _plan(make_ctx(weeks=16, principle="polarized"))
    phases = {w.week: w.phase for w in workouts}
    assert [week for week, phase in sorted(phases.items()) if phase == "recovery"] == [4, 8, 12]
    volume = defaultdict(int)
    for w in workouts:
        volume[w.week] += w.duration
    assert volume[4] <= 0.72 * volume[3] and volume[5] > volume[4]


def test_progression_cap_and_long_run_share(make_ctx: MakeCtx) -> None:
    for principle, rules in ((n, p.rules) for n, p in load_builtin().items()):
        workouts = _plan(make_ctx(weeks=24, principle=principle, experience_level="advanced"))
        volume = defaultdict(int)
        for w in workouts:
            volume[w.week] += w.duration
        for week in range(2, 25):
            reference = max(volume[week - 1], volume.get(week - 2, 0))
            assert volume[week] <= reference * (1 + rules.max_weekly_increase) + 1
        for w in workouts:
            if w.type == "long-run":
                assert w.duration <= rules.long_run_max_share * volume[w.week]
                assert w.duration <= rules.long_run_max_minutes * 60


def test_easy_share_is_respected(make_ctx: MakeCtx) -> None:
    for name, principle in load_builtin().items():
        for level in LEVELS:
            workouts = _plan(
                make_ctx(weeks=16, principle=name, experience_level=level, athlete=THRESHOLDS)
            )
            hard = defaultdict(float)
            total = defaultdict(int)
            for w in workouts:
                total[w.week] += w.duration
                for seg in w.segments:
                    for st in seg.steps:
                        if st.intensity == "interval":
                            seconds = segment_totals([seg.model_copy(update={"steps": [st]})])[0]
                            hard[w.week] += seconds
            for week, seconds in total.items():
                assert hard[week] <= (1 - principle.rules.easy_share) * seconds + 60


def test_quality_days_follow_level(make_ctx: MakeCtx) -> None:
    counts = {}
    for level in LEVELS:
        workouts = _plan(make_ctx(weeks=12, experience_level=level, principle="pyramidal"))
        counts[level] = sum(1 for w in workouts if w.week == 2 and w.type in QUALITY)
    assert counts == {"beginner": 1, "intermediate": 2, "advanced": 3}


def test_one_week_plans(make_ctx: MakeCtx) -> None:
    plain = _plan(make_ctx(weeks=1))
    assert plain and {w.phase for w in plain} == {"base"}
    race = _plan(make_ctx(weeks=1, instructions="5k race"))
    assert race[-1].type == "race" and race[-1].day == 7 and race[-1].phase == "taper"


def test_same_input_same_output(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(
        weeks=52,
        instructions="marathon on the last day",
        athlete=THRESHOLDS,
        start_date="2025-01-06",
    )
    first = write_draft(ctx)
    assert (
        write_draft(
            make_ctx(
                weeks=52,
                instructions="marathon on the last day",
                athlete=THRESHOLDS,
                start_date="2025-01-06",
            )
        )
        == first
    )
    assert build_plan(ctx, first) == build_plan(ctx, first)


def test_free_text_principle_uses_default_rules(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(principle="Run lots, mostly slow, one hard day.")
    assert ctx.principle.principle is None
    gen = generate(ctx)
    assert gen.settings.rules.name == "polarized"
    assert "custom principle" in write_draft(ctx)
