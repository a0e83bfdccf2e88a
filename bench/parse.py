"""Draft parsing time against input size, up to the 200,000-character limit of
`refined_draft`, for a real draft and for inputs built to make a parser backtrack.

Linear parsing keeps the time per KB flat as the size grows; a quadratic parser's time per
KB grows with the size (the old parser took 4.7 s for one line plus 15,000 spaces).

Then, over HTTP against `coach serve` in its own process: /healthz latency while clients
keep 8 generate-plan requests with 200,000-character adversarial drafts in flight.

Run: .venv/bin/python bench/parse.py [--runs N] [--skip-http]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable

from _common import out, service  # bench/ is on sys.path when this file runs as a script

from coach.engines.base import GenerationContext
from coach.engines.builtin import write_draft
from coach.errors import BadRequest
from coach.plans.plan_lines import read_plan_lines
from coach.plans.requests import GenerationRequest
from coach.principles import resolve

LIMIT = 200_000
SIZES = (12_500, 25_000, 50_000, 100_000, 200_000)
HEADER = "Week 1 — base\nW1 D1 Mon  Easy run, 40 min, 7.0 km\n"


def _real_draft() -> str:
    request = GenerationRequest(
        weeks=52, experience_level="advanced", organization_id=1, start_date="2026-01-05"
    )
    principle = resolve(override=None, coach_setting=None, organization_setting=None)
    return write_draft(GenerationContext(request=request, principle=principle))


def _repeat(unit: str) -> Callable[[int], str]:
    def build(size: int) -> str:
        body = unit * (size // len(unit) + 1)
        return (HEADER + body)[:size]

    return build


def _inputs() -> dict[str, Callable[[int], str]]:
    real = _real_draft()
    return {
        "52-week draft, repeated": lambda size: (real * (size // len(real) + 1))[:size],
        "one line + spaces": lambda size: HEADER + "W1 D2 Easy run" + " " * size,
        "one line of digits": lambda size: HEADER + "W1 D2 Easy run " + "1" * size,
        "digit runs in titles": _repeat("W1 D3 Intervals 1x" + "1" * 470 + "\n"),
        "tiny garbage lines": _repeat("a\n"),
        "separators": _repeat("W1 D3 Easy" + ", " * 200 + " ·|;" * 20 + "\n"),
        "brackets": _repeat("W1 D3 Easy [" * 40 + "\n"),
        "table rows": _repeat("|1|2|Easy " + "x " * 200 + "|40|7|\n"),
        "tabs": _repeat("\t" * 400 + "\n"),
    }


def _median_ms(text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            read_plan_lines(text, weeks=52, sport="running", first_weekday=0)
        except BadRequest:
            pass  # nothing readable: the 400 is the answer, after the same work
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _health_while_flooded(seconds: float, clients: int) -> None:
    import httpx2

    drafts = [build(LIMIT)[:LIMIT] for build in _inputs().values()][1:]
    with service(plan_workers="2") as svc:
        stop = threading.Event()
        answered: list[int] = []

        def flood(index: int) -> None:
            with httpx2.Client(base_url=svc.base_url, headers=svc.headers(), timeout=120) as http:
                n = index
                while not stop.is_set():
                    draft = drafts[n % len(drafts)]
                    n += 1
                    response = http.post(
                        "/v1/coach/generate-plan",
                        json=svc.body(weeks=8, refined_draft=draft),
                    )
                    answered.append(response.status_code)

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # let the flood build up
        latencies = []
        with httpx2.Client(base_url=svc.base_url, timeout=30) as http:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                start = time.perf_counter()
                http.get("/healthz").raise_for_status()
                latencies.append((time.perf_counter() - start) * 1000)
                time.sleep(0.02)
        stop.set()
        for thread in threads:
            thread.join()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    out(f"/healthz while {clients} clients post 200,000-character adversarial drafts")
    out(f"{'health requests':<24} {len(latencies):>8}")
    out(f"{'median ms':<24} {statistics.median(latencies):>8.1f}")
    out(f"{'p95 ms':<24} {p95:>8.1f}")
    out(f"{'max ms':<24} {latencies[-1]:>8.1f}")
    codes = {code: answered.count(code) for code in sorted(set(answered))}
    out(f"{'plans answered':<24} {len(answered):>8}  (status: count {codes})")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--http-seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    out(f"read_plan_lines, median of {args.runs} runs, one core")
    out()
    out(f"{'input':<24} {'size':>8} {'ms':>9} {'ms/KB':>7}")
    for name, build in _inputs().items():
        for size in SIZES:
            text = build(size)[:LIMIT]
            ms = _median_ms(text, args.runs)
            out(f"{name:<24} {len(text):>8} {ms:>9.1f} {ms / (len(text) / 1000):>7.3f}")
        out()
    if not args.skip_http:
        _health_while_flooded(args.http_seconds, clients=8)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
