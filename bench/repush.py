"""An assignment pushed, edited, pushed again; one week regenerated. Prints figures.

Everything runs on 127.0.0.1: the service (real uvicorn, its push worker, a temp SQLite
file) and the Shape and Terra emulators. A 52-week built-in plan is assigned to a Shape
and a Terra athlete; then one revision renames two workouts, moves one to a free day,
deletes one and adds one, and the assignment is posted again. Printed: each push's
provider requests and wall time, and what the second job says it did. Then one week of
the plan is regenerated (built-in engine) and timed against generating the whole plan.

Run: .venv/bin/python bench/repush.py
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' emulators

import httpx2  # noqa: E402
from sqlmodel import Session  # noqa: E402

from coach.db.tables import PlanRow  # noqa: E402
from coach.plans.models import Workout  # noqa: E402
from coach.plans.revisions import load_weekly_info, load_workouts, save_revision  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402
from tests.support.plans import draft_then_plan  # noqa: E402
from tests.support.push import (  # noqa: E402
    athlete_with,
    connection_body,
    emulators,
    service,
    wait_for_job,
)
from tests.support.tenants import make_tenant  # noqa: E402

START = "2027-01-04"


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def edit(live: LiveServer, plan_id: str, revision: int) -> None:
    """Rename workouts 10 and 100, move 200 to a free day, delete 150, add one."""

    def change(session: Session) -> None:
        row = session.get(PlanRow, plan_id)
        assert row is not None
        workouts = load_workouts(row.content)
        moved = workouts[200]
        days = {w.day for w in workouts if w.week == moved.week}
        free = next(d for d in range(1, 8) if d not in days)
        last = workouts[-1]
        last_days = {w.day for w in workouts if w.week == last.week}
        added = last.model_copy(
            update={"day": next(d for d in range(1, 8) if d not in last_days), "title": "Extra"}
        )
        edited: list[Workout] = []
        for index, w in enumerate(workouts):
            if index in (10, 100):
                w = w.model_copy(update={"title": f"{w.title} (edited)"})
            elif index == 200:
                w = w.model_copy(update={"day": free})
            elif index == 150:
                continue
            edited.append(w)
        save_revision(
            session,
            plan_id=uuid.UUID(plan_id),
            expected_revision=revision,
            member_id=None,
            summary="bench edits",
            changes=[],
            workouts=[*edited, added],
            weekly_info=load_weekly_info(row.weekly_info),
        )

    live.db.call(change)


def push(http: httpx2.Client, plan_id: str, user_id: str, emulator: Any) -> dict[str, Any]:
    before = emulator.requests
    started = time.perf_counter()
    answer = http.post(
        f"/v1/coach/plans/{plan_id}/assignments", json={"user_id": user_id, "start_date": START}
    )
    job = wait_for_job(http, answer.json()["jobs"][0]["job_id"], timeout=600)
    job["wall"] = time.perf_counter() - started
    job["requests"] = emulator.requests - before
    return job


def main() -> None:
    directory = tempfile.mkdtemp(prefix="coach-repush-")
    with emulators() as emu, service(f"sqlite:///{directory}/bench.db", emu) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            started = time.perf_counter()
            _, plan = draft_then_plan(
                http, tenant, weeks=52, start_date=START, instructions="5 days per week"
            )
            whole = time.perf_counter() - started
            plan_id = plan["plan_id"]
            out(f"52-week plan: {len(plan['content'])} workouts")
            users = {
                provider: athlete_with(http, connection_body(provider))[0]
                for provider in ("shape", "terra")
            }
            firsts = {p: push(http, plan_id, u, getattr(emu, p)) for p, u in users.items()}
            edit(live, plan_id, 1)
            for provider, user in users.items():
                first = firsts[provider]
                again = push(http, plan_id, user, getattr(emu, provider))
                out(
                    f"{provider:6s} first push: {first['status']}, {first['requests']} requests, "
                    f"{first['wall']:.2f}s; after 5 edits: {again['status']}, "
                    f"{again['requests']} requests, {again['wall']:.2f}s, {again['actions']}"
                )
            timings = []
            for _ in range(3):
                revision = int(http.get(f"/v1/coach/plans/{plan_id}").headers["etag"].strip('"'))
                started = time.perf_counter()
                with http.stream(
                    "POST",
                    f"/v1/coach/plans/{plan_id}/weeks/26/regenerate",
                    headers={"If-Match": f'"{revision}"'},
                ) as response:
                    events = [e.event for e in httpx2.EventSource(response)]
                assert events[-1] == "done" and "error" not in events, events
                timings.append(time.perf_counter() - started)
            out(
                f"regenerate week 26 (built-in): {min(timings):.2f}s best of 3; "
                f"draft + whole plan: {whole:.2f}s"
            )


if __name__ == "__main__":
    main()
