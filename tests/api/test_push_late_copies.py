"""A call cut off after it was sent may commit at the provider after its retry made the
workout again (Terra has no idempotency key): the worker looks for late copies when the
job settles and again later, and removes every copy but the row's own."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.support.push import (
    athlete_with,
    connection_body,
    dated_plan,
    easy_template,
    emulators,
    push_plan,
    service,
    wait_for_checks,
    wait_for_job,
    wait_until,
)
from tests.support.tenants import make_tenant

TERRA_CREATE = "/v2/plannedWorkouts"


def _dates(planned: dict[int, dict[str, Any]]) -> Counter[str]:
    return Counter(p["planned_date"] for p in planned.values())


def test_a_copy_committed_after_the_job_said_complete_is_removed(own_database_url: str) -> None:
    with (
        emulators() as emu,
        service(
            own_database_url,
            emu,
            push_claim_max_s=2.0,
            provider_timeout_s=60.0,
            push_verify_after_s=3.0,
            push_verify_again_s=0,
        ) as live,
    ):
        terra = emu.terra
        # Terra holds the first planned workout's call past the claim's deadline; the
        # retry (which finds nothing yet) makes it again, answered at once.
        terra.faults.add("hold", method="POST", path=TERRA_CREATE)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, connection_body("terra"))
            job_id = push_plan(http, plan, user_id)
            complete = wait_for_job(http, job_id)
            before = _dates(terra.planned)
            # Now the held call goes on, and commits a second copy.
            terra.faults.release()
            doubled = wait_until(
                lambda: max(_dates(terra.planned).values()) == 2, "the late commit at Terra"
            )
            checked = wait_for_checks(http, job_id)
            after = _dates(terra.planned)
    expected = Counter(w["date"] for w in plan["content"])
    assert complete["status"] == "complete", complete
    # The job was complete after a first look, which found one copy of each workout...
    assert (complete["duplicates_removed"], complete["checks_pending"]) == (0, 1)
    assert before == expected and doubled
    # ...and the later look found the late one and removed it.
    assert (checked["status"], checked["duplicates_removed"]) == ("complete", 1)
    assert after == expected


def test_a_direct_push_is_checked_for_a_late_copy(own_database_url: str) -> None:
    with (
        emulators() as emu,
        service(own_database_url, emu, push_verify_after_s=2.0, push_verify_again_s=0) as live,
    ):
        terra = emu.terra
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            user_id, _ = athlete_with(http, connection_body("terra"))
            workout_id = http.post("/v2/workouts", json=easy_template()).json()["workout_id"]
            # The first call is held past the provider timeout; the request's retry finds
            # nothing yet and makes the workout again.
            terra.faults.add("hold", method="POST", path=TERRA_CREATE)
            created = http.post(
                TERRA_CREATE,
                params={"user_id": user_id},
                json={"workout_id": workout_id, "planned_date": "2026-12-10"},
            )
            terra.faults.release()
            wait_until(lambda: len(terra.planned) == 2, "the late commit at Terra")
            wait_until(lambda: len(terra.planned) == 1, "the late copy removed", timeout=60)
            planned = http.get(f"{TERRA_CREATE}/{created.json()['planned_workout_id']}").json()
    assert created.status_code == 200, created.text
    assert created.json()["status"] == "pushed"
    kept = next(iter(terra.planned.values()))
    assert str(kept["planned_workout_id"]) == created.json()["provider_workout_id"]
    assert kept["planned_date"] == "2026-12-10"
    assert planned["status"] == "pushed"
