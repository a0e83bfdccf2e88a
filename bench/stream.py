"""Streaming figures (issue 4), everything on 127.0.0.1, the service a separate process.

(a) time to the first `workout` event of a 12-week plan (LLM engine, scripted server at a
    fixed token rate and first-token delay) vs the time the LLM needs for that workout
    (first-token delay + the workout's tokens / rate); goal within 1.2x;
(b) total time of that plan with COACH_LLM_CONCURRENCY=1 and with the default (8);
    goal at least 3x faster;
(c) how many SSE streams of the built-in engine one server process holds open at once
    with every event delivered (goal 1,000): N concurrent plan streams each read their
    first event and wait on a shared barrier until all N have one, then read to `done`;
(d) followers of live plan streams (issue 15), through the local broker and through Redis
    with several web processes: delivery latency p50/p95/p99, RSS per stream, CPU per
    plan (bench/stream_followers.py; goal 5,000 followers, p95 <= 50 ms, <= 100 KB a stream);
(e) a 52-week plan with adaptive week concurrency (AIMD: all the weeks the settings allow at
    once, halving on a 429 / server error / timeout / slower first answer, growing back by
    one a round) against scripted servers: without limits, one that slows under load (past
    --knee streams at once each streams slower in proportion), and one that answers 429
    past --max-streams at once; plus the default settings (8 weeks of a plan at once,
    budget 16): total time over the time of one week alone; goal <= 2x without limits.

Run: .venv/bin/python bench/stream.py [--rate 120] [--delay 0.5] [--streams 250,500,1000]
     [--followers 5000] [--plans 10] [--brokers local,redis] [--skip-followers]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sqlite3
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import stream_followers
from _common import Service, cpu_seconds, out, proc_status, service  # puts the repo on the path

from tests.engine_llm.answers import draft_text, good_responder, week_answer
from tests.support.live import serve_app
from tests.support.scripted_llm import ScriptedLLM, count_tokens

PLAN_STREAM = "/v1/coach/generate-plan/stream"


# -- (a) and (b): the LLM engine against the scripted server ---------------------------


def first_workout_end() -> int:
    """Characters of a week's answer up to the end of its first workout object."""
    answer = week_answer(1)
    first = json.dumps(json.loads(answer)["workouts"][0], separators=(",", ":"))
    return answer.index(first) + len(first)


@dataclass
class Run:
    first_workout_s: float
    total_s: float | None = None
    workouts: int = 0
    total_workouts: int | None = None
    last: str | None = None
    error: str | None = None


def direct_llm(llm_url: str, first_end: int) -> tuple[float, float]:
    """The scripted server on its own, read straight with an HTTP client: seconds until the
    first workout's text has arrived, and until the week's answer is complete. This is the
    LLM time the service cannot beat (the nominal figure leaves out the server's own
    per-token overhead)."""
    payload = {
        "model": "scripted",
        "stream": True,
        "messages": [{"role": "user", "content": "Week 1 of 12 · base"}],
    }
    text, first = "", math.nan
    with httpx2.Client(timeout=60) as http:
        started = time.perf_counter()
        with http.stream("POST", f"{llm_url}/v1/chat/completions", json=payload) as response:
            for event in httpx2.EventSource(response):
                if event.data == "[DONE]":
                    break
                choices = json.loads(event.data)["choices"]
                if choices:
                    text += choices[0]["delta"].get("content") or ""
                if math.isnan(first) and len(text) >= first_end:
                    first = time.perf_counter() - started
        return first, time.perf_counter() - started


def plan_stream(svc: Service, draft: str, weeks: int, *, whole: bool) -> Run:
    body = svc.body(weeks=weeks, refined_draft=draft, start_date="2026-03-02")
    with httpx2.Client(base_url=svc.base_url, headers=svc.headers(), timeout=120) as http:
        started = time.perf_counter()
        first: float | None = None
        run = Run(first_workout_s=math.nan)
        with http.stream("POST", PLAN_STREAM, json=body) as response:
            if response.status_code != 200:
                run.error = f"HTTP {response.status_code}: {response.read().decode()[:200]}"
                return run
            for event in httpx2.EventSource(response):
                run.last = event.event
                if event.event == "workout":
                    run.workouts += 1
                    if first is None:
                        first = time.perf_counter() - started
                        run.first_workout_s = first
                        if not whole:
                            break  # closing the stream cancels the generation
                elif event.event == "result":
                    run.total_workouts = json.loads(event.data)["total_workouts"]
                elif event.event == "error":
                    run.error = json.loads(event.data)["error"]
        run.total_s = time.perf_counter() - started
        return run


def llm_figures(args: argparse.Namespace) -> None:
    weeks = args.weeks
    draft = draft_text(weeks)
    first_end = first_workout_end()
    first_tokens = count_tokens(week_answer(1)[:first_end])
    week_tokens = count_tokens(week_answer(1))
    llm_first = args.delay + first_tokens / args.rate
    llm_week = args.delay + week_tokens / args.rate
    out(
        f"== (a)+(b) LLM engine, {weeks}-week plan, scripted server: {args.rate:g} tokens/s, "
        f"first token after {args.delay:g} s, 1 token per chunk"
    )
    out(
        f"   a week's answer: {week_tokens} tokens, {week_tokens / 5:.0f} per workout; "
        f"LLM time for one week {llm_week:.2f} s"
    )
    llm = ScriptedLLM(
        responder=good_responder(), tokens_per_s=args.rate, first_token_delay=args.delay
    )
    with serve_app(llm.app) as llm_url:
        direct = [direct_llm(llm_url, first_end) for _ in range(3)]
        env = {
            "engine": "openai",
            "llm_base_url": f"{llm_url}/v1",
            "llm_model": "scripted",
            "llm_api_key": "bench",
            "llm_max_retries": "0",
        }
        with service(**env) as svc:
            cold = plan_stream(svc, draft, weeks, whole=False)
            warm = [plan_stream(svc, draft, weeks, whole=False) for _ in range(args.ttfw_runs)]
            llm.wait_idle(5)
            default_run = plan_stream(svc, draft, weeks, whole=True)
        with service(**env, llm_concurrency="1") as svc:
            one_run = plan_stream(svc, draft, weeks, whole=True)

    times = [r.first_workout_s for r in warm]
    median = statistics.median(times)
    measured_first = statistics.median(d[0] for d in direct)
    measured_week = statistics.median(d[1] for d in direct)

    def ratios(seconds: float) -> str:
        return f"{seconds / llm_first:.2f}x nominal, {seconds / measured_first:.2f}x measured"

    out("-- (a) time to the first workout event")
    out(
        f"   LLM time for that workout, nominal: {args.delay:g} s + {first_tokens} tokens / "
        f"{args.rate:g} tokens/s = {llm_first:.3f} s"
    )
    out(
        f"   LLM time for that workout, measured straight from the scripted server: "
        f"{measured_first:.3f} s (its whole week: {measured_week:.2f} s; median of 3)"
    )
    out(
        f"   through the service, first request after start (cold): "
        f"{cold.first_workout_s:.3f} s ({ratios(cold.first_workout_s)})"
    )
    out(
        f"   through the service, next {len(times)} requests: "
        + ", ".join(f"{t:.3f}" for t in times)
        + f" s; median {median:.3f} s = {ratios(median)}  (goal <= 1.2x)"
    )
    for label, run in (("default (8)", default_run), ("1", one_run)):
        out(
            f"   in the full run with concurrency {label}: {run.first_workout_s:.3f} s "
            f"({ratios(run.first_workout_s)})"
        )

    out("-- (b) total time of the plan")
    for label, run, concurrency in (("1", one_run, 1), ("default (8)", default_run, 8)):
        ideal = math.ceil(weeks / concurrency) * measured_week
        complete = run.error is None and run.last == "done" and run.workouts == run.total_workouts
        out(
            f"   concurrency {label:>11}: {run.total_s:7.2f} s  "
            f"(LLM-bound {ideal:6.2f} s; {run.workouts}/{run.total_workouts} workouts, "
            f"last event {run.last}{'' if complete else ', INCOMPLETE: ' + str(run.error)})"
        )
    if one_run.total_s and default_run.total_s:
        out(f"   speed-up: {one_run.total_s / default_run.total_s:.2f}x  (goal >= 3x)")


# -- (c): many built-in engine streams at once ------------------------------------------


@dataclass
class Crowd:
    n: int
    first: int = 0
    failed_before_first: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)
    open_at_once: int = 0
    barrier_s: float = math.nan
    server_at_barrier: dict[str, int] = field(default_factory=dict)
    generating_at_barrier: int | None = None
    complete: int = 0
    events: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    def check_barrier(self, started: float, svc: Service) -> None:
        if not self.released.is_set() and self.first + self.failed_before_first >= self.n:
            self.open_at_once = self.first
            self.barrier_s = time.perf_counter() - started
            self.server_at_barrier = proc_status(svc.pid)
            self.generating_at_barrier = _generating(svc.database)
            self.released.set()


def _generating(database: Path) -> int | None:
    """Plans the server is still streaming (stored as 'generating' until the last workout
    has been sent): proof that the server, not only the client, holds the streams open."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute("SELECT count(*) FROM plans WHERE status = 'generating'").fetchone()
            return int(row[0])
    except sqlite3.Error:
        return None


def _check(events: list[httpx2.ServerSentEvent]) -> str | None:
    kinds = [e.event for e in events]
    if [e.id for e in events] != [str(i) for i in range(1, len(events) + 1)]:
        return "ids not 1..n"
    if not kinds or kinds[-1] != "done" or kinds.count("done") != 1:
        return "done not last"
    if "error" in kinds:
        return "error event"
    if kinds[-2] != "result":
        return "no result"
    total = json.loads(events[-2].data)["total_workouts"]
    if kinds.count("workout") != total:
        return "workouts != total_workouts"
    return None


async def crowd(
    svc: Service, n: int, body: dict[str, Any], barrier_timeout: float, deadline: float
) -> tuple[Crowd, float]:
    state = Crowd(n)
    limits = httpx2.Limits(max_connections=n + 16, max_keepalive_connections=n + 16)
    timeout = httpx2.Timeout(60, connect=30, pool=60)
    started = time.perf_counter()

    async def one() -> None:
        had_first = False
        try:
            async with client.stream("POST", PLAN_STREAM, json=body) as response:
                if response.status_code != 200:
                    state.failures[f"HTTP {response.status_code}"] += 1
                    return
                events = aiter(httpx2.EventSource(response))
                received = [await anext(events)]
                had_first = True
                state.first += 1
                state.check_barrier(started, svc)
                try:
                    await asyncio.wait_for(state.released.wait(), barrier_timeout)
                except TimeoutError:
                    pass  # reported as open_at_once < n
                async for event in events:
                    received.append(event)
            problem = _check(received)
            state.events += len(received)
            if problem:
                state.failures[problem] += 1
            else:
                state.complete += 1
        except Exception as exc:  # counted, never raised: the figure is how many succeed
            state.failures[type(exc).__name__] += 1
        finally:
            if not had_first:
                state.failed_before_first += 1
                state.check_barrier(started, svc)

    async with httpx2.AsyncClient(
        base_url=svc.base_url, headers=svc.headers(), limits=limits, timeout=timeout
    ) as client:
        tasks = [asyncio.create_task(one()) for _ in range(n)]
        done, pending = await asyncio.wait(tasks, timeout=deadline)
        for task in pending:
            task.cancel()
        if pending:
            state.failures["bench deadline"] += len(pending)
            await asyncio.wait(pending, timeout=10)
    return state, time.perf_counter() - started


def stream_figures(args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.streams.split(",") if n]
    out(
        f"== (c) built-in engine: concurrent {PLAN_STREAM} streams, "
        f"{args.stream_weeks}-week plan each, one server process"
    )
    with service(engine="builtin") as svc:
        with httpx2.Client(base_url=svc.base_url, headers=svc.headers(), timeout=60) as http:
            draft = http.post(
                "/v1/coach/generate-draft", json=svc.body(weeks=args.stream_weeks)
            ).json()["draft"]
            body = svc.body(weeks=args.stream_weeks, refined_draft=draft, start_date="2026-03-02")
            with http.stream("POST", PLAN_STREAM, json=body) as response:
                sample = list(httpx2.EventSource(response))
    size = sum(len(e.data) for e in sample)
    out(
        f"   one stream: {len(sample)} events, {sum(e.event == 'workout' for e in sample)} "
        f"workouts, ~{size // 1024} KB of data; a fresh server process for each N"
    )
    out(
        f"   {'N':>5} {'open at once':>12} {'server-side':>11} {'complete':>8} "
        f"{'events':>8} {'failures':>8} {'barrier s':>9} {'wall s':>7} {'server CPU s':>12} "
        f"{'RSS MB':>6} {'peak MB':>7} {'fds':>5}"
    )
    for n in counts:
        with service(engine="builtin") as svc:
            body = svc.body(weeks=args.stream_weeks, refined_draft=draft, start_date="2026-03-02")
            cpu_before = cpu_seconds(svc.pid)
            state, wall = asyncio.run(crowd(svc, n, body, args.barrier_timeout, args.deadline))
            cpu = cpu_seconds(svc.pid) - cpu_before
            server = state.server_at_barrier or proc_status(svc.pid)
            peak = proc_status(svc.pid).get("VmHWM", 0)
        failures = sum(state.failures.values())
        out(
            f"   {n:>5} {state.open_at_once:>12} {state.generating_at_barrier!s:>11} "
            f"{state.complete:>8} {state.events:>8} {failures:>8} {state.barrier_s:>9.2f} "
            f"{wall:>7.2f} {cpu:>12.1f} {server.get('VmRSS', 0):>6} {peak:>7} "
            f"{server.get('fds', 0):>5}"
        )
        if state.failures:
            out(f"         failures: {dict(state.failures)}")
    out("   open at once: streams holding their first event at the barrier (client side);")
    out("   RSS and fds: the server process at the barrier; peak: its VmHWM at the end;")
    out("   server-side: of those, plans the server was still streaming at that moment;")
    out(
        "   complete: streams with every event (workouts == total_workouts, ids 1..n, done "
        "last); goal 1,000"
    )


def adaptive_figures(args: argparse.Namespace) -> None:
    weeks = 52
    draft = draft_text(weeks)
    llm = ScriptedLLM(
        responder=good_responder(), tokens_per_s=args.rate, first_token_delay=args.delay
    )
    out(
        f"== (e) {weeks}-week plan, scripted server {args.rate:g} tokens/s, first token after "
        f"{args.delay:g} s"
    )
    with serve_app(llm.app) as llm_url:
        first_end = first_workout_end()
        week_alone = max(direct_llm(llm_url, first_end)[1] for _ in range(3))
        env = {
            "engine": "openai",
            "llm_base_url": f"{llm_url}/v1",
            "llm_model": "scripted",
            "llm_api_key": "bench",
            "llm_max_retries": "0",
            "llm_timeout_s": "600",
            "plan_deadline_s": "600",
        }
        wide = {"llm_budget": "128", "llm_concurrency": "64"}
        rows = []
        for label, extra, knee, most in (
            ("defaults (8 at once, budget 16), no limits", {}, None, None),
            ("64 at once, budget 128, no limits", wide, None, None),
            (f"64 at once, budget 128, slows past {args.knee}", wide, args.knee, None),
            (f"64 at once, budget 128, 429 past {args.max_streams}", wide, None, args.max_streams),
        ):
            llm.load_knee, llm.max_streams = knee, most
            with llm.lock:
                llm.max_open, llm.turned_away, llm.open_at_arrival = 0, 0, []
            with service(**env, **extra) as svc:
                run = plan_stream(svc, draft, weeks, whole=True)
            with llm.lock:
                later = max(llm.open_at_arrival[weeks:], default=0)
                rows.append((label, run, llm.max_open, llm.turned_away, later))
    out(f"   one week alone (slowest of 3, straight from the server): {week_alone:.2f} s")
    out(
        "   | server, settings | total s | x one week | most requests open | 429s "
        "| most open after the first 52 requests | workouts | error |"
    )
    out("   |---|---|---|---|---|---|---|---|")
    for label, run, most, turned_away, later in rows:
        total = run.total_s or math.nan
        out(
            f"   | {label} | {total:.1f} | {total / week_alone:.2f}x | {most} | {turned_away} "
            f"| {later} | {run.workouts}/{run.total_workouts} | {run.error or '-'} |"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--rate", type=float, default=120.0, help="LLM tokens per second")
    parser.add_argument("--delay", type=float, default=0.5, help="LLM first-token delay, s")
    parser.add_argument("--ttfw-runs", type=int, default=5)
    parser.add_argument("--streams", default="250,500,1000")
    parser.add_argument("--stream-weeks", type=int, default=12)
    parser.add_argument("--barrier-timeout", type=float, default=60.0)
    parser.add_argument("--deadline", type=float, default=150.0, help="per N, seconds")
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--skip-streams", action="store_true")
    parser.add_argument("--skip-followers", action="store_true")
    parser.add_argument("--skip-adaptive", action="store_true")
    parser.add_argument("--knee", type=int, default=40, help="(e): streams at full speed")
    parser.add_argument("--max-streams", type=int, default=24, help="(e): 429 past this")
    stream_followers.add_arguments(parser)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not args.skip_llm:
        llm_figures(args)
    if not args.skip_streams:
        stream_figures(args)
    if not args.skip_adaptive:
        adaptive_figures(args)
    if not args.skip_followers:
        stream_followers.run(args)
    out(f"bench finished in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
