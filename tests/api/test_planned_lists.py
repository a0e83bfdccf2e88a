"""Listing planned workouts as the reference says: a default window of 30 days ago to today,
start_date/end_date on both lists, and the provider's own workouts with external_only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx2

from tests.support.push import (
    TERRA_USER,
    athlete_with,
    connection_body,
    easy_template,
    emulators,
    service,
)
from tests.support.tenants import make_tenant

TEMPLATE = easy_template()


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date()  # athlete_with's timezone


def _push(http: httpx2.Client, user_id: str, workout_id: int, day: dt.date) -> dict[str, Any]:
    pushed = http.post(
        "/v2/plannedWorkouts",
        params={"user_id": user_id},
        json={"workout_id": workout_id, "planned_date": day.isoformat()},
    )
    assert pushed.status_code == 200, pushed.text
    return dict(pushed.json())


def _dates(listed: httpx2.Response) -> list[tuple[str, bool]]:
    assert listed.status_code == 200, listed.text
    return [(w["planned_date"], w["external_only"]) for w in listed.json()["planned_workouts"]]


def test_terra_lists_default_to_the_last_30_days_and_show_native_workouts(
    database_url: str,
) -> None:
    today = _today()

    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).isoformat()

    with emulators() as emu, service(database_url, emu) as live:
        terra = emu.terra
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id, connection_id = athlete_with(http, connection_body("terra"))
            workout_id = http.post("/v2/workouts", json=TEMPLATE).json()["workout_id"]
            for offset in (-40, -10, 0, 5):
                _push(http, user_id, workout_id, today + dt.timedelta(days=offset))
            native = terra.add_native(TERRA_USER, today - dt.timedelta(days=3), "Garmin Coach run")
            terra.add_native(TERRA_USER, today - dt.timedelta(days=60), "Old native run")
            by_user = http.get("/v2/plannedWorkouts", params={"user_id": user_id})
            wide = http.get(
                "/v2/plannedWorkouts",
                params={"user_id": user_id, "start_date": day(-45), "end_date": day(10)},
            )
            path = f"/v2/plannedWorkouts/connection/{connection_id}"
            by_connection = http.get(path)
            future = http.get(path, params={"start_date": day(1), "end_date": day(10)})
            backwards = http.get(path, params={"start_date": day(1), "end_date": day(-1)})
            terra.faults.add("status", method="GET", path="/v2/plannedWorkouts", status=502)
            provider_down = http.get("/v2/plannedWorkouts", params={"user_id": user_id})
    # 30 days ago to today: our -10 and 0, and the platform's own from 3 days ago.
    assert _dates(by_user) == [(day(-10), False), (day(-3), True), (day(0), False)]
    assert _dates(by_connection) == _dates(by_user)
    assert _dates(wide) == [
        (day(-40), False),
        (day(-10), False),
        (day(-3), True),
        (day(0), False),
        (day(5), False),
    ]
    assert _dates(future) == [(day(5), False)]
    external = by_user.json()["planned_workouts"][1]
    assert external == {
        "planned_workout_id": 0,
        "workout_id": None,
        "connection_id": connection_id,
        "user_id": user_id,
        "planned_date": day(-3),
        "provider_workout_id": native["provider_workout_id"],
        "provider_name": "terra",
        "provider_workout_name": "Garmin Coach run",
        "status": "external",
        "synced_at": None,
        "coercion_applied": False,
        "coercion_warnings": None,
        "external_only": True,
        "last_error": None,
        "file_url": None,
        "created_date": native["created_date"],
        "updated_date": native["updated_date"],
    }
    assert by_user.json()["provider_errors"] == []
    assert backwards.status_code == 400
    assert backwards.json()["details"][0]["field"] == "end_date"
    # The provider cannot answer: our own are listed, and the connection is named.
    assert _dates(provider_down) == [(day(-10), False), (day(0), False)]
    [error] = provider_down.json()["provider_errors"]
    assert error["connection_id"] == connection_id and error["provider_name"] == "terra"


def test_shape_activities_not_made_by_us_are_listed_as_external(database_url: str) -> None:
    today = _today()
    with emulators() as emu, service(database_url, emu) as live:
        shape = emu.shape
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id, connection_id = athlete_with(http, connection_body("shape"))
            workout_id = http.post("/v2/workouts", json=TEMPLATE).json()["workout_id"]
            ours = _push(http, user_id, workout_id, today)
            with shape._lock:
                theirs = shape._new(
                    {"date": today.isoformat(), "title": "Bike", "sportType": "bike"}
                )
                shape._new(  # done already: not a planned workout
                    {
                        "date": today.isoformat(),
                        "title": "Run",
                        "sportType": "run",
                        "completed": True,
                    }
                )
            listed = http.get("/v2/plannedWorkouts", params={"user_id": user_id})
            wrong_tenant = make_tenant(live.db)
        with live.client(wrong_tenant.coach_key) as other:
            hidden = other.get(f"/v2/plannedWorkouts/connection/{connection_id}")
    rows = listed.json()["planned_workouts"]
    assert [(r["provider_workout_id"], r["external_only"]) for r in rows] == [
        (ours["provider_workout_id"], False),
        (theirs["id"], True),
    ]
    assert rows[1]["provider_workout_name"] == "Bike"
    assert rows[1]["created_date"] == theirs["createdAt"] // 1000
    assert hidden.status_code == 404


def test_without_provider_listing_only_ours_are_listed(database_url: str) -> None:
    today = _today()
    with emulators() as emu, service(database_url, emu, list_provider_workouts=False) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id, _ = athlete_with(http, connection_body("terra"))
            workout_id = http.post("/v2/workouts", json=TEMPLATE).json()["workout_id"]
            _push(http, user_id, workout_id, today)
            emu.terra.add_native(TERRA_USER, today, "Garmin Coach run")
            listed = http.get("/v2/plannedWorkouts", params={"user_id": user_id})
    assert _dates(listed) == [(today.isoformat(), False)]
    assert "GET /v2/plannedWorkouts" not in emu.terra.calls
