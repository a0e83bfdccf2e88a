"""Push a 52-week plan through the service to the Shape and Terra emulators; print figures.

Everything runs on 127.0.0.1: the service (real uvicorn, its own push worker, a temp
SQLite file) and the provider emulators with their documented rate limits. Shape takes
batches of 100, so the fewest requests for N workouts is ceil(N / 100); Terra has no batch
endpoint (a template and a planned workout per workout).

Run: .venv/bin/python bench/push.py
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' emulators

from tests.support.live import live_server  # noqa: E402
from tests.support.plans import draft_then_plan  # noqa: E402
from tests.support.push import (  # noqa: E402
    athlete_with,
    connection_body,
    emulators,
    push_settings,
    wait_for_job,
)
from tests.support.tenants import make_tenant  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, emulators() as (terra, terra_url, shape, shape_url):
        settings = push_settings(f"sqlite:///{tmp}/bench.db", provider_timeout_s=30.0)
        with live_server(settings) as live:
            tenant = make_tenant(live.db)
            with live.client(tenant.coach_key) as http:
                _, plan = draft_then_plan(
                    http, tenant, weeks=52, start_date="2027-01-04", instructions="5 days per week"
                )
                workouts = len(plan["content"])
                print(f"52-week plan: {workouts} workouts")
                for provider, url in (("shape", shape_url), ("terra", terra_url)):
                    user_id, _ = athlete_with(http, connection_body(provider, url))
                    started = time.perf_counter()
                    job_id = http.post(
                        f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                    ).json()["job_id"]
                    job = wait_for_job(http, job_id, timeout=600)
                    elapsed = time.perf_counter() - started
                    emulator = shape if provider == "shape" else terra
                    limited = getattr(emulator, "rate_limited", 0)
                    print(
                        f"{provider:6s} status={job['status']} pushed={job['pushed']}"
                        f"/{job['total']} requests={emulator.requests} 429s={limited}"
                        f" wall={elapsed:.2f}s"
                    )
                    if provider == "shape":
                        print(
                            f"       fewest possible requests: {math.ceil(workouts / 100)}"
                            f" (batches of 100); calls: {dict(shape.calls)}"
                        )


if __name__ == "__main__":
    main()
