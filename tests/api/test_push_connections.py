"""Connections and what the pipeline makes of them: only configured providers, never a host
of the tenant's choosing, never a provider's words in an answer or a row; a disconnect
that stops the pushes at once; a connection that cannot be used failing its rows visibly;
every exception while pushing counted as that row's attempt."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow
from tests.support.live import live_server
from tests.support.push import (
    ALL_DATES,
    athlete_with,
    connection_body,
    dated_plan,
    emulators,
    push_settings,
    service,
    wait_for_job,
    wait_until,
)
from tests.support.sse import read_stream
from tests.support.tenants import make_tenant

AIENDURANCE_APP = {
    "aiendurance_client_id": "client-test",
    "aiendurance_client_secret": "secret-test",
    "aiendurance_redirect_uri": "https://coach.example/v1/oauth/aiendurance/callback",
}
AIENDURANCE_TOKENS = {"access_token": "a", "refresh_token": "r", "expires_at": 0}


def _rows(db: Database, connection_id: int) -> list[PlannedWorkoutRow]:
    return list(
        db.call(
            lambda s: s.exec(
                select(PlannedWorkoutRow).where(
                    col(PlannedWorkoutRow.connection_id) == connection_id
                )
            ).all()
        )
    )


def _dump(db: Database, table: str) -> str:
    with db.engine.connect() as connection:
        return " ".join(
            str(v) for row in connection.execute(text(f"SELECT * FROM {table}")).all() for v in row
        )


def test_a_connection_cannot_name_a_host(database_url: str) -> None:
    with service(database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id = http.post("/v1/athletes", json={"name": "Eve"}).json()["user_id"]
            answers = [
                http.post(
                    f"/v1/athletes/{user_id}/connections",
                    json={**body, "credentials": {**body["credentials"], "base_url": url}},
                )
                for body in (connection_body("terra"), connection_body("shape"))
                for url in ("http://127.0.0.1:9/admin", "https://api.tryterra.co")
            ]
            listed = http.get(f"/v1/athletes/{user_id}/connections").json()["connections"]
    for answer, setting in zip(answers, ["TERRA"] * 2 + ["SHAPE"] * 2, strict=True):
        assert answer.status_code == 400, answer.text
        assert answer.json()["details"][0]["field"] == "credentials.base_url"
        assert f"COACH_{setting}_BASE_URL" in answer.json()["error"]
    assert listed == []


def test_connection_strings_have_limits(database_url: str) -> None:
    huge = "x" * 900_000
    with service(database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id = http.post("/v1/athletes", json={"name": "Eve"}).json()["user_id"]
            terra = connection_body("terra")
            answers = {
                "settings.calendar_name": http.post(
                    f"/v1/athletes/{user_id}/connections",
                    json={"provider": "ics", "settings": {"calendar_name": huge}},
                ),
                "credentials.api_key": http.post(
                    f"/v1/athletes/{user_id}/connections",
                    json={**terra, "credentials": {**terra["credentials"], "api_key": huge}},
                ),
            }
            listed = http.get(f"/v1/athletes/{user_id}/connections").json()["connections"]
    for field, answer in answers.items():
        assert answer.status_code == 400, answer.text
        assert answer.json()["details"][0]["field"] == field
        assert len(answer.content) < 2_000
    assert listed == []


def test_a_providers_answer_never_reaches_a_client_or_a_row(own_database_url: str) -> None:
    secret = f"SECRET-{uuid.uuid4().hex}"
    body = f"internal error at http://10.0.0.7/admin: {secret}"
    with (
        emulators() as emu,
        service(own_database_url, emu, push_max_attempts=2, push_inline_attempts=1) as live,
    ):
        terra = emu.terra
        # Whatever Terra answers to a push (an internal page, say) carries the secret.
        terra.faults.add("status", method="POST", status=502, message=body, times=10**6)
        tenant = make_tenant(live.db)
        seen: list[str] = []
        with live.client(tenant.coach_key) as http:
            user_id, connection_id = athlete_with(http, connection_body("terra"))
            workout_id = http.post(
                "/v2/workouts",
                json={"workout_template": dated_plan_template()},
            ).json()["workout_id"]
            direct = http.post(
                "/v2/plannedWorkouts",
                params={"user_id": user_id},
                json={"workout_id": workout_id, "planned_date": "2026-12-10"},
            )
            seen.append(direct.text)
            plan = dated_plan(http, tenant, weeks=1)
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            job = wait_for_job(http, job_id)
            seen.append(http.get(f"/v1/coach/push-jobs/{job_id}").text)
            events = read_stream(http, "GET", f"/v1/coach/push-jobs/{job_id}/events")
            seen.extend(str(e) for e in events)
            listed = http.get("/v2/plannedWorkouts", params={"user_id": user_id, **ALL_DATES})
            seen.append(listed.text)
            seen.append(
                http.get(f"/v2/plannedWorkouts/connection/{connection_id}", params=ALL_DATES).text
            )
            for row in listed.json()["planned_workouts"]:
                seen.append(http.get(f"/v2/plannedWorkouts/{row['planned_workout_id']}").text)
        stored = " ".join(_dump(live.db, t) for t in ("planned_workouts", "push_jobs"))
    assert direct.status_code == 502
    assert direct.json()["error"] == "terra answered 502 (provider_unavailable)"
    assert direct.json()["details"][0] == {
        "code": "provider_unavailable",
        "provider": "terra",
        "provider_status": 502,
    }
    assert job["status"] == "failed" and job["failed"] == len(plan["content"])
    for text_seen in [*seen, stored]:
        assert secret not in text_seen and "10.0.0.7" not in text_seen
    assert "provider_unavailable" in stored


def dated_plan_template() -> dict[str, Any]:
    return {
        "name": "Easy 30",
        "sport": "running",
        "step_blocks": [
            {
                "completion_condition": {"type": "fixed_repetition", "value": 1},
                "steps": [
                    {
                        "order": 1,
                        "duration_type": "time",
                        "duration_value": 1800,
                        "intensity_type": "active",
                    }
                ],
            }
        ],
    }


def test_a_disconnect_stops_the_pushes_at_once(own_database_url: str) -> None:
    with emulators() as emu, service(own_database_url, emu, provider_timeout_s=60.0) as live:
        terra = emu.terra
        # The first planned workout reaches Terra, which answers only when released.
        terra.faults.add("hold", method="POST", path="/v2/plannedWorkouts")
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=4)
            user_id, connection_id = athlete_with(http, connection_body("terra"))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            wait_until(lambda: terra.faults.holding, "the call Terra holds")
            gone = http.delete(f"/v1/athletes/{user_id}/connections/{connection_id}")
            requests_when_gone = terra.requests
            job = http.get(f"/v1/coach/push-jobs/{job_id}").json()
            terra.faults.release()
            # The turn that held the call ends (it lets go of the rows) without a call more.
            wait_until(
                lambda: all(r.claim_token is None for r in _rows(live.db, connection_id)),
                "the worker to let go of the rows",
            )
            rows = _rows(live.db, connection_id)
    assert gone.status_code == 200, gone.text
    view = gone.json()
    total = len(plan["content"])
    assert (view["cancelled"], view["revocation"]) == (total, "not_needed")
    # Cancelled in the same transaction: the job is settled when the DELETE answers.
    assert (job["status"], job["queued"], job["failed"]) == ("failed", 0, total)
    assert terra.requests == requests_when_gone
    assert {r.status for r in rows} == {"failed"}
    assert all("disconnected" in (r.last_error or "") for r in rows)


def test_only_configured_providers_and_a_disconnect_always_succeeds(database_url: str) -> None:
    first = push_settings(database_url, _env_file=None, push_worker=False, **AIENDURANCE_APP)
    with live_server(first) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id = http.post("/v1/athletes", json={"name": "Al"}).json()["user_id"]
            made = http.post(
                f"/v1/athletes/{user_id}/connections",
                json={"provider": "aiendurance", "credentials": AIENDURANCE_TOKENS},
            )
            assert made.status_code == 200, made.text
            plan = dated_plan(http, tenant, weeks=1)
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
    # The operator drops AI Endurance from the service's settings.
    with live_server(push_settings(database_url, _env_file=None)) as live:
        with live.client(tenant.coach_key) as http:
            refused = http.post(
                f"/v1/athletes/{user_id}/connections",
                json={"provider": "aiendurance", "credentials": AIENDURANCE_TOKENS},
            )
            job = wait_for_job(http, job_id)
            gone = http.delete(f"/v1/athletes/{user_id}/connections/{made.json()['connection_id']}")
            listed = http.get(f"/v1/athletes/{user_id}/connections").json()["connections"]
        rows = _rows(live.db, made.json()["connection_id"])
    assert refused.status_code == 400 and refused.json()["details"][0]["field"] == "provider"
    # Its rows failed once each, visibly, instead of coming back every lease.
    assert job["status"] == "failed" and job["failed"] == len(plan["content"])
    assert all(r.attempts == 1 and "not configured" in (r.last_error or "") for r in rows)
    assert gone.status_code == 200, gone.text
    assert gone.json()["revocation"] == "failed"
    assert "not configured" in gone.json()["revocation_error"]
    assert listed == []


def test_an_answer_no_adapter_expected_is_an_attempt_of_that_row(own_database_url: str) -> None:
    with (
        emulators() as emu,
        service(own_database_url, emu, push_max_attempts=3) as live,
    ):
        terra = emu.terra
        # Terra answers every planned workout with something that is not one (nothing stored).
        terra.faults.add(
            "body",
            method="POST",
            path="/v2/plannedWorkouts",
            body=b'{"planned_workout_id": 7, "planned_date": "2026-12-07", '
            b'"coercion_warnings": [1]}',
            times=10**6,
        )
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, connection_id = athlete_with(http, connection_body("terra"))
            job = wait_for_job(
                http,
                http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                ).json()["job_id"],
            )
        rows = _rows(live.db, connection_id)
    assert job["status"] == "failed" and job["failed"] == len(plan["content"])
    for row in rows:
        # Each attempt counted; the outcome being unknown, a look-up by marker came last.
        assert row.attempts == 3 and row.status == "failed"
        assert row.last_error is not None and row.last_error.startswith(
            "terra: unexpected error while calling it (push_internal_error)"
        )
        assert row.last_error.endswith("not found on the provider afterwards")
    assert terra.calls["POST /v2/plannedWorkouts"] == 3 * len(plan["content"])
