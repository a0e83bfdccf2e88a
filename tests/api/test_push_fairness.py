"""One tenant's provider trouble never holds up another tenant's pushes: each connection is
worked by its own task, a long wait releases the rows instead of sleeping on them, and a
claim ends at its deadline even when the provider never answers."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlmodel import col, select

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow, utcnow
from tests.support.push import (
    athlete_with,
    connection_body,
    dated_plan,
    emulators,
    push_plan,
    service,
    wait_for_checks,
    wait_for_job,
    wait_until,
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


def test_a_tenant_told_to_wait_an_hour_does_not_hold_up_another(own_database_url: str) -> None:
    with emulators() as emu, service(own_database_url, emu) as live:
        terra = emu.terra
        # The first organization's Terra account answers every call with a 429 and an hour.
        terra.faults.add("status", status=429, retry_after="3600", times=10**6)
        first, second = make_tenant(live.db), make_tenant(live.db)
        with live.client(first.coach_key) as http:
            plan = dated_plan(http, first, weeks=12)
            limited_user, limited = athlete_with(http, connection_body("terra"))
            limited_job = push_plan(http, plan, limited_user)
            wait_until(lambda: terra.faults.injected, "the first tenant's call to Terra")
        with live.client(second.coach_key) as http:
            other_plan = dated_plan(http, second, weeks=2)
            other_user, _ = athlete_with(http, connection_body("ics"))
            done = wait_for_job(http, push_plan(http, other_plan, other_user))
        with live.client(first.coach_key) as http:
            waiting = http.get(f"/v1/coach/push-jobs/{limited_job}").json()
        rows = _rows(live.db, limited)
    assert done["status"] == "complete" and done["pushed"] == len(other_plan["content"])
    # The first tenant's rows wait, released, for the hour Terra asked: none is held.
    assert (waiting["status"], waiting["pushed"], waiting["queued"]) == (
        "running",
        0,
        len(plan["content"]),
    )
    soon = utcnow() + dt.timedelta(minutes=50)
    assert len(rows) == len(plan["content"])
    for row in rows:
        assert row.status == "queued" and row.claim_token is None
        assert row.next_attempt_at is not None and _aware(row.next_attempt_at) > soon
        assert "provider_rate_limited" in (row.last_error or "")
    # Terra was asked once: the account's pause keeps every other row from being sent.
    assert len(terra.faults.injected) == 1 and terra.planned == {}


def test_a_claim_ends_at_its_deadline_when_the_provider_never_answers(
    own_database_url: str,
) -> None:
    with (
        emulators() as emu,
        service(
            own_database_url,
            emu,
            push_claim_max_s=2.0,
            provider_timeout_s=60.0,
            # Late copies are looked for when the job settles, and once more a second on.
            push_verify_after_s=1.0,
            push_verify_again_s=0,
        ) as live,
    ):
        terra = emu.terra
        # Terra takes the first tenant's planned workouts and never answers (until released).
        terra.faults.add("hold", method="POST", path="/v2/plannedWorkouts", times=10**6)
        first, second = make_tenant(live.db), make_tenant(live.db)
        with live.client(first.coach_key) as http:
            plan = dated_plan(http, first, weeks=2)
            stuck_user, stuck = athlete_with(http, connection_body("terra"))
            stuck_job = push_plan(http, plan, stuck_user)
            wait_until(lambda: terra.faults.holding, "a call Terra holds")
        with live.client(second.coach_key) as http:
            other_plan = dated_plan(http, second, weeks=2)
            other_user, _ = athlete_with(http, connection_body("fit"))
            done = wait_for_job(http, push_plan(http, other_plan, other_user))
        # The claim's deadline cuts the held call off and releases the rows; the next claim
        # (after the back-off) calls again: a second call is held.
        wait_until(lambda: terra.faults.held >= 2, "the first claim to end at its deadline")
        cut = [r for r in _rows(live.db, stuck) if r.attempts]
        terra.faults.release()
        with live.client(first.coach_key) as http:
            finished = wait_for_job(http, stuck_job)
            checked = wait_for_checks(http, stuck_job)
        # Every call Terra took committed: the ones cut off too, once released.
        made = terra.calls["POST /v2/plannedWorkouts"]
    assert done["status"] == "complete"
    assert cut and all("deadline" in (r.last_error or "") for r in cut)
    assert finished["status"] == "complete", finished
    # Every workout once, although the calls cut off were committed late: a retry made
    # while one was held made a second copy, which the look for late copies removed.
    expected = Counter(dt.date.fromisoformat(w["date"]) for w in plan["content"])
    assert Counter(dt.date.fromisoformat(p["planned_date"]) for p in terra.planned.values()) == (
        expected
    )
    assert checked["duplicates_removed"] == made - len(plan["content"])


def test_many_connections_are_pushed_side_by_side(own_database_url: str) -> None:
    # Eight connections at once, each held by a slow provider call: with one worker task per
    # connection, every one of them is in a call at the same time.
    with (
        emulators() as emu,
        service(own_database_url, emu, push_concurrency=8, provider_timeout_s=60.0) as live,
    ):
        terra = emu.terra
        terra.faults.add("hold", method="POST", path="/v2/workouts", times=10**6)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            jobs = []
            for i in range(8):
                user = "garmin-user-1" if i == 0 else f"garmin-user-{i + 1}"
                user_id, _ = athlete_with(http, connection_body("terra", user=user))
                jobs.append(push_plan(http, plan, user_id))
            wait_until(lambda: terra.faults.holding == 8, "eight calls in flight at once")
            terra.faults.release()
            finished = [wait_for_job(http, job) for job in jobs]
    assert [j["status"] for j in finished] == ["complete"] * 8
    assert len(terra.planned) == 8 * len(plan["content"])


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def test_every_job_settles_by_its_deadline(own_database_url: str) -> None:
    # Terra keeps asking for an hour; the rows' deadline is sooner: they fail by then, and
    # the job with them, instead of staying queued.
    with emulators() as emu, service(own_database_url, emu, push_deadline_s=2.0) as live:
        emu.terra.faults.add("status", status=429, retry_after="3600", times=10**6)
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=2)
            user_id, connection_id = athlete_with(http, connection_body("terra"))
            job = wait_for_job(http, push_plan(http, plan, user_id))
        rows = _rows(live.db, connection_id)
    assert (job["status"], job["failed"], job["queued"]) == ("failed", len(plan["content"]), 0)
    assert job["finished_at"] is not None
    for row in rows:
        assert row.status == "failed" and row.claim_token is None
        assert (row.last_error or "").startswith("not pushed before its deadline")
        assert "provider_rate_limited" in (row.last_error or "")
