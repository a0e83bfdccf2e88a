"""Times the built-in engine for 12- and 52-week plans (goal: 52 weeks under 50 ms, one core),
then counts the LLM engine's prompt and completion tokens per workout against the scripted
OpenAI-compatible server (bench/engine_llm.py, which also runs alone).

Run: .venv/bin/python bench/engine.py [--runs N] [--skip-llm]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from coach.engines.base import GenerationContext
from coach.engines.builtin import build_plan, write_draft
from coach.plans.requests import AthleteThresholds, GenerationRequest
from coach.principles import resolve


def _context(weeks: int) -> GenerationContext:
    request = GenerationRequest(
        weeks=weeks,
        experience_level="intermediate",
        organization_id=1,
        instructions="5 days per week, no training on Mondays, marathon on the last day",
        start_date="2025-01-06",
        athlete=AthleteThresholds(threshold_pace_s_per_km=270, threshold_hr=170),
    )
    principle = resolve(override=None, coach_setting=None, organization_setting=None)
    return GenerationContext(request=request, principle=principle)


def _median_ms(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--llm-weeks", type=int, default=12)
    args = parser.parse_args(argv)
    out = sys.stdout
    out.write(f"built-in engine, median of {args.runs} runs (after one warm-up run)\n")
    out.write(f"{'weeks':>5} {'workouts':>8} {'draft ms':>9} {'plan ms':>8} {'total ms':>9}\n")
    for weeks in (12, 52):
        ctx = _context(weeks)
        draft = write_draft(ctx)  # warm-up: imports, principle files, caches
        plan = build_plan(ctx, draft)
        draft_ms = _median_ms(lambda ctx=ctx: write_draft(ctx), args.runs)
        plan_ms = _median_ms(lambda ctx=ctx, draft=draft: build_plan(ctx, draft), args.runs)
        out.write(
            f"{weeks:>5} {len(plan.workouts):>8} {draft_ms:>9.1f} {plan_ms:>8.1f} "
            f"{draft_ms + plan_ms:>9.1f}\n"
        )
    out.write("goal: 52 weeks under 50 ms per step on one core\n\n")
    out.flush()
    if not args.skip_llm:
        import engine_llm  # bench/ is on sys.path when this file runs as a script

        engine_llm.main(["--weeks", str(args.llm_weeks)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
