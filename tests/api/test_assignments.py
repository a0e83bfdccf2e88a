"""Assigning a plan to athletes and re-pushing only what changed, against the emulators."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2

from tests.emulators.shape import ShapeEmulator
from tests.emulators.terra import TerraEmulator
from tests.support.live import LiveServer
from tests.support.push import (
    athlete_with,
    connection_body,
    dated_plan,
    emulators,
    service,
    wait_for_job,
)
from tests.support.sse import data, names, read_stream
from tests.support.tenants import make_tenant

START = dt.date(2027, 1, 4)
OTHER_START = dt.date(2027, 2, 1)


def _on(start: dt.date, workouts: list[dict[str, Any]]) -> Counter[tuple[dt.date, str]]:
    """The plan as an athlete starting on `start` should have it: (date, title)."""
    return Counter(
        (start + dt.timedelta(days=(w["week"] - 1) * 7 + w["day"] - 1), w["title"])
        for w in workouts
    )


def _shape_holds(shape: ShapeEmulator) -> Counter[tuple[dt.date, str]]:
    return Counter(
        (dt.date.fromisoformat(str(a["date"])[:10]), a["title"]) for a in shape.activities.values()
    )


def _terra_holds(terra: TerraEmulator) -> Counter[tuple[dt.date, str]]:
    return Counter(
        (dt.date.fromisoformat(p["planned_date"]), p["provider_workout_name"])
        for p in terra.planned.values()
    )


def _edit(http: httpx2.Client, plan_id: str) -> list[dict[str, Any]]:
    """Four edits through the editor's endpoints, each a revision: a workout renamed (its
    content changes), one moved to a free day, one deleted, one added. The new content."""
    plan = f"/v1/coach/plans/{plan_id}"
    workouts = http.get(plan).json()["content"]
    renamed, moved, deleted, last = workouts[0], workouts[1], workouts[2], workouts[-1]
    free = next(d for d in range(1, 8) if d not in _days(workouts, moved["week"]))
    last_free = next(d for d in range(1, 8) if d not in _days(workouts, last["week"]))
    added = {k: v for k, v in last.items() if k not in ("date", "original_date")}
    writes = [
        ("PATCH", _at(renamed), {"title": renamed["title"] + " (edited)"}),
        ("PATCH", _at(moved), {"day": free}),
        ("DELETE", _at(deleted), None),
        ("POST", "/workouts", {**added, "day": last_free, "title": "Added shakeout"}),
    ]
    for revision, (method, path, body) in enumerate(writes, start=1):
        answer = http.request(method, plan + path, json=body, headers={"If-Match": f'"{revision}"'})
        assert answer.status_code == 200, answer.text
    content: list[dict[str, Any]] = http.get(plan).json()["content"]
    return content


def _days(workouts: list[dict[str, Any]], week: int) -> set[int]:
    return {w["day"] for w in workouts if w["week"] == week}


def _at(workout: dict[str, Any]) -> str:
    return f"/workouts/{workout['week']}/{workout['day']}"


def _assign(http: httpx2.Client, plan_id: str, user_id: str, start: dt.date) -> httpx2.Response:
    return http.post(
        f"/v1/coach/plans/{plan_id}/assignments",
        json={"user_id": user_id, "start_date": start.isoformat()},
    )


def test_assign_edit_and_repush_only_the_difference(database_url: str) -> None:
    with emulators() as emu, service(database_url, emu) as live:
        terra, _, shape, _ = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=3)
            plan_id = plan["plan_id"]
            shape_user, _ = athlete_with(http, connection_body("shape"))
            terra_user, _ = athlete_with(http, connection_body("terra"))

            first = _assign(http, plan_id, shape_user, START)
            assert first.status_code == 201, first.text
            [job] = first.json()["jobs"]
            count = len(plan["content"])
            assert job["actions"] == {
                "created": count,
                "updated": 0,
                "deleted": 0,
                "retried": 0,
                "unchanged": 0,
            }
            assert wait_for_job(http, job["job_id"])["status"] == "complete"
            # A second athlete, with a start date of their own.
            other = _assign(http, plan_id, terra_user, OTHER_START)
            assert other.status_code == 201, other.text
            assert wait_for_job(http, other.json()["jobs"][0]["job_id"])["status"] == "complete"
            assert _shape_holds(shape) == _on(START, plan["content"])
            assert _terra_holds(terra) == _on(OTHER_START, plan["content"])

            stale = http.post(
                f"/v1/coach/plans/{plan_id}/assignments",
                json={"user_id": shape_user, "start_date": START.isoformat()},
                headers={"If-Match": '"2"'},
            )
            assert stale.status_code == 412, stale.text
            edited = _edit(http, plan_id)
            shape_calls = sum(shape.calls.values())

            again = http.post(
                f"/v1/coach/plans/{plan_id}/assignments",
                json={"user_id": shape_user, "start_date": START.isoformat()},
                headers={"If-Match": '"5"'},
            )
            assert again.status_code == 200, again.text
            assert again.json()["revision"] == 5
            [job] = again.json()["jobs"]
            done = wait_for_job(http, job["job_id"])
            events = read_stream(http, "GET", f"/v1/coach/push-jobs/{job['job_id']}/events")
            listed = http.get(f"/v1/coach/plans/{plan_id}/assignments")

    assert done["status"] == "complete", done
    assert done["actions"] == {
        "created": 1,
        "updated": 2,
        "deleted": 1,
        "retried": 0,
        "unchanged": count - 3,
    }
    how = Counter((i["action"], i["method"]) for i in done["items"])
    assert how == {
        ("create", None): 1,
        ("update", "replace"): 1,
        ("update", "move"): 1,
        ("delete", None): 1,
    }
    assert all(i["state"] == "done" for i in done["items"])
    # The provider holds exactly the edited plan; the other athlete's copy is untouched.
    assert _shape_holds(shape) == _on(START, edited)
    assert len(shape.activities) == len(edited)
    assert _terra_holds(terra) == _on(OTHER_START, plan["content"])
    assert sum(shape.calls.values()) - shape_calls <= 6  # a handful of calls, not a re-push
    # The job's events say what each workout got.
    assert names(events)[-2:] == ["result", "done"]
    items = [data(e) for e in events if e.event == "item"]
    assert Counter(i["action"] for i in items) == {"create": 1, "update": 2, "delete": 1}
    progress = next(data(e) for e in events if e.event == "progress")
    assert "1 created, 2 updated, 1 deleted" in progress["message"]
    assert listed.status_code == 200
    by_user = {a["user_id"]: a for a in listed.json()["items"]}
    assert by_user[shape_user]["revision"] == 5 and by_user[terra_user]["revision"] == 1
    assert by_user[terra_user]["start_date"] == OTHER_START.isoformat()
    assert listed.json()["next_cursor"] is None


def test_a_new_start_date_moves_every_workout(database_url: str) -> None:
    with emulators() as emu, service(database_url, emu) as live:
        _, _, shape, _ = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=2)
            user, _ = athlete_with(http, connection_body("shape"))
            first = _assign(http, plan["plan_id"], user, START).json()["jobs"][0]
            wait_for_job(http, first["job_id"])
            later = START + dt.timedelta(days=7)
            moved = _assign(http, plan["plan_id"], user, later).json()["jobs"][0]
            done = wait_for_job(http, moved["job_id"])
    count = len(plan["content"])
    assert done["status"] == "complete", done
    assert done["actions"]["updated"] == count and done["actions"]["created"] == 0
    assert {i["method"] for i in done["items"]} == {"move"}
    assert _shape_holds(shape) == _on(later, plan["content"])


def test_assignments_of_another_tenants_plan_are_not_found(server: LiveServer) -> None:
    owner, stranger = make_tenant(server.db), make_tenant(server.db)
    with server.client(owner.coach_key) as http, server.client(stranger.coach_key) as other:
        plan = dated_plan(http, owner, weeks=1)
        user, _ = athlete_with(other, connection_body("ics"))
        path = f"/v1/coach/plans/{plan['plan_id']}/assignments"
        body = {"user_id": user, "start_date": START.isoformat()}
        assert other.post(path, json=body).status_code == 404
        assert other.get(path).status_code == 404
        # Nor is another tenant's athlete on one's own plan.
        assert http.post(path, json=body).status_code == 404
        assert http.get(path).json() == {"items": [], "next_cursor": None}
        bad = http.post(path, json={"user_id": user, "start_date": "2027-13-01"})
        assert bad.status_code == 400 and "start_date" in bad.text


def test_a_failed_workout_is_retried_by_the_next_push(database_url: str) -> None:
    with emulators() as emu, service(database_url, emu) as live:
        terra, _, _, _ = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=1)
            user, _ = athlete_with(http, connection_body("terra"))
            # Terra refuses one workout's template once: that workout fails for good.
            terra.faults.add(
                "status",
                method="POST",
                path="/v2/workouts",
                status=400,
                body_contains=plan["content"][0]["title"],
            )
            first = _assign(http, plan["plan_id"], user, START).json()["jobs"][0]
            failed = wait_for_job(http, first["job_id"])
            again = _assign(http, plan["plan_id"], user, START).json()["jobs"][0]
            done = wait_for_job(http, again["job_id"])
    assert failed["status"] == "failed" and failed["failed"] == 1, failed
    [refused] = [i for i in failed["items"] if i["state"] == "failed"]
    assert refused["last_error"] and "provider_rejected" in refused["last_error"]
    assert done["status"] == "complete", done
    assert done["actions"]["retried"] == 1 and done["actions"]["created"] == 0
    assert done["actions"]["unchanged"] == len(plan["content"]) - 1
    assert _terra_holds(terra) == _on(START, plan["content"])


def test_two_editors_assigning_at_once_push_one_copy(database_url: str) -> None:
    with emulators() as emu, service(database_url, emu) as live:
        _, _, shape, _ = emu
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            plan = dated_plan(http, tenant, weeks=2)
            user, _ = athlete_with(http, connection_body("shape"))

            def post() -> httpx2.Response:
                with live.client(tenant.coach_key) as own:
                    return _assign(own, plan["plan_id"], user, START)

            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda _: post(), range(2)))
            jobs = [a.json()["jobs"][0] for a in answers]
            settled = [wait_for_job(http, j["job_id"]) for j in jobs]
            listed = http.get(f"/v1/coach/plans/{plan['plan_id']}/assignments").json()
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert sorted(j["actions"]["created"] for j in settled) == [0, len(plan["content"])]
    assert all(j["status"] == "complete" for j in settled)
    assert _shape_holds(shape) == _on(START, plan["content"])
    assert len(listed["items"]) == 1
