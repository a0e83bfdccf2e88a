"""Several workers on one database: no planned workout is claimed or pushed twice."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

from cryptography.fernet import Fernet

from coach.db.database import Database
from coach.db.migrate import upgrade
from coach.push.outbox import claim
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


def test_concurrent_claims_are_disjoint(own_database_url: str) -> None:
    with emulators() as emu, service(own_database_url, emu, push_worker=False) as live:
        terra, terra_url, shape, shape_url = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=12)
            user_id, _ = athlete_with(http, connection_body("terra"))
            http.post(f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id})
    upgrade(own_database_url)
    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def worker() -> None:
        db = Database(own_database_url)
        start.wait()
        while True:
            got = db.call(lambda s: claim(s, lease_s=600, limit_for=lambda _p: 3))
            if got is None:
                break
            with lock:
                claimed.extend(r.id or 0 for r in got.rows)
        db.dispose()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(claimed) == len(plan["content"])
    assert len(set(claimed)) == len(claimed), "a row was claimed twice"


def test_two_services_push_one_job_exactly_once(own_database_url: str) -> None:
    with (
        emulators() as emu,
        service(own_database_url, emu) as one,
        service(own_database_url, emu) as two,
    ):
        terra, terra_url, shape, shape_url = emu
        terra.latency_s = 0.01
        tenant = make_tenant(one.db)
        with one.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=12)
            user_id, _ = athlete_with(http, connection_body("terra"))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
        with two.client(tenant.coach_key) as http:
            job = wait_for_job(http, job_id)
    assert job["status"] == "complete"
    expected = Counter(dt.date.fromisoformat(w["date"]) for w in plan["content"])
    assert (
        Counter(dt.date.fromisoformat(p["planned_date"]) for p in terra.planned.values())
        == expected
    )
    assert terra.calls["POST /v2/plannedWorkouts"] == len(plan["content"])


def test_a_connection_sealed_with_another_key_fails_alone(own_database_url: str) -> None:
    # Two hosts on one database, started before any credential was stored, each with its
    # own key (start-up refuses a key that cannot open stored credentials, so only this
    # way does a service meet a connection it cannot open).
    with emulators() as emu, service(own_database_url, emu) as live:
        terra, terra_url, shape, shape_url = emu
        with service(
            own_database_url, emu, push_worker=False, secret_key=Fernet.generate_key().decode()
        ) as old:
            tenant = make_tenant(old.db)
            with old.client(tenant.coach_key) as http:
                plan = dated_plan(http, tenant, weeks=1)
                lost_user, lost_connection = athlete_with(http, connection_body("terra"))
                lost_job = http.post(
                    f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": lost_user}
                ).json()["job_id"]
        # The other host's connection cannot be opened here, but one made here pushes.
        with live.client(tenant.coach_key) as http:
            user_id, _ = athlete_with(http, connection_body("terra"))
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
            assert wait_for_job(http, job_id)["status"] == "complete"
            lost = wait_for_job(http, lost_job)
            rows = http.get(
                f"/v2/plannedWorkouts/connection/{lost_connection}", params=ALL_DATES
            ).json()["planned_workouts"]
    assert lost["status"] == "failed"
    assert lost["failed"] == len(plan["content"])
    assert {row["status"] for row in rows} == {"failed"}
    assert all("COACH_SECRET_KEY" in row["last_error"] for row in rows)
    assert len(terra.planned) == len(plan["content"])


def test_a_push_slower_than_the_lease_is_not_taken_over(own_database_url: str) -> None:
    # The first worker's first provider call takes 5 s, two and a half leases (a lease of 2 s
    # renewed every 2/3 s leaves room for a loaded machine's stalls). A second worker that
    # starts meanwhile must not take the first one's rows over and push them again: the
    # first keeps renewing its lease while it pushes.
    with (
        emulators() as emu,
        service(own_database_url, emu, push_lease_s=2.0, provider_timeout_s=15.0) as one,
    ):
        terra, terra_url, shape, shape_url = emu
        tenant = make_tenant(one.db)
        with one.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=3)
            user_id, _ = athlete_with(http, connection_body("terra"))
            terra.latency_s = 5.0
            job_id = http.post(
                f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id}
            ).json()["job_id"]
        deadline = time.monotonic() + 10
        while not terra.calls["POST /v2/workouts"]:
            assert time.monotonic() < deadline, "the first worker never called Terra"
            time.sleep(0.01)
        slow_call_ends = time.monotonic() + 5.0
        terra.latency_s = 0.0
        with (
            service(own_database_url, emu, push_lease_s=2.0, provider_timeout_s=15.0) as two,
            two.client(tenant.coach_key) as http,
        ):
            job = wait_for_job(http, job_id)
            # Both workers stay up past the slow call, so any double push would happen.
            time.sleep(max(0.0, slow_call_ends - time.monotonic()) + 2.5)
    assert job["status"] == "complete" and job["pushed"] == len(plan["content"])
    assert terra.calls["POST /v2/plannedWorkouts"] == len(plan["content"])
    assert len(terra.planned) == len(plan["content"])
