"""The lists an editor browses — plans, athletes with their connections, push jobs — page
by page with one cursor shape, newest first, filtered, and only the caller's tenant's."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx2

from coach.settings import Settings
from tests.support.live import LiveServer, live_server
from tests.support.plans import body, generating_plan
from tests.support.tenants import Tenant, make_tenant

DRAFT = "W1 D1 Easy run, 40 min\nW1 D3 Tempo 20 min, 50 min"


def _plan(http: httpx2.Client, tenant: Tenant) -> str:
    request = body(tenant, weeks=1, refined_draft=DRAFT, start_date="2026-12-07")
    plan = http.post("/v1/coach/generate-plan", json=request)
    assert plan.status_code == 200, plan.text
    plan_id: str = plan.json()["plan_id"]
    return plan_id


def _all(http: httpx2.Client, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, following next_cursor; and how many pages it took."""
    items: list[dict[str, Any]] = []
    pages, cursor = 0, None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = http.get(path, params=query)
        assert page.status_code == 200, page.text
        assert set(page.json()) == {"items", "next_cursor"}
        items += page.json()["items"]
        pages += 1
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items, pages


def _aware(value: str) -> str:
    """A time as the list answered it, with its offset (SQLite stores none; it is UTC)."""
    time = dt.datetime.fromisoformat(value)
    return (time if time.tzinfo else time.replace(tzinfo=dt.UTC)).isoformat()


def test_plans_are_paged_newest_first_and_filtered(server: LiveServer) -> None:
    tenant = make_tenant(server.db)
    with server.client(tenant.coach_key) as http:
        made = [_plan(http, tenant) for _ in range(5)]
        generating = generating_plan(server.db, http, tenant)
        items, pages = _all(http, "/v1/coach/plans", limit=2)
        assert [i["plan_id"] for i in items] == [str(generating), *reversed(made)]
        assert pages == 3
        first = items[-1]
        assert first["status"] == "complete" and first["revision"] == 1
        assert first["weeks"] == 1 and first["start_date"] == "2026-12-07"

        complete, _ = _all(http, "/v1/coach/plans", status="complete")
        assert [i["plan_id"] for i in complete] == list(reversed(made))
        assert _all(http, "/v1/coach/plans", status="generating")[0][0]["plan_id"] == str(
            generating
        )
        third = items[3]["created_at"]
        after, _ = _all(http, "/v1/coach/plans", created_after=_aware(third))
        assert [i["plan_id"] for i in after] == [str(generating), made[4], made[3]]
        before, _ = _all(http, "/v1/coach/plans", created_before=_aware(third))
        assert [i["plan_id"] for i in before] == [made[1], made[0]]
        # The same instant written with another offset is the same instant.
        shifted = dt.datetime.fromisoformat(_aware(third)).astimezone(
            dt.timezone(dt.timedelta(hours=5))
        )
        again, _ = _all(http, "/v1/coach/plans", created_before=shifted.isoformat())
        assert again == before


def test_plans_of_one_athlete_are_those_pushed_to_them(server: LiveServer) -> None:
    tenant = make_tenant(server.db)
    with server.client(tenant.coach_key) as http:
        ada = http.post("/v1/athletes", json={"name": "Ada"}).json()["user_id"]
        bob = http.post("/v1/athletes", json={"name": "Bob"}).json()["user_id"]
        http.post(f"/v1/athletes/{ada}/connections", json={"provider": "ics"})
        pushed, kept = _plan(http, tenant), _plan(http, tenant)
        job = http.post(f"/v1/coach/plans/{pushed}/push", json={"user_id": ada})
        assert job.status_code == 202, job.text
        assert [i["plan_id"] for i in _all(http, "/v1/coach/plans", user_id=ada)[0]] == [pushed]
        assert _all(http, "/v1/coach/plans", user_id=bob)[0] == []
        assert {i["plan_id"] for i in _all(http, "/v1/coach/plans")[0]} == {pushed, kept}


def test_athletes_are_listed_with_their_connections_never_credentials(
    server: LiveServer,
) -> None:
    tenant = make_tenant(server.db)
    with server.client(tenant.coach_key) as http:
        ids = [
            http.post("/v1/athletes", json={"name": f"A{n}"}).json()["user_id"] for n in range(3)
        ]
        made = http.post(
            f"/v1/athletes/{ids[1]}/connections",
            json={"provider": "ics", "settings": {"calendar_name": "Ada's plan"}},
        ).json()
        items, pages = _all(http, "/v1/athletes", limit=2)
    assert [i["user_id"] for i in items] == list(reversed(ids)) and pages == 2
    [connection] = items[1]["connections"]
    assert {**connection, "created_at": None} == {**made, "created_at": None}
    assert "credentials" not in connection and "credentials_encrypted" not in connection
    assert items[0]["connections"] == [] and items[0]["name"] == "A2"


def test_push_jobs_are_listed_and_filtered(server: LiveServer) -> None:
    tenant = make_tenant(server.db)
    with server.client(tenant.coach_key) as http:
        ada, bob = (http.post("/v1/athletes", json={"name": n}).json()["user_id"] for n in "AB")
        for athlete in (ada, bob):
            http.post(f"/v1/athletes/{athlete}/connections", json={"provider": "ics"})
        one, two = _plan(http, tenant), _plan(http, tenant)
        jobs = [
            http.post(f"/v1/coach/plans/{plan}/push", json={"user_id": user}).json()["job_id"]
            for plan, user in ((one, ada), (two, ada), (one, bob))
        ]
        items, pages = _all(http, "/v1/coach/push-jobs", limit=2)
        assert [i["job_id"] for i in items] == list(reversed(jobs)) and pages == 2
        assert items[0]["plan_id"] == one and items[0]["total"] == 2
        of_one, _ = _all(http, "/v1/coach/push-jobs", plan_id=one)
        assert [i["job_id"] for i in of_one] == [jobs[2], jobs[0]]
        of_bob, _ = _all(http, "/v1/coach/push-jobs", user_id=bob)
        assert [i["job_id"] for i in of_bob] == [jobs[2]]
        assert _all(http, "/v1/coach/push-jobs", user_id=str(uuid.uuid4()))[0] == []
        single = http.get(f"/v1/coach/push-jobs/{jobs[1]}").json()
        listed = next(i for i in items if i["job_id"] == jobs[1])
        assert listed.keys() == single.keys()


def test_another_tenant_sees_none_of_it(server: LiveServer, other_tenant: Tenant) -> None:
    tenant = make_tenant(server.db)
    with server.client(tenant.coach_key) as http:
        ada = http.post("/v1/athletes", json={"name": "Ada"}).json()["user_id"]
        http.post(f"/v1/athletes/{ada}/connections", json={"provider": "ics"})
        plan = _plan(http, tenant)
        http.post(f"/v1/coach/plans/{plan}/push", json={"user_id": ada})
        cursor = http.get("/v1/coach/plans", params={"limit": 1}).json()
    with server.client(other_tenant.coach_key) as theirs:
        for path in ("/v1/coach/plans", "/v1/athletes", "/v1/coach/push-jobs"):
            assert _all(theirs, path) == ([], 1), path
        assert _all(theirs, "/v1/coach/plans", user_id=ada) == ([], 1)
        if cursor["next_cursor"]:
            assert _all(theirs, "/v1/coach/plans", cursor=cursor["next_cursor"]) == ([], 1)
    with server.client(other_tenant.athlete_key) as athlete:
        assert athlete.get("/v1/coach/plans").status_code == 403


def test_bad_queries_are_400s_naming_the_parameter(server: LiveServer, tenant: Tenant) -> None:
    cases = [
        ("/v1/coach/plans", {"limit": 0}, "limit"),
        ("/v1/coach/plans", {"limit": "ten"}, "limit"),
        ("/v1/coach/plans", {"cursor": "not-a-cursor"}, "cursor"),
        ("/v1/coach/plans", {"status": "lost"}, "status"),
        ("/v1/coach/plans", {"created_after": "2026-12-01T10:00:00"}, "created_after"),
        ("/v1/coach/plans", {"created_before": "0.5"}, "created_before"),
        ("/v1/coach/plans", {"created_before": "2026-12-01"}, "created_before"),
        ("/v1/coach/plans", {"user_id": "ada"}, "user_id"),
        ("/v1/athletes", {"name": "Ada"}, "name"),
        ("/v1/coach/push-jobs", {"status": "queued"}, "status"),
    ]
    with server.client(tenant.coach_key) as http:
        for path, params, field in cases:
            bad = http.get(path, params=params)
            assert bad.status_code == 400, (path, params, bad.text)
            assert field in [d["field"] for d in bad.json()["details"]], (params, bad.json())


def test_page_sizes_are_settings(database_url: str) -> None:
    settings = Settings(database_url=database_url, list_limit_default=2, list_limit_max=3)
    with live_server(settings) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            for n in range(4):
                http.post("/v1/athletes", json={"name": f"A{n}"})
            default = http.get("/v1/athletes").json()
            most = http.get("/v1/athletes", params={"limit": 200}).json()
    assert len(default["items"]) == 2 and default["next_cursor"]
    assert len(most["items"]) == 3 and most["next_cursor"]
