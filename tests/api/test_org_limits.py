"""Per-organization limits: a tenant at its limit of generations or open streams gets a
429 with Retry-After at once, and other tenants go on as before."""

from __future__ import annotations

import contextlib

import httpx2

from tests.api.test_llm_over_http import llm_service, plan_body
from tests.engine_llm.answers import FIRST_WORKOUT_TOKENS, good_responder
from tests.support.scripted_llm import ScriptedLLM
from tests.support.sse import data
from tests.support.tenants import make_tenant

PLAN_STREAM = "/v1/coach/generate-plan/stream"


def _assert_429(response: httpx2.Response, what: str) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    assert set(body) == {"error", "details"} and what in body["error"]


def test_a_tenant_at_its_generation_limit_gets_429_and_others_go_on(database_url: str) -> None:
    # Every LLM answer holds after its first workout: a started plan stays running.
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    with (
        llm_service(database_url, llm, org_max_generations=1) as (live, tenant),
        contextlib.ExitStack() as stack,
    ):
        other = make_tenant(live.db)
        http = stack.enter_context(live.client(tenant.coach_key))
        running = stack.enter_context(http.stream("POST", PLAN_STREAM, json=plan_body(tenant, 1)))
        events = iter(httpx2.EventSource(running))  # kept: a dropped iterator disconnects
        assert data(next(events))["status"] == "started"
        assert llm.wait_held(1)

        _assert_429(
            http.post("/v1/coach/generate-plan", json=plan_body(tenant, 1)), "1 generations"
        )
        _assert_429(http.post(PLAN_STREAM, json=plan_body(tenant, 1)), "generations running")
        draft = http.post(
            "/v1/coach/generate-draft", json=plan_body(tenant, 1) | {"refined_draft": None}
        )
        assert draft.status_code in (400, 429)
        with live.client(other.coach_key) as theirs:
            theirs_stream = stack.enter_context(
                theirs.stream("POST", PLAN_STREAM, json=plan_body(other, 1))
            )
            theirs_events = iter(httpx2.EventSource(theirs_stream))
            assert data(next(theirs_events))["status"] == "started"
            llm.release()
            assert [e.event for e in theirs_events][-1] == "done"
        assert [e.event for e in events][-1] == "done"
        # The finished plan gave its slot back.
        assert http.post("/v1/coach/generate-plan", json=plan_body(tenant, 1)).status_code == 200


def test_a_tenant_at_its_stream_limit_gets_429_and_others_go_on(database_url: str) -> None:
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    with (
        llm_service(database_url, llm, org_max_streams=2) as (live, tenant),
        contextlib.ExitStack() as stack,
    ):
        other = make_tenant(live.db)
        http = stack.enter_context(live.client(tenant.coach_key))
        running = stack.enter_context(http.stream("POST", PLAN_STREAM, json=plan_body(tenant, 1)))
        events = iter(httpx2.EventSource(running))
        plan_id = data(next(events))["plan_id"]
        follow = f"/v1/coach/plans/{plan_id}/stream"
        second = stack.enter_context(http.stream("GET", follow))
        second_events = iter(httpx2.EventSource(second))
        assert next(second_events).event == "progress"

        _assert_429(http.get(follow), "2 streams open")
        with live.client(other.coach_key) as theirs:
            assert (
                theirs.get("/v1/coach/push-jobs/6a1f8e0e-0000-4000-8000-000000000000").status_code
                == 404
            )
        llm.release()
        assert [e.event for e in second_events][-1] == "done"
        assert [e.event for e in events][-1] == "done"
        second.close()
        running.close()
        # Both streams ended: the organization may open streams again.
        replay = http.get(follow)
        assert replay.status_code == 200 and "event: done" in replay.text
