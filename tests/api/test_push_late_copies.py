"""A call cut off after it was sent may commit at the provider after its retry made the
workout again (Terra has no idempotency key): the worker looks for late copies when the
job settles and again later, and removes every copy but the row's own."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.emulators.terra import TerraEmulator
from tests.support.push import (
    ALL_DATES,
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
# The calls that create workouts: Terra's planned workout, Shape's activity (and batch).
CREATE = {"terra": TERRA_CREATE, "shape": "/api/v1/activities"}


def _dates(emulator: Any) -> Counter[str]:
    """The days of the workouts the emulator holds (Terra's planned workouts, Shape's
    activities)."""
    held = emulator.planned if isinstance(emulator, TerraEmulator) else emulator.activities
    return Counter(str(w.get("planned_date") or w.get("date"))[:10] for w in held.values())


@pytest.mark.parametrize("provider", ["terra", "shape"])
def test_a_copy_committed_after_the_job_said_complete_is_removed(
    own_database_url: str, provider: str
) -> None:
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
        emulator: Any = emu.terra if provider == "terra" else emu.shape
        # The provider holds the first call that creates workouts (Terra: one workout;
        # Shape: the batch) past the claim's deadline; the retry, which finds nothing yet,
        # makes them again and is answered at once.
        emulator.faults.add("hold", method="POST", path=CREATE[provider])
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, connection_body(provider))
            job_id = push_plan(http, plan, user_id)
            complete = wait_for_job(http, job_id)
            before = _dates(emulator)
            # Now the held call goes on, and commits its copies.
            emulator.faults.release()
            doubled = wait_until(lambda: max(_dates(emulator).values()) == 2, "the late commit")
            checked = wait_for_checks(http, job_id)
            after = _dates(emulator)
    expected = Counter(w["date"] for w in plan["content"])
    late = 1 if provider == "terra" else len(plan["content"])
    assert complete["status"] == "complete", complete
    # The job was complete after a first look, which found one copy of each workout...
    assert (complete["duplicates_removed"], complete["checks_pending"]) == (0, late)
    assert before == expected and doubled
    # ...and the later look found the late ones and removed them.
    assert (checked["status"], checked["duplicates_removed"]) == ("complete", late)
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


def test_deleting_a_workout_before_its_late_copy_was_looked_for_removes_both(
    own_database_url: str,
) -> None:
    with (
        emulators() as emu,
        service(
            own_database_url,
            emu,
            push_claim_max_s=2.0,
            provider_timeout_s=60.0,
            push_verify_after_s=3600.0,  # no look comes before the delete
        ) as live,
    ):
        terra = emu.terra
        terra.faults.add("hold", method="POST", path=TERRA_CREATE)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user_id, _ = athlete_with(http, connection_body("terra"))
            wait_for_job(http, push_plan(http, plan, user_id))
            terra.faults.release()
            wait_until(lambda: max(_dates(terra).values()) == 2, "the late commit")
            day = next(d for d, n in _dates(terra).items() if n == 2)
            listed = http.get(TERRA_CREATE, params={"user_id": user_id, **ALL_DATES}).json()
            row = next(p for p in listed["planned_workouts"] if p["planned_date"] == day)
            deleted = http.delete(f"{TERRA_CREATE}/{row['planned_workout_id']}")
            after = _dates(terra)
    assert deleted.status_code == 200, deleted.text
    # Both copies went: the one the row recorded and the late one with its marker.
    expected = Counter(w["date"] for w in plan["content"] if w["date"] != day)
    assert after == expected
