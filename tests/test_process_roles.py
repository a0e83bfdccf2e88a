"""Processes by role, through the command line: `coach serve --workers N` serves from N
processes, `coach serve --no-push-worker` serves without pushing, and `coach worker`
pushes without serving."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx2

from coach.db.database import Database
from tests.api.test_llm_over_http import plan_body
from tests.support.processes import coach_serve, coach_worker
from tests.support.push import (
    SECRET_KEY,
    athlete_with,
    connection_body,
    emulators,
    wait_for_job,
    wait_until,
)
from tests.support.redis import REDIS_URL, fresh_prefix, needs_redis
from tests.support.sse import names
from tests.support.tenants import make_tenant


@needs_redis
def test_serve_with_two_workers_serves_from_two_processes(
    own_database_url: str, tmp_path: Path
) -> None:
    settings = {"redis_url": REDIS_URL, "redis_prefix": fresh_prefix(), "push_worker": "false"}
    with coach_serve(own_database_url, tmp_path, "--workers", "2", **settings) as served:
        # The first process answers while the second may still be starting.
        pids = wait_until(
            lambda: len(_servers(served.log())) == 2 and _servers(served.log()),
            "two server processes",
        )
        db = Database(own_database_url)
        tenant = make_tenant(db)
        db.dispose()
        headers = {"Authorization": f"Bearer {tenant.coach_key}"}
        # Plans made and followed over new connections each time: whichever process
        # answers, it follows a plan the other may have made (through Redis).
        for _ in range(4):
            with httpx2.Client(base_url=served.base_url, headers=headers, timeout=30) as http:
                plan_id = http.post("/v1/coach/plans", json=plan_body(tenant, 1)).json()["plan_id"]
            with (
                httpx2.Client(base_url=served.base_url, headers=headers, timeout=30) as http,
                http.stream("GET", f"/v1/coach/plans/{plan_id}/stream") as response,
            ):
                assert names(list(httpx2.EventSource(response)))[-2:] == ["result", "done"]
        assert _servers(served.log()) == pids, "a server process was restarted"


def _servers(log: str) -> set[str]:
    """The process ids uvicorn says it started serving in."""
    return set(re.findall(r"Started server process \[(\d+)\]", log))


def test_a_worker_process_pushes_for_a_web_process_that_does_not(
    own_database_url: str, tmp_path: Path
) -> None:
    with emulators() as emu:
        settings = {"secret_key": SECRET_KEY, "push_poll_s": "0.05", **emu.settings()}
        with (
            coach_serve(own_database_url, tmp_path, "--no-push-worker", **settings) as web,
            coach_worker(own_database_url, tmp_path, **settings) as worker,
        ):
            db = Database(own_database_url)
            tenant = make_tenant(db)
            db.dispose()
            headers = {"Authorization": f"Bearer {tenant.coach_key}"}
            with httpx2.Client(base_url=web.base_url, headers=headers, timeout=30) as http:
                plan = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 2)).json()
                user_id, _ = athlete_with(http, connection_body("terra"))
                job_id = http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                ).json()["job_id"]
                job = wait_for_job(http, job_id)
            worker.process.send_signal(signal.SIGTERM)
            assert worker.process.wait(timeout=15) == 0
    assert job["status"] == "complete" and job["pushed"] == len(plan["content"])
    assert emu.terra.calls["POST /v2/plannedWorkouts"] == len(plan["content"])
    assert "push worker stops" in worker.log()
