"""Deletes and moves that race a push, and pushes whose answer never came: the provider
ends up matching the row, found by the idempotency marker, and nothing is failed or sent
again blind."""

from __future__ import annotations

import datetime as dt

import httpx2
import pytest
from sqlmodel import col, select

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow
from tests.support.push import (
    ALL_DATES,
    athlete_with,
    connection_body,
    dated_plan,
    emulators,
    service,
    wait_for_job,
    wait_until,
)
from tests.support.tenants import make_tenant

TERRA_CREATE = "/v2/plannedWorkouts"
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


def _row(db: Database, row_id: int) -> PlannedWorkoutRow:
    row = db.call(lambda s: s.get(PlannedWorkoutRow, row_id))
    assert row is not None
    return row


def _held_row(db: Database, user_id: str) -> PlannedWorkoutRow | None:
    """The row a push holds right now (the one whose call the emulator holds)."""
    rows = db.call(
        lambda s: s.exec(
            select(PlannedWorkoutRow)
            .where(
                col(PlannedWorkoutRow.user_id) == user_id,
                col(PlannedWorkoutRow.claim_token).is_not(None),
                col(PlannedWorkoutRow.attempts) == 0,
            )
            .order_by(col(PlannedWorkoutRow.planned_date), col(PlannedWorkoutRow.id))
        ).all()
    )
    return rows[0] if rows else None


@pytest.mark.parametrize("through", ["this", "another"])
def test_a_workout_deleted_while_its_push_is_in_flight_is_removed_from_the_provider(
    own_database_url: str, through: str
) -> None:
    # The request reaches the service whose worker holds the push, or another one on the
    # same database: either way only the rows' compare-and-set orders them.
    with (
        emulators() as emu,
        service(own_database_url, emu, provider_timeout_s=60.0) as live,
        service(own_database_url, emu, provider_timeout_s=60.0) as other,
    ):
        terra = emu.terra
        # Terra commits the first planned workout and answers only when released.
        terra.faults.add("hold", method="POST", path=TERRA_CREATE, after_commit=True)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, connection_body("terra"))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            wait_until(lambda: terra.faults.holding, "the push Terra holds")
            held = _held_row(live.db, user_id)
            assert held is not None and held.id is not None
            with (live if through == "this" else other).client(tenant.coach_key) as via:
                deleted = via.delete(f"/v2/plannedWorkouts/{held.id}")
            terra.faults.release()
            job = wait_for_job(http, job_id)
            wait_until(lambda: _row(live.db, held.id or 0).status == "deleted", "the removal")
            gone = http.get(f"/v2/plannedWorkouts/{held.id}")
    # The delete came while the push was in flight: it answered at once, and the worker
    # removed what the push had created as soon as it recorded it.
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleting"
    assert gone.status_code == 404
    assert job["status"] == "complete" and job["pushed"] == len(plan["content"]) - 1
    on_terra = sorted(p["planned_date"] for p in terra.planned.values())
    expected = sorted(w["date"] for w in plan["content"])
    expected.remove(held.planned_date.isoformat())
    assert on_terra == expected


@pytest.mark.parametrize("through", ["this", "another"])
def test_a_workout_moved_while_its_push_is_in_flight_ends_on_the_new_date(
    own_database_url: str, through: str
) -> None:
    # The request reaches the service whose worker holds the push, or another one on the
    # same database: either way only the rows' compare-and-set orders them.
    with (
        emulators() as emu,
        service(own_database_url, emu, provider_timeout_s=60.0) as live,
        service(own_database_url, emu, provider_timeout_s=60.0) as other,
    ):
        terra = emu.terra
        terra.faults.add("hold", method="POST", path=TERRA_CREATE, after_commit=True)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, connection_body("terra"))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            wait_until(lambda: terra.faults.holding, "the push Terra holds")
            held = _held_row(live.db, user_id)
            assert held is not None and held.id is not None
            new_date = held.planned_date + dt.timedelta(days=30)
            with (live if through == "this" else other).client(tenant.coach_key) as via:
                moved = via.patch(
                    f"/v2/plannedWorkouts/{held.id}",
                    json={"planned_date": new_date.isoformat()},
                )
            terra.faults.release()
            job = wait_for_job(http, job_id)
            settled = wait_until(
                lambda: (r := _row(live.db, held.id or 0)).provider_date == new_date and r,
                "the move on the provider",
            )
    assert moved.status_code == 200 and moved.json()["planned_date"] == new_date.isoformat()
    assert job["status"] == "complete"
    assert settled.status == "pushed" and settled.planned_date == new_date
    on_terra = terra.planned[int(settled.provider_workout_id or 0)]
    assert on_terra["planned_date"] == new_date.isoformat()
    assert len(terra.planned) == len(plan["content"])


def _push_once(http: httpx2.Client, user_id: str, workout_id: int) -> httpx2.Response:
    return http.post(
        "/v2/plannedWorkouts",
        params={"user_id": user_id},
        json={"workout_id": workout_id, "planned_date": "2026-12-10"},
    )


def test_a_push_that_timed_out_is_reconciled_not_failed_nor_sent_again(
    own_database_url: str,
) -> None:
    with (
        emulators() as emu,
        service(own_database_url, emu, push_worker=False, push_inline_attempts=1) as live,
    ):
        terra = emu.terra
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id, _ = athlete_with(http, connection_body("terra"))
            workout_id = http.post("/v2/workouts", json={"workout_template": EASY}).json()[
                "workout_id"
            ]
            # Terra commits, then its answer never comes in time.
            terra.faults.add("timeout", method="POST", path=TERRA_CREATE)
            timed_out = _push_once(http, user_id, workout_id)
            row_id = timed_out.json()["details"][-1]["planned_workout_id"]
            waiting = http.get(f"/v2/plannedWorkouts/{row_id}").json()
            # The coach asks again: the same row, with its key, is looked for and found.
            again = _push_once(http, user_id, workout_id)
            listed = http.get(
                "/v2/plannedWorkouts", params={"user_id": user_id, **ALL_DATES}
            ).json()
    assert timed_out.status_code == 408, timed_out.text
    assert "stays queued" in timed_out.json()["error"]
    assert waiting["status"] == "queued" and "provider_timeout" in waiting["last_error"]
    assert again.status_code == 200, again.text
    assert again.json()["planned_workout_id"] == row_id and again.json()["status"] == "pushed"
    assert [r["planned_workout_id"] for r in listed["planned_workouts"]] == [row_id]
    assert terra.calls["POST /v2/plannedWorkouts"] == 1 and len(terra.planned) == 1


def test_the_worker_finishes_a_push_whose_answer_never_came(own_database_url: str) -> None:
    with emulators() as emu:
        terra = emu.terra
        with service(own_database_url, emu, push_worker=False, push_inline_attempts=1) as live:
            tenant = make_tenant(live.db)
            with live.client(tenant.coach_key) as http:
                user_id, _ = athlete_with(http, connection_body("terra"))
                workout_id = http.post("/v2/workouts", json={"workout_template": EASY}).json()[
                    "workout_id"
                ]
                terra.faults.add("timeout", method="POST", path=TERRA_CREATE)
                timed_out = _push_once(http, user_id, workout_id)
                row_id = timed_out.json()["details"][-1]["planned_workout_id"]
                # Moved before anyone knows where it is: the look-up searches both dates.
                moved = http.patch(
                    f"/v2/plannedWorkouts/{row_id}", json={"planned_date": "2026-12-20"}
                )
        with service(own_database_url, emu) as worker, worker.client(tenant.coach_key) as http:
            settled = wait_until(
                lambda: (r := _row(worker.db, row_id)).provider_date == dt.date(2026, 12, 20) and r,
                "the worker to find the workout and move it",
            )
    assert timed_out.status_code == 408 and moved.json()["status"] == "queued"
    assert settled.status == "pushed"
    assert [p["planned_date"] for p in terra.planned.values()] == ["2026-12-20"]
    assert terra.calls["POST /v2/plannedWorkouts"] == 1  # found by its marker, not re-sent


def test_deleting_a_push_whose_answer_never_came_removes_it_from_the_provider(
    own_database_url: str,
) -> None:
    with (
        emulators() as emu,
        service(own_database_url, emu, push_worker=False, push_inline_attempts=1) as live,
    ):
        terra = emu.terra
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id, _ = athlete_with(http, connection_body("terra"))
            workout_id = http.post("/v2/workouts", json={"workout_template": EASY}).json()[
                "workout_id"
            ]
            terra.faults.add("timeout", method="POST", path=TERRA_CREATE)
            timed_out = _push_once(http, user_id, workout_id)
            row_id = timed_out.json()["details"][-1]["planned_workout_id"]
            on_terra_before = len(terra.planned)
            deleted = http.delete(f"/v2/plannedWorkouts/{row_id}")
    assert timed_out.status_code == 408 and on_terra_before == 1
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert terra.planned == {} and terra.templates == {}


def test_a_job_whose_rows_are_all_deleted_before_they_are_pushed_settles(
    own_database_url: str,
) -> None:
    with emulators() as emu, service(own_database_url, emu, push_worker=False) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, connection_body("terra"))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            rows = http.get("/v2/plannedWorkouts", params={"user_id": user_id, **ALL_DATES}).json()[
                "planned_workouts"
            ]
            answers = [http.delete(f"/v2/plannedWorkouts/{r['planned_workout_id']}") for r in rows]
            job = http.get(f"/v1/coach/push-jobs/{job_id}").json()
    # Never sent, so nothing to remove anywhere: deleted at once, and the job is done.
    assert [a.json()["status"] for a in answers] == ["deleted"] * len(plan["content"])
    assert (job["status"], job["queued"], job["pushed"]) == ("complete", 0, 0)
    # Nothing was written on Terra (listing the workouts reads Terra's own, that is all).
    assert set(emu.terra.calls) <= {"GET /v2/plannedWorkouts"}
