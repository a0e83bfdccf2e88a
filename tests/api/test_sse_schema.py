"""Every SSE event the service sends is one its OpenAPI document names for that endpoint,
and its data conforms to the schema documented for it."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx2
import jsonschema_rs

from tests.api.test_llm_over_http import llm_service, plan_body
from tests.support.live import LiveServer
from tests.support.plans import body
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.sse import read_stream
from tests.support.tenants import Tenant

DRAFT = "W1 D1 Easy run, 40 min, 7 km\nW1 D3 Tempo 20 min, 50 min, 9 km\nW2 D2 Long run, 80 min"


class Documented:
    def __init__(self, server: LiveServer) -> None:
        with server.client() as http:
            self.document = http.get("/openapi.json").json()

    def check(self, method: str, path: str, events: list[httpx2.ServerSentEvent]) -> set[str]:
        """Validate `events` against the operation's documented events; their names."""
        operation = self.document["paths"][path][method.lower()]
        stream = operation["responses"]["200"]["content"]["text/event-stream"]
        documented: dict[str, Any] = {
            branch["properties"]["event"]["const"]: branch["properties"]["data"]["contentSchema"]
            for branch in stream["schema"]["oneOf"]
        }
        for event in events:
            assert event.event in documented, (path, event.event)
            schema = {**documented[event.event], "components": self.document["components"]}
            validator = jsonschema_rs.validator_for(schema)
            errors = [e.message for e in validator.iter_errors(json.loads(event.data))]
            assert errors == [], (path, event.event, event.data[:200], errors)
        return {e.event for e in events}


def test_generation_streams_send_what_they_document(server: LiveServer, tenant: Tenant) -> None:
    documented = Documented(server)
    plan = body(tenant, weeks=2, start_date="2026-12-07", refined_draft=DRAFT)
    with server.client(tenant.coach_key) as http:
        draft = read_stream(http, "POST", "/v1/coach/generate-draft/stream", json=body(tenant))
        live = read_stream(http, "POST", "/v1/coach/generate-plan/stream", json=plan)
        batch = read_stream(http, "POST", "/v1/coach/generate-plan/stream/batch", json=plan)
        plan_id = json.loads(live[0].data)["plan_id"]
        replay = read_stream(http, "GET", f"/v1/coach/plans/{plan_id}/stream")
    assert documented.check("POST", "/v1/coach/generate-draft/stream", draft) >= {
        "progress",
        "result",
        "done",
    }
    sent = documented.check("POST", "/v1/coach/generate-plan/stream", live)
    assert sent == {"progress", "workout", "weekly_info", "result", "done"}
    assert documented.check("POST", "/v1/coach/generate-plan/stream/batch", batch) == {
        "progress",
        "result",
        "done",
    }
    assert documented.check("GET", "/v1/coach/plans/{plan_id}/stream", replay) == sent


def test_a_failed_stream_sends_its_documented_error(database_url: str) -> None:
    # An LLM server failing every request: the plan fails once its stream started.
    llm = ScriptedLLM(responder=lambda payload: Reply("server error", status=500))
    with llm_service(database_url, llm) as (live, tenant):
        documented = Documented(live)
        with live.client(tenant.coach_key) as http:
            events = read_stream(
                http, "POST", "/v1/coach/generate-plan/stream", json=plan_body(tenant, 1)
            )
            plan_id = json.loads(events[0].data)["plan_id"]
            replay = read_stream(http, "GET", f"/v1/coach/plans/{plan_id}/stream")
    assert {"error", "done"} <= documented.check("POST", "/v1/coach/generate-plan/stream", events)
    assert {"error", "done"} <= documented.check("GET", "/v1/coach/plans/{plan_id}/stream", replay)


def test_push_job_events_send_what_they_document(server: LiveServer, tenant: Tenant) -> None:
    documented = Documented(server)
    plan = body(tenant, weeks=2, start_date="2026-12-07", refined_draft=DRAFT)
    with server.client(tenant.coach_key) as http:
        user_id = http.post("/v1/athletes", json={"name": "Ada"}).json()["user_id"]
        http.post(f"/v1/athletes/{user_id}/connections", json={"provider": "ics"})
        plan_id = http.post("/v1/coach/generate-plan", json=plan).json()["plan_id"]
        job = http.post(f"/v1/coach/plans/{plan_id}/push", json={"user_id": user_id})
        assert job.status_code == 202, job.text
        job_id = job.json()["job_id"]
        deadline = time.monotonic() + 30
        while http.get(f"/v1/coach/push-jobs/{job_id}").json()["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        events = read_stream(http, "GET", f"/v1/coach/push-jobs/{job_id}/events")
    assert documented.check("GET", "/v1/coach/push-jobs/{job_id}/events", events) == {
        "progress",
        "result",
        "done",
    }
