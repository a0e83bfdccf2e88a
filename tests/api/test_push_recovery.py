"""A worker killed mid-job (SIGKILL) leaves nothing half-done: a restart finishes the job
and every workout is on the provider exactly once."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

from coach.db.database import Database
from coach.db.migrate import upgrade
from tests.support.push import (
    SECRET_KEY,
    athlete_with,
    connection_body,
    dated_plan,
    emulators,
    wait_for_job,
)
from tests.support.tenants import make_tenant


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def coach_process(
    database_url: str, port: int, workdir: Path, terra_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "COACH_DATABASE_URL": database_url,
        "COACH_TERRA_BASE_URL": terra_url,
        "COACH_SECRET_KEY": SECRET_KEY,
        "COACH_PUSH_LEASE_S": "1",
        "COACH_PUSH_POLL_S": "0.05",
        "COACH_LOG_LEVEL": "warning",
        "COACH_PROVIDER_TIMEOUT_S": "2",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_killed_worker_resumes_without_duplicates(own_database_url: str, tmp_path: Path) -> None:
    database_url = own_database_url
    upgrade(database_url)
    db = Database(database_url)
    tenant = make_tenant(db)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {tenant.coach_key}"}
    with emulators() as emu:
        terra, terra_url, shape, shape_url = emu
        terra.latency_s = 0.03  # slow enough to stop the worker half-way through
        with coach_process(database_url, port, tmp_path, terra_url) as first:
            with httpx2.Client(base_url=base, headers=headers, timeout=30) as http:
                plan = dated_plan(http, tenant, weeks=8)
                user_id, _ = athlete_with(http, connection_body("terra"))
                job_id = http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                ).json()["job_id"]
                deadline = time.monotonic() + 30
                while len(terra.planned) < 5:
                    assert time.monotonic() < deadline
                    time.sleep(0.005)
                # The next workout is committed by the provider, whose answer then never
                # comes: the worker dies holding a push it cannot know succeeded.
                terra.faults.hang_s = 4
                terra.faults.add("timeout", method="POST", path="/v2/plannedWorkouts")
                while not terra.faults.injected:
                    assert time.monotonic() < deadline
                    time.sleep(0.005)
                first.kill()
        on_provider_at_kill = len(terra.planned)
        with coach_process(database_url, port, tmp_path, terra_url):
            with httpx2.Client(base_url=base, headers=headers, timeout=30) as http:
                job = wait_for_job(http, job_id)
    db.dispose()
    expected = Counter(dt.date.fromisoformat(w["date"]) for w in plan["content"])
    assert 6 <= on_provider_at_kill < len(plan["content"])
    assert job["status"] == "complete" and job["pushed"] == len(plan["content"])
    assert (
        Counter(dt.date.fromisoformat(p["planned_date"]) for p in terra.planned.values())
        == expected
    )
