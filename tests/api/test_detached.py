"""Detached generation as a browser uses it: start a plan or draft, follow it with an
EventSource-style client carrying a stream token, drop and resume, read it while it is
generated, cancel it; and the CORS that lets a page on another origin do so."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import httpx2

from coach.settings import Settings
from tests.api.test_llm_over_http import llm_service, plan_body
from tests.engine_llm.answers import FIRST_WORKOUT_TOKENS, good_responder
from tests.support.live import LiveServer, live_server
from tests.support.plans import body
from tests.support.scripted_llm import ScriptedLLM
from tests.support.sse import data, names
from tests.support.tenants import Tenant, make_tenant


def _token(http: httpx2.Client, **target: str) -> str:
    response = http.post("/v1/stream-tokens", json=target)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token: str = response.json()["token"]
    return token


def _follow(
    base_url: str, path: str, token: str, last_event_id: str | None = None, stop_after: int = 0
) -> list[httpx2.ServerSentEvent]:
    """As a browser's EventSource: no Authorization header, the token in the URL."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    events: list[httpx2.ServerSentEvent] = []
    with (
        httpx2.Client(base_url=base_url, timeout=30) as anonymous,
        anonymous.stream("GET", path, params={"token": token}, headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        for event in httpx2.EventSource(response):
            events.append(event)
            if stop_after and len(events) == stop_after:
                break  # the client drops the connection
    return events


def _wait_for(http: httpx2.Client, path: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        view: dict[str, Any] = http.get(path).json()
        if view["status"] == status:
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.05)


def test_a_detached_plan_is_followed_with_a_token_dropped_and_resumed(
    database_url: str,
) -> None:
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        started = http.post("/v1/coach/plans", json=plan_body(tenant, 2))
        assert started.status_code == 202, started.text
        plan_id = started.json()["plan_id"]
        assert started.json()["status"] == "generating"
        assert started.headers["location"] == f"{live.base_url}/v1/coach/plans/{plan_id}"
        assert llm.wait_held(2)
        # While it is generated: what exists so far, revision 0.
        during = http.get(f"/v1/coach/plans/{plan_id}")
        assert during.status_code == 200 and during.json()["status"] == "generating"
        assert during.headers["etag"] == '"0"' and len(during.json()["content"]) >= 1

        token = _token(http, plan_id=plan_id)
        path = f"/v1/coach/plans/{plan_id}/stream"
        first = _follow(live.base_url, path, token, stop_after=2)
        llm.release()
        resumed = _follow(live.base_url, path, token, last_event_id=first[-1].id)
        whole = _follow(live.base_url, path, token)
        done = http.get(f"/v1/coach/plans/{plan_id}")
    assert [e.id for e in first + resumed] == [e.id for e in whole]
    assert names(whole)[-2:] == ["result", "done"]
    assert names(whole).count("workout") == 10
    assert done.json()["status"] == "complete" and done.headers["etag"] == '"1"'
    assert done.json()["content"] == [data(e) for e in whole if e.event == "workout"]


def test_a_detached_plan_is_generated_with_nobody_following(
    server: LiveServer, tenant: Tenant
) -> None:
    request = body(tenant, weeks=3, refined_draft="W1 D1 Easy run, 40 min\nW2 D2 Long run, 90 min")
    with server.client(tenant.coach_key) as http:
        plan_id = http.post("/v1/coach/plans", json=request).json()["plan_id"]
        view = _wait_for(http, f"/v1/coach/plans/{plan_id}", "complete")
    assert [(w["week"], w["day"]) for w in view["content"]] == [(1, 1), (2, 2)]


def test_a_detached_draft_is_followed_and_read_back(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        started = http.post("/v1/coach/drafts", json=body(tenant, weeks=2))
        assert started.status_code == 202, started.text
        draft_id = started.json()["draft_id"]
        token = _token(http, draft_id=draft_id)
        path = f"/v1/coach/drafts/{draft_id}/stream"
        events = _follow(server.base_url, path, token)
        resumed = _follow(server.base_url, path, token, last_event_id="2")
        view = http.get(f"/v1/coach/drafts/{draft_id}").json()
    assert names(events)[-2:] == ["result", "done"]
    assert view["status"] == "complete"
    assert view["draft"] == data(events[-2])["draft"] and "W1 D1" in view["draft"]
    assert [data(e).get("draft") for e in resumed if e.event == "result"] == [view["draft"]]


def test_cancelling_a_plan_stops_it_and_tells_its_followers(database_url: str) -> None:
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        plan_id = http.post("/v1/coach/plans", json=plan_body(tenant, 2)).json()["plan_id"]
        assert llm.wait_held(2)
        cancelled = http.post(f"/v1/coach/plans/{plan_id}/cancel")
        token = _token(http, plan_id=plan_id)
        events = _follow(live.base_url, f"/v1/coach/plans/{plan_id}/stream", token)
        again = http.post(f"/v1/coach/plans/{plan_id}/cancel")
        llm.release()
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "failed"
    assert cancelled.json()["error"] == "cancelled by a coach"
    assert names(events)[-2:] == ["error", "done"]
    assert data(events[-2])["error"] == "generation failed: cancelled by a coach"
    assert again.status_code == 200 and again.json()["status"] == "failed"
    assert llm.wait_idle(10), "the LLM streams were not closed"


def test_a_stream_token_opens_one_stream_only(server: LiveServer, tenant: Tenant) -> None:
    request = body(tenant, weeks=1, refined_draft="W1 D1 Easy run, 40 min")
    other = make_tenant(server.db)
    with server.client(tenant.coach_key) as http:
        mine = http.post("/v1/coach/generate-plan", json=request).json()["plan_id"]
        second = http.post("/v1/coach/generate-plan", json=request).json()["plan_id"]
        token = _token(http, plan_id=mine)
    with httpx2.Client(base_url=server.base_url, timeout=30) as anonymous:
        assert anonymous.get(f"/v1/coach/plans/{second}/stream?token={token}").status_code == 401
        # Only the GET streams take a token; nothing else does.
        assert anonymous.get(f"/v1/coach/plans/{mine}?token={token}").status_code == 401
        assert anonymous.get(f"/v1/coach/plans/{mine}/stream?token=st1.x.y").status_code == 401
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert anonymous.get(f"/v1/coach/plans/{mine}/stream?token={forged}").status_code == 401
        assert anonymous.get(f"/v1/coach/plans/{mine}/stream?token={token}").status_code == 200
    with server.client(other.coach_key) as theirs:
        assert theirs.post("/v1/stream-tokens", json={"plan_id": mine}).status_code == 404
        assert theirs.post("/v1/stream-tokens", json={}).status_code == 400


def test_a_token_ends_with_its_key_and_its_lifetime(database_url: str) -> None:
    settings = Settings(database_url=database_url, stream_token_ttl_s=1)
    with live_server(settings) as live:
        tenant = make_tenant(live.db)
        request = body(tenant, weeks=1, refined_draft="W1 D1 Easy run, 40 min")
        with live.client(tenant.coach_key) as http:
            plan_id = http.post("/v1/coach/generate-plan", json=request).json()["plan_id"]
            token = _token(http, plan_id=plan_id)
        path = f"/v1/coach/plans/{plan_id}/stream?token={token}"
        with httpx2.Client(base_url=live.base_url, timeout=30) as anonymous:
            assert anonymous.get(path).status_code == 200
            time.sleep(1.1)
            expired = anonymous.get(path)
    # Revocation on a service whose tokens outlive the test, however slow the machine is.
    with live_server(Settings(database_url=database_url)) as live:
        with live.client(tenant.admin_key) as admin:
            fresh = _token(admin, plan_id=plan_id)
            keys = admin.get("/v1/keys").json()["keys"]
            [admin_key] = [k for k in keys if k["role"] == "admin"]
            [coach_key] = [k for k in keys if k["role"] == "coach"]
            with live.client(tenant.coach_key) as http:
                coach_token = _token(http, plan_id=plan_id)
            assert admin.delete(f"/v1/keys/{coach_key['key_id']}").status_code == 200
        with httpx2.Client(base_url=live.base_url, timeout=30) as anonymous:
            revoked = anonymous.get(f"/v1/coach/plans/{plan_id}/stream?token={coach_token}")
            still = anonymous.get(f"/v1/coach/plans/{plan_id}/stream?token={fresh}")
    assert expired.status_code == 401 and "expired" in expired.json()["error"]
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]
    assert still.status_code == 200 and admin_key["revoked_at"] is None


def test_cors_lets_a_configured_origin_call_the_api(database_url: str) -> None:
    editor = "https://editor.example.org"
    settings = Settings(database_url=database_url, cors_origins=[editor])
    with live_server(settings) as live, contextlib.ExitStack() as stack:
        tenant = make_tenant(live.db)
        http = stack.enter_context(live.client())
        preflight = http.options(
            f"/v1/coach/plans/{'0' * 8}-0000-4000-8000-{'0' * 12}",
            headers={
                "Origin": editor,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        other = http.options(
            "/v1/me",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        actual = http.get(
            "/v1/me", headers={"Origin": editor, "Authorization": f"Bearer {tenant.coach_key}"}
        )
        refused = http.get("/v1/me", headers={"Origin": editor})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == editor
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert actual.headers["access-control-allow-origin"] == editor
    exposed = actual.headers["access-control-expose-headers"].lower()
    assert {"etag", "x-request-id", "last-event-id"} <= set(exposed.replace(" ", "").split(","))
    # Errors carry the header too, so the page can read them.
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == editor
