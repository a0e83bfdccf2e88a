"""The LLM engine through HTTP: a live service on loopback, the real openai SDK, and a scripted
OpenAI-compatible server that answers well, badly, or not at all."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from sqlmodel import select

from coach.db.tables import PlanRow
from coach.settings import Settings
from tests.engine_llm.answers import (
    LINES,
    START,
    draft_text,
    good_responder,
    settings_for,
    week_answer,
    week_of,
)
from tests.support.live import LiveServer, live_server, serve_app
from tests.support.plans import body
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.tenants import Tenant, make_tenant

DRAFT = (
    "Week 1 — base (focus: aerobic foundation)\n"
    "W1 D1 Easy run, 40 min, 7 km\n"
    "W1 D3 Intervals 6x3 min, 50 min, 9 km\n"
    "W1 D7 Long run, 70 min, 12 km\n"
)


def llm_settings(database_url: str, llm_base_url: str, **override: Any) -> Settings:
    """The engine tests' settings (`COACH_ENGINE=openai` on the scripted server) plus a
    database. `llm_base_url` ends in `/v1`, as the SDK wants it."""
    return settings_for(llm_base_url.removesuffix("/v1"), database_url=database_url, **override)


@contextmanager
def llm_service(
    database_url: str, llm: ScriptedLLM, **override: Any
) -> Iterator[tuple[LiveServer, Tenant]]:
    """The service with `COACH_ENGINE=openai` pointed at `llm` served on loopback."""
    with (
        serve_app(llm.app) as llm_url,
        live_server(llm_settings(database_url, f"{llm_url}/v1", **override)) as live,
    ):
        yield live, make_tenant(live.db)


def plan_body(tenant: Tenant, weeks: int, **fields: Any) -> dict[str, Any]:
    return body(
        tenant,
        weeks=weeks,
        refined_draft=draft_text(weeks),
        start_date=START.isoformat(),
        **fields,
    )


def plans_of(live: LiveServer, tenant: Tenant) -> list[PlanRow]:
    def query(session):  # type: ignore[no-untyped-def]
        rows = session.exec(
            select(PlanRow).where(PlanRow.organization_id == tenant.organization_id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)

    return live.db.call(query)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _all_messages(payload: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content") or "") for m in payload["messages"])


def test_draft_is_the_models_text(database_url: str) -> None:
    llm = ScriptedLLM(Reply(DRAFT))
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        response = http.post(
            "/v1/coach/generate-draft",
            json=body(tenant, weeks=1, instructions="Include two track sessions per week"),
        )
    assert response.status_code == 200, response.text
    assert response.json()["draft"] == DRAFT
    assert response.json()["request"]["weeks"] == 1
    # One real streamed chat request, carrying the coach's request.
    assert llm.request_count == 1
    sent = llm.requests[0]
    assert sent["model"] == "scripted" and sent["stream"] is True
    assert "Include two track sessions per week" in _all_messages(sent)


def test_plan_from_good_answers(database_url: str) -> None:
    weeks = 3
    llm = ScriptedLLM(responder=good_responder())
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-plan", json=plan_body(tenant, weeks))
        assert response.status_code == 200, response.text
        plan = response.json()
        stored = http.get(f"/v1/coach/plans/{plan['plan_id']}")
    workouts = plan["content"]
    assert len(workouts) == weeks * len(LINES)
    assert {w["source"] for w in workouts} == {"ai"}
    assert [(w["week"], w["day"]) for w in workouts] == [
        (week, day) for week in range(1, weeks + 1) for day in sorted(LINES)
    ]
    # Each workout is what its draft line asked for.
    for w in workouts:
        _title, type_, minutes, km = LINES[w["day"]]
        assert (w["type"], w["duration"], w["distance"]) == (type_, minutes * 60, km * 1000)
        assert w["segments"]
    assert workouts[0]["date"] == START.isoformat()
    assert sorted(plan["weekly_info"], key=int) == [str(w) for w in range(1, weeks + 1)]
    for week, info in plan["weekly_info"].items():
        assert info["phase"] and info["focus"]
        assert info["total_distance"] == sum(
            w["distance"] for w in workouts if w["week"] == int(week)
        )
    # One chat request per week, and the plan is stored as answered.
    assert llm.request_count == weeks
    assert stored.status_code == 200 and stored.json()["content"] == workouts


def test_invalid_json_is_re_asked_with_the_error_then_succeeds(database_url: str) -> None:
    llm = ScriptedLLM(Reply("Sure! Here is your plan: none"), responder=good_responder())
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 1))
    assert response.status_code == 200, response.text
    assert [w["day"] for w in response.json()["content"]] == sorted(LINES)
    assert llm.request_count == 2
    reask = llm.requests[1]["messages"]
    # The bad answer is fed back as the assistant's turn, followed by the validation error.
    assert {"role": "assistant", "content": "Sure! Here is your plan: none"} in reask
    assert reask[-1]["role"] == "user"
    assert "the answer is not JSON" in reask[-1]["content"]


def test_truncated_answer_keeps_the_closed_workouts(database_url: str) -> None:
    good = week_answer(1)
    cut = good[: good.index('{"d":5')] + '{"d":5,"t":"easy-'
    llm = ScriptedLLM(Reply(cut, finish_reason="length"), responder=good_responder())
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 1))
    assert response.status_code == 200, response.text
    assert [w["day"] for w in response.json()["content"]] == sorted(LINES)
    assert "only days 5, 7" in llm.requests[1]["messages"][-1]["content"]


NINE_HOURS = {
    "min": 540,
    "seg": [{"k": "main", "x": 1, "st": [{"i": "active", "min": 540, "z": 2}]}],
}


def test_implausible_answer_is_re_asked_with_the_error(database_url: str) -> None:
    llm = ScriptedLLM(Reply(week_answer(1, changes={1: NINE_HOURS})), responder=good_responder())
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 1))
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["duration"] == 40 * 60
    assert llm.request_count == 2
    assert "the plan line says 40 min, not 540 min" in llm.requests[1]["messages"][-1]["content"]


def test_last_attempt_repairs_are_reported_as_warnings(database_url: str) -> None:
    llm = ScriptedLLM(responder=lambda payload: Reply(week_answer(1, changes={1: NINE_HOURS})))
    with (
        llm_service(database_url, llm, llm_repair_attempts=0) as (live, tenant),
        live.client(tenant.coach_key) as http,
    ):
        response = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 1))
        assert response.status_code == 200, response.text
        stored = http.get(f"/v1/coach/plans/{response.json()['plan_id']}").json()
    plan = response.json()
    # The nine-hour easy run never reaches the coach: it is cut to the draft's 40 minutes,
    # and the response says so.
    assert plan["content"][0]["duration"] == 40 * 60
    assert any("scaled to 40 min" in w for w in plan["warnings"]), plan["warnings"]
    assert stored["warnings"] == plan["warnings"]
    assert llm.request_count == 1


def test_an_empty_draft_answer_gives_the_built_in_planners_draft(database_url: str) -> None:
    llm = ScriptedLLM(responder=lambda payload: Reply(""))
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-draft", json=body(tenant, weeks=2))
        draft = response.json()["draft"]
        plan = http.post(
            "/v1/coach/generate-plan",
            json=plan_body(tenant, 2) | {"refined_draft": draft},
        )
    assert response.status_code == 200, response.text
    assert "# Week 1 was written by the built-in planner" in draft
    assert "# Week 2 was written by the built-in planner" in draft
    # The draft and its two re-asks; then each week's answer and its two re-asks.
    assert llm.request_count == 3 + 2 * 3
    assert plan.status_code == 200, plan.text
    assert {w["week"] for w in plan.json()["content"]} == {1, 2}
    assert {w["source"] for w in plan.json()["content"]} == {"builtin"}


def test_garbage_forever_gives_a_plan_from_the_draft_lines(database_url: str) -> None:
    llm = ScriptedLLM(responder=lambda payload: Reply("{garbage"))
    with llm_service(database_url, llm, llm_repair_attempts=2) as (live, tenant):
        with live.client(tenant.coach_key) as http:
            response = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 1))
        rows = plans_of(live, tenant)
    assert response.status_code == 200, response.text
    plan = response.json()
    # Every line of the draft, each built from its line and marked so.
    assert [w["day"] for w in plan["content"]] == sorted(LINES)
    assert {w["source"] for w in plan["content"]} == {"builtin"}
    for w in plan["content"]:
        _title, type_, minutes, km = LINES[w["day"]]
        assert (w["type"], w["duration"], w["distance"]) == (type_, minutes * 60, km * 1000)
        assert any(
            w_.startswith(f"week 1 day {w['day']}: built from its draft line")
            for w_ in plan["warnings"]
        )
    # Bounded: the first answer and two re-asks, nothing more.
    assert llm.request_count == 3
    assert [row.status for row in rows] == ["complete"]


def test_llm_server_down_is_a_quick_clear_500(database_url: str) -> None:
    # The operator's LLM address may carry credentials: no tenant may ever see it.
    base = f"http://operator:s3cret-pass@127.0.0.1:{closed_port()}/v1"
    settings = llm_settings(database_url, base, llm_timeout_s=2, llm_max_retries=0)
    with live_server(settings) as live:
        tenant = make_tenant(live.db)
        # The client gives up after 10 s: a service that hangs on a dead LLM fails here.
        with httpx2.Client(
            base_url=live.base_url,
            headers={"Authorization": f"Bearer {tenant.coach_key}"},
            timeout=10,
        ) as http:
            started = time.monotonic()
            plan = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 2))
            draft = http.post("/v1/coach/generate-draft", json=body(tenant, weeks=2))
            elapsed = time.monotonic() - started
        rows = plans_of(live, tenant)
    for response in (plan, draft):
        assert response.status_code == 500
        error = response.json()
        assert set(error) == {"error", "details"}
        assert "cannot reach the LLM server" in error["error"]
        assert "s3cret-pass" not in response.text and "127.0.0.1" not in response.text
        assert "Traceback" not in response.text
    assert plan.json()["error"].startswith("plan generation failed:")
    assert draft.json()["error"].startswith("draft generation failed:")
    # A refused connection is known at once; both answers come well within the timeouts.
    assert elapsed < 5, f"{elapsed:.1f} s for two requests against a closed port"
    assert [row.status for row in rows] == ["failed"]
    assert "cannot reach the LLM server" in (rows[0].error or "")
    assert "s3cret-pass" not in (rows[0].error or "")


def test_each_week_is_asked_with_only_its_own_lines(database_url: str) -> None:
    """One request per week; the shared system prompt is identical (cacheable), and each
    user turn carries only that week's draft lines, not the whole plan again."""
    weeks = 3
    llm = ScriptedLLM(responder=good_responder())
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-plan", json=plan_body(tenant, weeks))
    assert response.status_code == 200, response.text
    assert sorted(week_of(r) for r in llm.requests) == [1, 2, 3]
    systems = {m["content"] for r in llm.requests for m in r["messages"] if m["role"] == "system"}
    assert len(systems) == 1
    for request in llm.requests:
        week = week_of(request)
        user = next(m["content"] for m in request["messages"] if m["role"] == "user")
        assert f"W{week} D1 Easy run, 40 min, 7 km" in user
        assert [f"W{other} " in user for other in range(1, weeks + 1) if other != week] == [
            False
        ] * (weeks - 1)
    assert len(llm.usages) == weeks
