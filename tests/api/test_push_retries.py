"""The outbox owns retries: one provider call per attempt, one back-off curve, Retry-After.

Before, each outbox attempt was up to 5 tries inside the adapter: a workout a provider
kept refusing cost up to 8 x 5 = 40 calls on two different back-off curves.

Each test has a database of its own: the suite's shared live server runs a push worker on
the shared one, with default settings, and would make attempts of its own.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from itertools import pairwise
from typing import Any

import pytest
from sqlmodel import col, select

from coach.db.tables import PlannedWorkoutRow
from tests.emulators.shape import ShapeEmulator
from tests.support.push import (
    ALL_DATES,
    athlete_with,
    connection_body,
    dated_plan,
    emulators,
    service,
    wait_for_job,
)
from tests.support.tenants import make_tenant

SHAPE_CREATE = "/api/v1/activities"  # the batch endpoint is under it too
TERRA_CREATE = "/v2/plannedWorkouts"


def own_shape_token(shape: ShapeEmulator) -> dict[str, Any]:
    """A Shape connection with a token of its own: the emulator's rate limits are per
    token, and every test's service runs against one emulator per test."""
    token = f"shape_{uuid.uuid4().hex}"
    shape.tokens.add(token)
    return {"provider": "shape", "credentials": {"token": token}}


@pytest.mark.parametrize("provider", ["terra", "shape"])
def test_a_workout_the_provider_keeps_refusing_costs_push_max_attempts_calls(
    own_database_url: str, provider: str
) -> None:
    base = 0.4
    with (
        emulators() as emu,
        service(own_database_url, emu, push_max_attempts=4, push_backoff_base_s=base) as live,
    ):
        terra, terra_url, shape, shape_url = emu
        emulator = terra if provider == "terra" else shape
        path = TERRA_CREATE if provider == "terra" else SHAPE_CREATE
        emulator.faults.add("status", method="POST", path=path, times=10**6, status=502)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            if provider == "terra":
                body = connection_body("terra")
            else:
                body = own_shape_token(shape)
            user_id, _ = athlete_with(http, body)
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            job = wait_for_job(http, job_id)
            rows = http.get("/v2/plannedWorkouts", params={"user_id": user_id, **ALL_DATES}).json()
    workouts = len(plan["content"])
    assert (job["status"], job["failed"]) == ("failed", workouts)
    assert all(
        r["status"] == "failed" and "502" in r["last_error"] for r in rows["planned_workouts"]
    )
    if provider == "terra":
        # Each workout: 4 tries at creating it; the retries found its template by marker.
        assert terra.calls["POST /v2/plannedWorkouts"] == workouts * 4
        assert terra.calls["POST /v2/workouts"] == workouts == len(terra.templates)
        assert terra.planned == {}
        return
    # Shape takes the week in one batch: 4 attempts are 4 calls for every workout in it.
    assert shape.calls["POST /activities/batch"] == 4 and len(shape.faults.injected) == 4
    assert shape.activities == {}
    # The waits between them follow the one curve: base, doubling, less up to a quarter
    # (plus the worker's poll and the reconciling list call).
    gaps = [b - a for a, b in pairwise(shape.faults.injected_at)]
    for n, gap in enumerate(gaps, start=1):
        full = base * 2 ** (n - 1)
        assert 0.75 * full - 0.01 <= gap <= full + 1.0, (n, gaps)


def test_retry_after_is_the_outbox_wait(own_database_url: str) -> None:
    with (
        emulators() as emu,
        service(own_database_url, emu, push_backoff_base_s=0.05) as live,
    ):
        terra, terra_url, shape, shape_url = emu
        # Shape asks for 2 s, then fails twice without asking: only the first wait is long.
        shape.faults.add("status", method="POST", path=SHAPE_CREATE, status=503, retry_after="2")
        shape.faults.add("status", method="POST", path=SHAPE_CREATE, status=503, times=2)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, own_shape_token(shape))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            job = wait_for_job(http, job_id)
    assert job["status"] == "complete" and job["pushed"] == len(plan["content"])
    asked, plain = (b - a for a, b in pairwise(shape.faults.injected_at))
    assert 2.0 <= asked < 3.0
    assert plain < 1.0  # the curve's second step: 0.1 s at most, plus the poll
    assert shape.calls["POST /activities/batch"] == 4
    assert len(shape.activities) == len(plan["content"])


def test_a_retry_after_of_days_is_capped_at_an_hour(own_database_url: str) -> None:
    with emulators() as emu, service(own_database_url, emu) as live:
        terra, terra_url, shape, shape_url = emu
        shape.faults.add(
            "status", method="POST", path=SHAPE_CREATE, status=503, retry_after="86400"
        )
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, own_shape_token(shape))
            http.post(f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id})
            deadline = time.monotonic() + 30
            while not shape.faults.injected:
                assert time.monotonic() < deadline, "the worker never called Shape"
                time.sleep(0.02)
            time.sleep(1.0)  # the worker would be back by now if it ignored the header
            rows = live.db.call(
                lambda s: s.exec(
                    select(PlannedWorkoutRow).where(col(PlannedWorkoutRow.user_id) == user_id)
                ).all()
            )
    assert len(shape.faults.injected) == 1 and shape.calls["GET /activities"] == 0
    assert len(rows) == len(plan["content"])
    for row in rows:
        assert row.status == "queued" and row.attempts == 1 and row.next_attempt_at is not None
        wait = (row.next_attempt_at - row.updated_at).total_seconds()
        assert 3600 - 1 <= wait <= 3600 + 1


@pytest.mark.parametrize("provider", ["terra", "shape"])
def test_a_twelve_week_push_through_timeouts_502s_and_drops_lands_once(
    own_database_url: str, provider: str
) -> None:
    with emulators() as emu, service(own_database_url, emu) as live:
        terra, terra_url, shape, shape_url = emu
        emulator = terra if provider == "terra" else shape
        path = TERRA_CREATE if provider == "terra" else SHAPE_CREATE
        # The 502s before the provider commits; the timeout and the drop after it.
        emulator.faults.add("status", method="POST", path=path, times=2, status=502)
        emulator.faults.add("timeout", method="POST", path=path)
        emulator.faults.add("drop", method="POST", path=path)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=12)
            if provider == "terra":
                body = connection_body("terra")
            else:
                body = own_shape_token(shape)
            user_id, _ = athlete_with(http, body)
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            job = wait_for_job(http, job_id)
    expected = Counter(dt.date.fromisoformat(w["date"]) for w in plan["content"])
    assert job["status"] == "complete" and job["pushed"] == len(plan["content"])
    if provider == "terra":
        dates = [dt.date.fromisoformat(p["planned_date"]) for p in terra.planned.values()]
        assert len(terra.templates) == len(plan["content"])
    else:
        # The timeout and the drop each committed the whole batch: found, not sent again.
        dates = [dt.date.fromisoformat(str(a["date"])[:10]) for a in shape.activities.values()]
        assert shape.calls["POST /activities/batch"] == 3
    assert len(emulator.faults.injected) == (4 if provider == "terra" else 3)
    assert Counter(dates) == expected


EASY = {
    "name": "Easy 40",
    "sport": "running",
    "step_blocks": [
        {
            "completion_condition": {"type": "fixed_repetition", "value": 1},
            "steps": [
                {
                    "order": 1,
                    "duration_type": "time",
                    "duration_value": 2400,
                    "intensity_type": "active",
                }
            ],
        }
    ],
}


def test_a_direct_push_move_and_delete_ride_out_a_hiccup_each(own_database_url: str) -> None:
    with emulators() as emu, service(own_database_url, emu) as live:
        terra, terra_url, shape, shape_url = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id, _ = athlete_with(http, connection_body("terra"))
            workout_id = http.post("/v2/workouts", json={"workout_template": EASY}).json()[
                "workout_id"
            ]
            terra.faults.add("status", method="POST", path=TERRA_CREATE, status=502)
            terra.faults.add("timeout", method="POST", path=TERRA_CREATE)  # committed, unanswered
            created = http.post(
                "/v2/plannedWorkouts",
                params={"user_id": user_id},
                json={"workout_id": workout_id, "planned_date": "2026-12-10"},
            )
            on_terra = [p["planned_date"] for p in terra.planned.values()]
            planned = f"/v2/plannedWorkouts/{created.json()['planned_workout_id']}"
            terra.faults.add("drop", method="PATCH")
            moved = http.patch(planned, json={"planned_date": "2026-12-12"})
            moved_on_terra = [p["planned_date"] for p in terra.planned.values()]
            terra.faults.add("status", method="DELETE", status=502)
            deleted = http.delete(planned)
    assert created.status_code == 200, created.text
    assert created.json()["status"] == "pushed" and created.json()["provider_workout_id"]
    # Three tries: the 502, the timeout (which Terra committed), and the reconciling one
    # that found it instead of creating a second copy.
    assert terra.calls["POST /v2/plannedWorkouts"] == 2 and on_terra == ["2026-12-10"]
    assert terra.calls["POST /v2/workouts"] == 1
    assert moved.status_code == 200 and moved_on_terra == ["2026-12-12"]
    assert deleted.status_code == 200 and terra.planned == {} and terra.templates == {}
    assert len(terra.faults.injected) == 4


def test_a_direct_push_gives_up_after_its_inline_attempts(own_database_url: str) -> None:
    with (
        emulators() as emu,
        service(own_database_url, emu, push_inline_attempts=3) as live,
    ):
        terra, terra_url, shape, shape_url = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id, _ = athlete_with(http, connection_body("terra"))
            push = {
                "workout_id": http.post("/v2/workouts", json={"workout_template": EASY}).json()[
                    "workout_id"
                ],
                "planned_date": "2026-12-10",
            }
            terra.faults.add("status", method="POST", path=TERRA_CREATE, status=502, times=10**6)
            refused = http.post("/v2/plannedWorkouts", params={"user_id": user_id}, json=push)
            tries = terra.calls["POST /v2/plannedWorkouts"]
            # Terra asks for a minute, longer than a request may wait: one try, answered now.
            terra.faults.clear()
            terra.faults.add(
                "status", method="POST", path=TERRA_CREATE, status=503, retry_after="60"
            )
            started = time.monotonic()
            busy = http.post("/v2/plannedWorkouts", params={"user_id": user_id}, json=push)
            busy_s = time.monotonic() - started
            time.sleep(0.5)  # a failed row is not pushed behind the caller's back
            rows = http.get("/v2/plannedWorkouts", params={"user_id": user_id, **ALL_DATES}).json()
    assert refused.status_code == 502 and tries == 3
    assert busy.status_code == 502 and busy_s < 5.0
    assert terra.calls["POST /v2/plannedWorkouts"] == 4 and terra.planned == {}
    # Asking again for the same workout on the same date took the failed row (its key),
    # not a second one that a late commit of the first could have doubled.
    assert [(r["status"], r["last_error"]) for r in rows["planned_workouts"]] == [
        ("failed", "terra answered 503 (provider_unavailable)")
    ]
