"""The SSE endpoints with the built-in engine: event order, counts, ids, replay and resume."""

from __future__ import annotations

import httpx2

from tests.support.live import LiveServer
from tests.support.plans import body
from tests.support.sse import data, names, read_stream
from tests.support.tenants import Tenant


def _draft(http: httpx2.Client, tenant: Tenant, weeks: int) -> str:
    response = http.post("/v1/coach/generate-draft", json=body(tenant, weeks=weeks))
    assert response.status_code == 200
    return response.json()["draft"]


def _plan_stream(
    http: httpx2.Client, tenant: Tenant, weeks: int = 6
) -> list[httpx2.ServerSentEvent]:
    request = body(
        tenant, weeks=weeks, refined_draft=_draft(http, tenant, weeks), start_date="2026-02-02"
    )
    return read_stream(http, "POST", "/v1/coach/generate-plan/stream", json=request)


def test_incremental_stream_order_counts_and_ids(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        events = _plan_stream(http, tenant, weeks=6)
    kinds = names(events)
    assert kinds[0] == "progress" and data(events[0])["status"] == "started"
    assert kinds[-2:] == ["result", "done"]
    assert kinds.count("done") == 1 and "error" not in kinds
    assert [int(e.id) for e in events] == list(range(1, len(events) + 1))
    result = data(events[-2])
    workouts = [data(e) for e in events if e.event == "workout"]
    assert len(workouts) == result["total_workouts"] > 0
    assert data(events[0])["total"] == result["total_workouts"]
    assert str(data(events[0])["plan_id"]) == result["plan_id"]
    # Workouts come in plan order; each week's weekly_info right after its last workout.
    order = [(w["week"], w["day"]) for w in workouts]
    assert order == sorted(order)
    for i, event in enumerate(events):
        if event.event == "weekly_info":
            (week,) = data(event)
            later = [data(e)["week"] for e in events[i:] if e.event == "workout"]
            earlier = [data(e)["week"] for e in events[:i] if e.event == "workout"]
            assert int(week) in earlier and int(week) not in later
    assert sorted(result["weekly_info"], key=int) == [str(w) for w in range(1, 7)]
    # Progress after each workout counts up to the total.
    counts = [data(e)["count"] for e in events if e.event == "progress"]
    assert counts == sorted(counts) and counts[-1] == result["total_workouts"]
    assert data([e for e in events if e.event == "progress"][-1])["progress"] == 100


def test_streamed_plan_is_stored(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        events = _plan_stream(http, tenant, weeks=3)
        result = data(events[-2])
        stored = http.get(f"/v1/coach/plans/{result['plan_id']}").json()
    assert stored["content"] == [data(e) for e in events if e.event == "workout"]


def test_batch_stream_result_is_the_synchronous_body(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        request = body(tenant, weeks=3, refined_draft=_draft(http, tenant, 3))
        events = read_stream(http, "POST", "/v1/coach/generate-plan/stream/batch", json=request)
        result = data(events[-2])
        stored = http.get(f"/v1/coach/plans/{result['plan_id']}").json()
    assert set(names(events)) == {"progress", "result", "done"}
    assert names(events)[-1] == "done"
    assert result["content"] == stored["content"]
    assert result["request"]["weeks"] == 3 and "generated_at" in result["request"]


def test_draft_stream_sends_text_as_written(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        events = read_stream(
            http, "POST", "/v1/coach/generate-draft/stream", json=body(tenant, weeks=5)
        )
    assert names(events)[-2:] == ["result", "done"]
    progress = [data(e) for e in events if e.event == "progress"]
    assert all(0 <= p["progress"] <= 100 for p in progress)
    text = "".join(p.get("text", "") for p in progress)
    assert text == data(events[-2])["draft"]
    assert sum(1 for p in progress if p.get("text")) >= 5


def test_replay_and_resume_give_the_same_events(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        live = _plan_stream(http, tenant, weeks=4)
        plan_id = data(live[-2])["plan_id"]
        replay = read_stream(http, "GET", f"/v1/coach/plans/{plan_id}/stream")
        resumed = read_stream(
            http, "GET", f"/v1/coach/plans/{plan_id}/stream", headers={"Last-Event-ID": live[9].id}
        )
    assert [(e.id, e.event, data(e)) for e in replay] == [(e.id, e.event, data(e)) for e in live]
    assert [e.id for e in resumed] == [e.id for e in live[10:]]
    assert names(resumed)[-1] == "done"


def test_stream_auth_and_validation_are_plain_http(server: LiveServer, tenant: Tenant) -> None:
    paths = [
        "/v1/coach/generate-draft/stream",
        "/v1/coach/generate-plan/stream",
        "/v1/coach/generate-plan/stream/batch",
    ]
    with server.client() as anonymous, server.client(tenant.coach_key) as http:
        for path in paths:
            unauthorized = anonymous.post(path, json=body(tenant))
            assert unauthorized.status_code == 401
            assert unauthorized.headers["content-type"].startswith("application/json")
            invalid = http.post(path, json=body(tenant, weeks=99, refined_draft="W1 D1 easy run"))
            assert invalid.status_code == 400
            assert invalid.json()["details"][0]["field"] == "weeks"
        bad_resume = http.get("/v1/coach/plans/6a1f8e0e-0000-4000-8000-000000000000/stream")
        assert bad_resume.status_code == 404
