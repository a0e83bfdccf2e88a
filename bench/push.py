"""Push plans through the service to the Shape and Terra emulators; print figures.

Everything runs on 127.0.0.1: the service (real uvicorn, its own push worker, a temp
SQLite file) and the provider emulators with their documented rate limits, reached
through the service's settings (COACH_TERRA_BASE_URL, COACH_SHAPE_BASE_URL).

1. A 52-week plan to Shape and to Terra. Shape takes batches of 100, so the fewest
   requests for N workouts is ceil(N / 100); Terra has no batch endpoint (a template and
   a planned workout per workout).
2. Fairness: 50 connections across 10 organizations (Terra, Shape, ICS and FIT), one of
   them on a Terra account that answers every call with 429 and Retry-After: 3600. Each
   job's time in the crowd (from its creation to its settling, as the service records
   them) is printed against its time alone (the same provider, the same plan, nobody else
   pushing). The service runs as a process of its own here (`coach serve`), so the
   emulators and this script do not share its interpreter.

Run: .venv/bin/python bench/push.py
"""

from __future__ import annotations

import math
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' emulators

import httpx2  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bench._common import Service, service  # noqa: E402
from coach.db.database import Database  # noqa: E402
from coach.db.tables import PlannedWorkoutRow, PushJobRow, utcnow  # noqa: E402
from tests.support.live import LiveServer, live_server  # noqa: E402
from tests.support.plans import draft_then_plan  # noqa: E402
from tests.support.push import (  # noqa: E402
    SECRET_KEY,
    Emulated,
    athlete_with,
    connection_body,
    emulators,
    push_settings,
    wait_for_job,
)
from tests.support.tenants import Tenant, make_tenant  # noqa: E402

ORGANIZATIONS = 10
# Each organization's five connections; the first Terra one of the first organization is
# the account Terra rate-limits hard.
KINDS = ("terra", "shape", "ics", "fit", "terra")
FAIRNESS_WEEKS = 4


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fifty_two_weeks(live: LiveServer, emu: Emulated) -> None:
    tenant = make_tenant(live.db)
    with live.client(tenant.coach_key) as http:
        _, plan = draft_then_plan(
            http, tenant, weeks=52, start_date="2027-01-04", instructions="5 days per week"
        )
        workouts = len(plan["content"])
        out(f"52-week plan: {workouts} workouts")
        for provider in ("shape", "terra"):
            user_id, _ = athlete_with(http, connection_body(provider))
            started = time.perf_counter()
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            job = wait_for_job(http, job_id, timeout=600)
            elapsed = time.perf_counter() - started
            emulator: Any = emu.shape if provider == "shape" else emu.terra
            limited = getattr(emulator, "rate_limited", 0)
            out(
                f"{provider:6s} status={job['status']} pushed={job['pushed']}"
                f"/{job['total']} requests={emulator.requests} 429s={limited}"
                f" wall={elapsed:.2f}s"
            )
            if provider == "shape":
                out(
                    f"       fewest possible requests: {math.ceil(workouts / 100)}"
                    f" (batches of 100); calls: {dict(emu.shape.calls)}"
                )


def _connection(http: httpx2.Client, emu: Emulated, kind: str, n: int, limited: bool) -> str:
    if kind == "terra":
        body = connection_body(
            "terra",
            user=f"garmin-user-{n + 2}",
            api_key="key-limited" if limited else "key-test",
        )
    elif kind == "shape":
        token = f"shape_{uuid.uuid4().hex}"  # an account of its own: Shape limits per token
        emu.shape.tokens.add(token)
        body = connection_body("shape", token=token)
    else:
        body = connection_body(kind)
    user_id, _ = athlete_with(http, body)
    return user_id


def _job_seconds(db: Database, job_ids: list[str]) -> dict[str, float | None]:
    """Each job's time from creation to settling (None: still running), from the database."""
    rows = db.call(
        lambda s: s.exec(select(PushJobRow).where(col(PushJobRow.id).in_(job_ids))).all()
    )
    return {
        r.id: (r.finished_at - r.created_at).total_seconds() if r.finished_at else None
        for r in rows
    }


def _plan(http: httpx2.Client, tenant: Tenant) -> dict[str, Any]:
    _, plan = draft_then_plan(
        http, tenant, weeks=FAIRNESS_WEEKS, start_date="2027-01-04", instructions="5 days per week"
    )
    return plan


def fairness(svc: Service, emu: Emulated) -> None:
    db = Database(f"sqlite:///{svc.database}")

    def client(tenant: Tenant) -> httpx2.Client:
        return httpx2.Client(
            base_url=svc.base_url,
            headers={"Authorization": f"Bearer {tenant.coach_key}"},
            timeout=60,
        )

    emu.terra.latency_s = 0.005  # a little network: a Terra push is two requests per workout
    # The hard-limited account: every call is a 429 asking for an hour.
    emu.terra.faults.add(
        "status",
        status=429,
        retry_after="3600",
        header=("x-api-key", "key-limited"),
        times=10**9,
    )
    tenants = [make_tenant(db) for _ in range(ORGANIZATIONS)]
    plans: list[dict[str, Any]] = []
    for tenant in tenants:
        with client(tenant) as http:
            plans.append(_plan(http, tenant))

    # Alone: pushes of each kind, nobody else pushing (the median of three).
    solo: dict[str, float] = {}
    with client(tenants[-1]) as http:
        for kind in ("terra", "shape", "ics", "fit"):
            times = []
            for n in range(3):
                user_id = _connection(http, emu, kind, 90 + n, limited=False)
                job_id = http.post(
                    f"/v1/coach/plans/{plans[-1]['plan_id']}/push", json={"user_id": user_id}
                ).json()["job_id"]
                assert wait_for_job(http, job_id, timeout=600)["status"] == "complete"
                seconds = _job_seconds(db, [job_id])[job_id]
                assert seconds is not None
                times.append(seconds)
            solo[kind] = statistics.median(times)

    # Together: 50 connections, their jobs posted as fast as the API takes them.
    jobs: list[tuple[int, str, bool, str]] = []  # organization, kind, limited, job id
    users: list[tuple[int, str, bool, str]] = []
    for org, tenant in enumerate(tenants):
        with client(tenant) as http:
            for i, kind in enumerate(KINDS):
                limited = org == 0 and i == 0
                users.append(
                    (org, kind, limited, _connection(http, emu, kind, 5 * org + i, limited))
                )
    started = time.perf_counter()
    for org, kind, limited, user_id in users:
        with client(tenants[org]) as http:
            job_id = http.post(
                f"/v1/coach/plans/{plans[org]['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
        jobs.append((org, kind, limited, job_id))
    posted = time.perf_counter() - started
    others = [j for _, _, limited, j in jobs if not limited]
    deadline = time.monotonic() + 600
    while True:
        seconds = _job_seconds(db, others)
        if all(v is not None for v in seconds.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    wall = time.perf_counter() - started
    seconds = _job_seconds(db, [j for *_, j in jobs])

    workouts = len(plans[0]["content"])
    out()
    out(
        f"fairness: {len(jobs)} connections in {ORGANIZATIONS} organizations, "
        f"{FAIRNESS_WEEKS}-week plans (~{workouts} workouts each), "
        "COACH_PUSH_CONCURRENCY=8 (the default)"
    )
    out(
        f"posting the {len(jobs)} jobs took {posted:.2f}s; all but the limited one settled "
        f"{wall - posted:.2f}s after the last post (their solo times add up to "
        f"{sum(solo[kind] for _, kind, limited, _ in jobs if not limited):.2f}s)"
    )
    out("solo: " + ", ".join(f"{k} {v:.2f}s" for k, v in solo.items()))
    out(f"{'org':>3} {'provider':8} {'solo s':>7} {'crowd s':>8} {'ratio':>6}")
    ratios: dict[str, list[float]] = {}
    for org, kind, limited, job_id in jobs:
        took = seconds[job_id]
        if limited:
            out(f"{org:>3} {kind + '*':8} {solo[kind]:>7.2f} {'waiting':>8}")
            continue
        assert took is not None
        ratio = took / solo[kind] if solo[kind] else float("nan")
        ratios.setdefault(kind, []).append(ratio)
        out(f"{org:>3} {kind:8} {solo[kind]:>7.2f} {took:>8.2f} {ratio:>6.1f}")
    crowd = [t for _, _, limited, j in jobs if not limited and (t := seconds[j]) is not None]
    out(f"time in the crowd: median {statistics.median(crowd):.2f}s, longest {max(crowd):.2f}s")
    out(
        "crowd/solo by provider (median, max): "
        + ", ".join(f"{k} {statistics.median(v):.1f}/{max(v):.1f}" for k, v in ratios.items())
    )
    limited_job = next(j for _, _, limited, j in jobs if limited)
    with client(tenants[0]) as http:
        view = http.get(f"/v1/coach/push-jobs/{limited_job}").json()
    rows = db.call(
        lambda s: s.exec(
            select(PlannedWorkoutRow).where(col(PlannedWorkoutRow.push_job_id) == limited_job)
        ).all()
    )
    now = utcnow()
    waits = [
        (r.next_attempt_at.replace(tzinfo=now.tzinfo) - now).total_seconds()
        for r in rows
        if r.next_attempt_at is not None
    ]
    held = sum(1 for r in rows if r.claim_token is not None)
    limited_calls = len([f for f in emu.terra.faults.injected if f[0] == "status"])
    out(
        f"* the rate-limited account: job {view['status']}, queued {view['queued']}, "
        f"held {held}, next attempt in {min(waits):.0f}-{max(waits):.0f}s, "
        f"429s answered {limited_calls}"
    )
    db.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, emulators() as emu:
        settings = push_settings(
            f"sqlite:///{tmp}/bench.db", provider_timeout_s=30.0, **emu.settings()
        )
        with live_server(settings) as live:
            fifty_two_weeks(live, emu)
        emu.terra.requests = 0
        with service(
            SECRET_KEY=SECRET_KEY,
            TERRA_BASE_URL=emu.terra_url,
            SHAPE_BASE_URL=emu.shape_url,
            PUSH_POLL_S="0.05",
        ) as svc:
            fairness(svc, emu)


if __name__ == "__main__":
    main()
