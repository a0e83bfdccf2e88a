"""Ordinary provider faults cost the workout they hit one attempt, never the others: under
20% injected faults a 52-week plan arrives whole, each workout exactly once. Plan
templates are not multiplied in the library, and the calendar feed keeps every event."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import icalendar
import pytest
from sqlmodel import col, select

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow
from tests.support.push import (
    athlete_with,
    connection_body,
    dated_plan,
    emulators,
    service,
    wait_for_job,
)
from tests.support.tenants import make_tenant


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


def _on_provider(provider: str, emulator: Any) -> Counter[dt.date]:
    if provider == "terra":
        return Counter(dt.date.fromisoformat(p["planned_date"]) for p in emulator.planned.values())
    return Counter(dt.date.fromisoformat(str(a["date"])[:10]) for a in emulator.activities.values())


@pytest.mark.parametrize("provider", ["terra", "shape"])
def test_a_52_week_plan_arrives_exactly_once_through_20_percent_faults(
    own_database_url: str, provider: str
) -> None:
    # A short client timeout and a provider that hangs a little longer: a timeout after
    # commit costs half a second, not a minute.
    with (
        emulators() as emu,
        service(own_database_url, emu, provider_timeout_s=0.5, push_backoff_base_s=0.05) as live,
    ):
        emulator = emu.terra if provider == "terra" else emu.shape
        emulator.faults.hang_s = 0.7
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=52)
            user_id, connection_id = athlete_with(http, connection_body(provider))
            # From now on one call in five fails: a 502 before the provider commits, a
            # timeout or a dropped connection after it did.
            emulator.faults.strike(0.2, ("status", "timeout", "drop"), seed=52)
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            job = wait_for_job(http, job_id, timeout=600)
        rows = _rows(live.db, connection_id)
    expected = Counter(dt.date.fromisoformat(w["date"]) for w in plan["content"])
    assert len(plan["content"]) >= 250
    assert job["status"] == "complete", job
    assert job["pushed"] == len(plan["content"])
    assert _on_provider(provider, emulator) == expected
    assert len(emulator.faults.injected) > 0
    assert all(r.status == "pushed" and r.provider_workout_id for r in rows)
    assert len({r.provider_workout_id for r in rows}) == len(rows)


def test_a_workout_the_provider_refuses_costs_none_of_its_batch(own_database_url: str) -> None:
    with emulators() as emu, service(own_database_url, emu) as live:
        shape = emu.shape
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=4)
            user_id, connection_id = athlete_with(http, connection_body("shape"))
            bad = plan["content"][5]
            # Shape refuses any batch that carries this one workout (all or nothing).
            shape.faults.add(
                "status",
                method="POST",
                path="/api/v1/activities",
                status=400,
                body_contains=f"-w{bad['week']}d{bad['day']}]",
                times=10**6,
            )
            job = wait_for_job(
                http,
                http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                ).json()["job_id"],
            )
        rows = _rows(live.db, connection_id)
    refused = [r for r in rows if r.status == "failed"]
    assert (job["status"], job["failed"], job["pushed"]) == (
        "failed",
        1,
        len(plan["content"]) - 1,
    )
    assert [r.planned_date.isoformat() for r in refused] == [bad["date"]]
    assert refused[0].attempts == 1 and "provider_rejected" in (refused[0].last_error or "")
    # The others went out in the halves around it, each counted once.
    assert all(r.attempts == 1 for r in rows)
    assert len(shape.activities) == len(plan["content"]) - 1


def test_plan_templates_are_not_multiplied_and_the_feed_keeps_every_event(
    own_database_url: str,
) -> None:
    with service(own_database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=2)
            users = [athlete_with(http, connection_body("ics"))[0] for _ in range(3)]
            sizes = []
            for user_id in users:
                job_id = http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
                ).json()["job_id"]
                assert wait_for_job(http, job_id)["status"] == "complete"
                sizes.append(len(http.get("/v2/workouts").json()["workouts"]))
            library = http.get("/v2/workouts").json()["workouts"]
            # The coach tidies the library: every template goes.
            for workout in library:
                assert http.delete(f"/v2/workouts/{workout['workout_id']}").status_code == 200
            feed_url = http.get(f"/v1/athletes/{users[0]}/connections").json()["connections"][0][
                "feed_url"
            ]
        with live.client() as anonymous:
            feed = anonymous.get(feed_url)
    # Three pushes of one plan: the templates of the first, reused (one per distinct workout).
    assert sizes == [sizes[0]] * 3 and 0 < sizes[0] <= len(plan["content"])
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert sorted(e.decoded("dtstart") for e in events) == sorted(
        dt.date.fromisoformat(w["date"]) for w in plan["content"]
    )
    assert {str(e.get("summary")) for e in events} == {w["title"] for w in plan["content"]}
