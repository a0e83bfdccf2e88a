"""Conversions per second, workout -> template -> FIT bytes, over 52-week built-in plans.

The plans come from the built-in engine (write_draft, then build_plan on the unedited
draft) with athlete thresholds, so every step carries a concrete pace, bpm or W target.
Each figure is the median of several timed passes over the whole plan (time.perf_counter).

Run from the repository root: `.venv/bin/python bench/convert.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from coach.engines.base import GenerationContext
from coach.engines.builtin import build_plan, write_draft
from coach.plans.models import Sport, Workout
from coach.plans.requests import AthleteThresholds, GenerationRequest
from coach.principles import resolve
from coach.templates.convert import workout_to_template
from coach.templates.fit import template_to_fit

WEEKS = 52
ATHLETES: dict[Sport, AthleteThresholds] = {
    "running": AthleteThresholds(threshold_pace_s_per_km=270, threshold_hr=170, max_hr=190),
    "cycling": AthleteThresholds(ftp_w=250, threshold_hr=165),
    "triathlon": AthleteThresholds(threshold_pace_s_per_km=285, threshold_hr=168, ftp_w=230),
}


def built_plan(sport: Sport) -> list[Workout]:
    request = GenerationRequest(
        weeks=WEEKS,
        experience_level="advanced",
        organization_id=1,
        sport=sport,
        athlete=ATHLETES[sport],
    )
    principle = resolve(override=None, coach_setting=None, organization_setting=None)
    ctx = GenerationContext(request=request, principle=principle)
    draft = write_draft(ctx)
    plan = build_plan(ctx, draft)
    return plan.workouts


def median_seconds(work: Callable[[], object], runs: int) -> float:
    work()  # warm up caches and imports outside the timed runs
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class Result:
    sport: str
    workouts: int
    steps: int
    template_s: float  # median seconds for the plan, workout -> template
    fit_s: float  # median seconds for the plan, workout -> template -> FIT bytes
    fit_bytes: int


def measure(sport: Sport, runs: int) -> Result:
    plan = built_plan(sport)
    steps = sum(len(seg.steps) for w in plan for seg in w.segments)

    def templates() -> None:
        for workout in plan:
            workout_to_template(workout, sport=sport)

    def fit_files() -> int:
        return sum(
            len(template_to_fit(workout_to_template(workout, sport=sport))) for workout in plan
        )

    return Result(
        sport,
        len(plan),
        steps,
        median_seconds(templates, runs),
        median_seconds(fit_files, runs),
        fit_files(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed passes per plan (median)")
    parser.add_argument(
        "--sports", nargs="+", default=["running", "cycling", "triathlon"], choices=sorted(ATHLETES)
    )
    args = parser.parse_args()
    out = sys.stdout
    out.write(
        f"python {sys.version.split()[0]}; {WEEKS}-week built-in plans; "
        f"median of {args.runs} runs\n"
    )
    for sport in args.sports:
        r = measure(sport, max(1, args.runs))
        out.write(
            f"{r.sport:>9}: {r.workouts} workouts ({r.steps} steps), "
            f"{r.workouts / r.fit_s:6.0f} workout->template->FIT/s "
            f"({r.fit_s * 1000:.0f} ms per plan, {r.fit_bytes / 1024:.0f} KiB of FIT); "
            f"{r.workouts / r.template_s:6.0f} workout->template/s\n"
        )


if __name__ == "__main__":
    main()
