"""Pushing plans and planned workouts to providers through the service, against emulators."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import icalendar
import pytest
from garmin_fit_sdk import Decoder, Stream
from sqlalchemy import text

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
from tests.support.sse import data, names, read_stream
from tests.support.tenants import make_tenant


def _provider_dates(provider: str, terra, shape) -> Counter[dt.date]:  # type: ignore[no-untyped-def]
    if provider == "terra":
        return Counter(dt.date.fromisoformat(p["planned_date"]) for p in terra.planned.values())
    return Counter(dt.date.fromisoformat(str(a["date"])[:10]) for a in shape.activities.values())


@pytest.mark.parametrize("provider", ["terra", "shape"])
def test_twelve_week_plan_lands_once_on_the_right_dates(database_url: str, provider: str) -> None:
    with emulators() as emu, service(database_url, emu) as live:
        terra, terra_url, shape, shape_url = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant)
            user_id, connection_id = athlete_with(http, connection_body(provider))
            accepted = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            )
            assert accepted.status_code == 202
            job = wait_for_job(http, accepted.json()["job_id"])
            again = http.post(f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id})
            listed = http.get(
                "/v2/plannedWorkouts", params={"user_id": user_id, **ALL_DATES}
            ).json()
            events = read_stream(http, "GET", f"/v1/coach/push-jobs/{job['job_id']}/events")
    expected = Counter(dt.date.fromisoformat(w["date"]) for w in plan["content"])
    assert job["status"] == "complete", job
    assert (job["total"], job["pushed"], job["failed"]) == (len(plan["content"]),) * 2 + (0,)
    assert _provider_dates(provider, terra, shape) == expected
    # Pushing the same plan again is the same job: nothing new reaches the provider.
    assert again.json()["job_id"] == job["job_id"]
    assert sum(_provider_dates(provider, terra, shape).values()) == len(plan["content"])
    rows = listed["planned_workouts"]
    assert len(rows) == len(plan["content"])
    assert all(r["status"] == "pushed" and r["provider_workout_id"] for r in rows)
    assert all(r["connection_id"] == connection_id for r in rows)
    if provider == "shape":
        assert shape.rate_limited == 0
        assert shape.calls["POST /activities/batch"] == 1
        # Shape's conventions (the emulator refuses the rest): steps only for interval
        # sessions, a load on every activity, and the changes listed with the workout.
        activities = list(shape.activities.values())
        assert all(isinstance(a["load"], int) and a["load"] > 0 for a in activities)
        by_type = {w["date"]: w["type"] for w in plan["content"]}
        for a in activities:
            if by_type[a["date"]] in ("easy-run", "long-run", "recovery-run"):
                assert a["target"] != "steps" and not a.get("steps"), a
        unstructured = [
            r
            for r in rows
            if any(w["field"] == "step_blocks" for w in r["coercion_warnings"] or [])
        ]
        assert unstructured and all(r["coercion_applied"] for r in unstructured)
    assert names(events)[-2:] == ["result", "done"]
    assert data(events[-2])["pushed"] == len(plan["content"])


def test_faults_are_retried_without_duplicates(database_url: str) -> None:
    with emulators() as emu, service(database_url, emu) as live:
        terra, terra_url, shape, shape_url = emu
        terra.faults.add("status", method="POST", path="/v2/plannedWorkouts", times=2, status=502)
        terra.faults.add("timeout", method="POST", path="/v2/plannedWorkouts", times=1)
        terra.faults.add("drop", method="POST", path="/v2/plannedWorkouts", times=1)
        terra.faults.add("status", method="POST", path="/v2/workouts", times=1, status=503)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=3)
            user_id, _ = athlete_with(http, connection_body("terra"))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            job = wait_for_job(http, job_id)
    assert len(terra.faults.injected) == 5
    assert job["status"] == "complete", job
    expected = Counter(dt.date.fromisoformat(w["date"]) for w in plan["content"])
    assert _provider_dates("terra", terra, shape) == expected


def test_move_and_delete_reach_the_provider(database_url: str) -> None:
    with emulators() as emu, service(database_url, emu) as live:
        terra, terra_url, shape, shape_url = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, connection_id = athlete_with(http, connection_body("terra"))
            template = http.post(
                "/v2/workouts",
                json={
                    "workout_template": {
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
                },
            ).json()
            created = http.post(
                "/v2/plannedWorkouts",
                params={"user_id": user_id},
                json={"workout_id": template["workout_id"], "planned_date": "2026-12-10"},
            )
            assert created.status_code == 200, created.text
            planned = created.json()
            assert planned["provider_name"] == "terra" and planned["status"] == "pushed"
            (stored,) = terra.planned.values()
            assert stored["planned_date"] == "2026-12-10"
            moved = http.patch(
                f"/v2/plannedWorkouts/{planned['planned_workout_id']}",
                json={"planned_date": "2026-12-12"},
            )
            assert moved.status_code == 200 and moved.json()["planned_date"] == "2026-12-12"
            (stored,) = terra.planned.values()
            assert stored["planned_date"] == "2026-12-12"
            by_provider = (
                f"/v2/plannedWorkouts/connection/{connection_id}/provider/"
                f"{planned['provider_workout_id']}"
            )
            assert (
                http.get(by_provider).json()["planned_workout_id"] == planned["planned_workout_id"]
            )
            assert http.delete(by_provider).status_code == 200
            assert terra.planned == {}
            assert (
                http.get(f"/v2/plannedWorkouts/{planned['planned_workout_id']}").status_code == 404
            )
            assert plan["content"]


def test_provider_errors_map_to_408_501_502(database_url: str) -> None:
    with (
        emulators() as emu,
        service(database_url, emu, push_inline_attempts=1) as live,
    ):
        terra, terra_url, shape, shape_url = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            template_id = http.post(
                "/v2/workouts",
                json={
                    "workout_template": {
                        "name": "Easy",
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
                },
            ).json()["workout_id"]
            fitbit_user, _ = athlete_with(http, connection_body("terra", user="fitbit-user"))
            garmin_user, _ = athlete_with(http, connection_body("terra"))
            push = {"workout_id": template_id, "planned_date": "2026-12-10"}
            unsupported = http.post(
                "/v2/plannedWorkouts", params={"user_id": fitbit_user}, json=push
            )
            terra.faults.add("status", method="POST", path="/v2/plannedWorkouts", status=502)
            bad_gateway = http.post(
                "/v2/plannedWorkouts", params={"user_id": garmin_user}, json=push
            )
            terra.faults.add(
                "timeout", method="POST", path="/v2/plannedWorkouts", after_commit=False
            )
            timed_out = http.post("/v2/plannedWorkouts", params={"user_id": garmin_user}, json=push)
            missing = http.post(
                "/v2/plannedWorkouts",
                params={"user_id": garmin_user},
                json={**push, "workout_id": 999999},
            )
            # The timed-out push was not given up: the worker finishes it, once.
            rows = wait_until(
                lambda: [
                    r
                    for r in http.get(
                        "/v2/plannedWorkouts", params={"user_id": garmin_user, **ALL_DATES}
                    ).json()["planned_workouts"]
                    if r["status"] == "pushed"
                ],
                "the worker to finish the timed-out push",
            )
    assert unsupported.status_code == 501, unsupported.text
    assert bad_gateway.status_code == 502, bad_gateway.text
    assert timed_out.status_code == 408, timed_out.text
    assert missing.status_code == 404
    for response in (unsupported, bad_gateway, timed_out, missing):
        assert set(response.json()) == {"error", "details"}
    # Asked twice (the 502, then the timeout), one row and one workout on Terra.
    assert len(rows) == 1 and len(terra.planned) == 1
    assert timed_out.json()["details"][-1] == {
        "planned_workout_id": rows[0]["planned_workout_id"],
        "status": "queued",
    }


def test_credentials_are_encrypted_and_never_returned(database_url: str) -> None:
    with service(database_url) as live:
        tenant = make_tenant(live.db)
        token = "shape_very_secret_token_123"
        with live.client(tenant.coach_key) as http:
            athlete = http.post("/v1/athletes", json={"name": "Bo"}).json()
            created = http.post(
                f"/v1/athletes/{athlete['user_id']}/connections",
                json={
                    "provider": "shape",
                    "credentials": {"token": token},
                },
            )
            listed = http.get(f"/v1/athletes/{athlete['user_id']}/connections")
            bad_token = http.post(
                f"/v1/athletes/{athlete['user_id']}/connections",
                json={
                    "provider": "shape",
                    "credentials": {"token": "nope"},
                },
            )
            unknown = http.post(
                f"/v1/athletes/{athlete['user_id']}/connections", json={"provider": "myspace"}
            )
            bad_zone = http.post("/v1/athletes", json={"name": "Cy", "timezone": "Mars/Olympus"})
        with live.db.engine.connect() as connection:
            stored = " ".join(
                str(v)
                for row in connection.execute(text("SELECT * FROM connections")).all()
                for v in row
            )
    assert created.status_code == 200 and listed.status_code == 200
    for response in (created, listed):
        assert token not in response.text and "credentials" not in response.json()
    assert token not in stored
    assert bad_token.status_code == 400
    assert bad_token.json()["details"][0]["field"] == "credentials.token"
    assert unknown.status_code == 400 and unknown.json()["details"][0]["field"] == "provider"
    assert bad_zone.status_code == 400 and bad_zone.json()["details"][0]["field"] == "timezone"


def test_fit_file_and_ics_feed(database_url: str) -> None:
    with service(database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=2)
            fit_user, _ = athlete_with(http, connection_body("fit"))
            ics_user, ics_connection = athlete_with(http, connection_body("ics"))
            for user_id in (fit_user, ics_user):
                job_id = http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                ).json()["job_id"]
                assert wait_for_job(http, job_id)["status"] == "complete"
            fit_rows = http.get(
                "/v2/plannedWorkouts", params={"user_id": fit_user, **ALL_DATES}
            ).json()
            first = fit_rows["planned_workouts"][0]
            fit = http.get(first["file_url"])
            feed_url = http.get(f"/v1/athletes/{ics_user}/connections").json()["connections"][0][
                "feed_url"
            ]
        with live.client() as anonymous:
            feed = anonymous.get(feed_url)
            wrong = anonymous.get(feed_url.replace(".ics", "x.ics"))
    messages, errors = Decoder(Stream.from_byte_array(bytearray(fit.content))).read()
    assert errors == [] and messages["workout_step_mesgs"]
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert sorted(e.decoded("dtstart") for e in events) == sorted(
        dt.date.fromisoformat(w["date"]) for w in plan["content"]
    )
    assert wrong.status_code == 404
    assert ics_connection > 0


def test_preview_shows_coercion_without_pushing(database_url: str) -> None:
    with service(database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            swim = http.post(
                "/v2/workouts",
                json={
                    "workout_template": {
                        "name": "Pool 1000",
                        "sport": "swimming_swimming_pool",
                        "pool_length_meters": 25,
                        "step_blocks": [
                            {
                                "completion_condition": {"type": "fixed_repetition", "value": 1},
                                "steps": [
                                    {
                                        "order": 1,
                                        "duration_type": "distance_meters",
                                        "duration_value": 1010,
                                        "intensity_type": "active",
                                    }
                                ],
                            }
                        ],
                    }
                },
            ).json()
            preview = http.post(
                f"/v2/workouts/{swim['workout_id']}/preview", params={"provider": "garmin"}
            )
            unknown = http.post(
                f"/v2/workouts/{swim['workout_id']}/preview", params={"provider": "nokia"}
            )
    assert preview.status_code == 200, preview.text
    warnings = preview.json()["coercion_warnings"]
    assert any(
        w["field"] == "step_blocks[0].steps[0].duration_value"
        and w["original_value"] == 1010
        and w["coerced_value"] % 25 == 0
        for w in warnings
    ), warnings
    assert set(warnings[0]) == {"field", "original_value", "coerced_value", "reason"}
    assert unknown.status_code == 400


def test_shape_preview_shows_its_conventions(database_url: str) -> None:
    steps = [
        ("warmup", 600),
        ("active", 3600),
        ("cooldown", 600),
    ]
    template = {
        "name": "Long run 80 min",
        "sport": "running",
        "step_blocks": [
            {
                "completion_condition": {"type": "fixed_repetition", "value": 1},
                "steps": [
                    {
                        "order": 1,
                        "duration_type": "time",
                        "duration_value": seconds,
                        "intensity_type": kind,
                    }
                ],
            }
            for kind, seconds in steps
        ],
    }
    with service(database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            made = http.post("/v2/workouts", json={"workout_template": template}).json()
            preview = http.post(
                f"/v2/workouts/{made['workout_id']}/preview", params={"provider": "shape"}
            )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["workout_template"]["name"] == "Long run"
    fields = {w["field"]: w for w in body["coercion_warnings"]}
    assert fields["name"]["original_value"] == "Long run 80 min"
    assert fields["step_blocks"]["coerced_value"] == {"target": "time"}
    assert not any(f.endswith("intensity_type") for f in fields)


def test_push_tenancy(database_url: str) -> None:
    with service(database_url) as live:
        tenant, other = make_tenant(live.db), make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, connection_body("fit"))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            undated = http.post(
                "/v1/coach/generate-plan",
                json={
                    "weeks": 1,
                    "experience_level": "beginner",
                    "organization_id": tenant.organization_id,
                    "refined_draft": "W1 D2 Easy run, 30 min, 5.0 km",
                },
            ).json()
            no_dates = http.post(
                f"/v1/coach/plans/{undated['plan_id']}/push", json={"user_id": user_id}
            )
        with live.client(other.coach_key) as http:
            # Another tenant's ids answer as ids that do not exist.
            assert http.get(f"/v1/athletes/{user_id}").status_code == 404
            assert http.get(f"/v1/coach/push-jobs/{job_id}").status_code == 404
            assert (
                http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                ).status_code
                == 404
            )
            assert http.get("/v1/athletes/6a1f8e0e-0000-4000-8000-000000000000").status_code == 404
    assert no_dates.status_code == 400
    assert no_dates.json()["details"][0]["field"] == "plan_id"
