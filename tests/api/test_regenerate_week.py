"""Regenerating one week of a stored plan over real HTTP: the built-in engine and the
OpenAI-compatible engine on the scripted server; the weeks around it unchanged, the
revision one more, a stale If-Match refused, a failing LLM saving nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2

from tests.api.test_llm_over_http import llm_service, plan_body
from tests.engine_llm.answers import LINES, good_responder, week_answer, week_of
from tests.support.live import LiveServer
from tests.support.plans import draft_then_plan
from tests.support.push import wait_until
from tests.support.scripted_llm import Reply, ScriptedLLM
from tests.support.sse import data, names, read_stream
from tests.support.tenants import make_tenant

EDITED = "\n".join(
    [
        "W2 D1 Mon  Easy run, 45 min, 8 km",
        "W2 D3 Wed  Tempo 20 min, 60 min, 11 km",
        "W2 D6 Sat  Long run, 95 min, 17 km",
    ]
)


def _path(plan_id: str, week: int = 2) -> str:
    return f"/v1/coach/plans/{plan_id}/weeks/{week}/regenerate"


def _regenerate(
    http: httpx2.Client, plan_id: str, revision: int, **kwargs: Any
) -> list[httpx2.ServerSentEvent]:
    return read_stream(
        http, "POST", _path(plan_id), headers={"If-Match": f'"{revision}"'}, **kwargs
    )


def _week(content: list[dict[str, Any]], week: int) -> list[dict[str, Any]]:
    return [w for w in content if w["week"] == week]


def _others(content: list[dict[str, Any]], week: int = 2) -> list[dict[str, Any]]:
    return [w for w in content if w["week"] != week]


def test_builtin_engine_regenerates_one_week(server: LiveServer) -> None:
    tenant = make_tenant(server.db)
    with server.client(tenant.coach_key) as http:
        _, plan = draft_then_plan(http, tenant, weeks=3, start_date="2026-12-07")
        plan_id = plan["plan_id"]
        missing = http.post(_path(plan_id), json={})
        same = _regenerate(http, plan_id, 1)
        after_same = http.get(f"/v1/coach/plans/{plan_id}")
        edited = _regenerate(http, plan_id, 2, json={"lines": EDITED})
        after = http.get(f"/v1/coach/plans/{plan_id}")
        revisions = http.get(f"/v1/coach/plans/{plan_id}/revisions").json()["items"]
        stale = http.post(_path(plan_id), json={}, headers={"If-Match": '"2"'})
        other_week = http.post(
            _path(plan_id),
            json={"lines": "W3 D1 Easy run, 30 min, 5 km"},
            headers={"If-Match": '"3"'},
        )
    assert missing.status_code == 428, missing.text
    # Without lines the built-in coach writes the week it wrote before: a new revision.
    assert names(same)[-1] == "done" and "error" not in names(same)
    assert after_same.headers["etag"] == '"2"'
    assert after_same.json()["content"] == plan["content"]

    assert names(edited)[0] == "progress" and names(edited)[-3:] == ["result", "progress", "done"]
    streamed = [data(e) for e in edited if e.event == "workout"]
    assert [(w["week"], w["day"]) for w in streamed] == [(2, 1), (2, 3), (2, 6)]
    assert [w["title"] for w in streamed] == ["Easy run", "Tempo 20 min", "Long run"]
    assert data(edited[0])["plan_id"] == plan_id and data(edited[0])["total"] == 3
    assert list(data(next(e for e in edited if e.event == "weekly_info"))) == ["2"]
    assert data(edited[-2])["message"] == "week 2 saved as revision 3"

    view = after.json()
    assert after.headers["etag"] == '"3"' and view["revision"] == 3
    assert _week(view["content"], 2) == streamed
    assert _others(view["content"]) == _others(plan["content"])
    assert view["weekly_info"]["1"] == plan["weekly_info"]["1"]
    assert view["weekly_info"]["3"] == plan["weekly_info"]["3"]
    assert [r["revision"] for r in revisions] == [3, 2, 1]
    assert revisions[0]["summary"] == "regenerated week 2"
    assert [(c["op"], c["week"]) for c in revisions[0]["changes"]] == [("regenerate", 2)]
    assert stale.status_code == 412, stale.text
    assert other_week.status_code == 400 and "lines" in other_week.text


def test_another_tenants_plan_is_not_found(server: LiveServer) -> None:
    owner, stranger = make_tenant(server.db), make_tenant(server.db)
    with server.client(owner.coach_key) as http, server.client(stranger.coach_key) as other:
        _, plan = draft_then_plan(http, owner, weeks=1)
        response = other.post(_path(plan["plan_id"], 1), headers={"If-Match": '"1"'})
        out_of_range = http.post(_path(plan["plan_id"], 2), headers={"If-Match": '"1"'})
    assert response.status_code == 404, response.text
    assert out_of_range.status_code == 400 and "week" in out_of_range.text


def _regenerating_llm() -> tuple[ScriptedLLM, dict[str, Any]]:
    """Good answers while the plan is generated; then, for week 2, what `state` says: a
    week with a longer day 1 (once `gate` is set), or a failure."""
    good = good_responder()
    gate = threading.Event()
    gate.set()
    state: dict[str, Any] = {"regenerating": False, "fail": False, "gate": gate}
    longer = {**LINES, 1: ("Easy run", "easy-run", 50.0, 9.0)}

    def respond(payload: dict[str, Any]) -> Reply:
        if state["regenerating"] and week_of(payload) == 2:
            if state["fail"]:
                return Reply("model overloaded", status=500)
            return Reply(week_answer(2, longer), start_when=gate.is_set)
        return good(payload)

    return ScriptedLLM(responder=respond), state


def test_llm_engine_regenerates_one_week_with_its_neighbours_as_context(
    database_url: str,
) -> None:
    llm, state = _regenerating_llm()
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        plan = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 3))
        assert plan.status_code == 200, plan.text
        before = plan.json()
        asked = len(llm.requests)
        state["regenerating"] = True
        lines = "\n".join(
            ["W2 D1 Easy run, 50 min, 9 km"]
            + [f"W2 D{d} {t}, {m:g} min, {k:g} km" for d, (t, _, m, k) in LINES.items() if d != 1]
        )
        events = _regenerate(http, before["plan_id"], 1, json={"lines": lines})
        after = http.get(f"/v1/coach/plans/{before['plan_id']}")
    assert "error" not in names(events), [e.data for e in events]
    streamed = [data(e) for e in events if e.event == "workout"]
    assert [w["day"] for w in streamed] == sorted(LINES)
    assert streamed[0]["duration"] == 50 * 60
    # One request, for week 2 alone; weeks 1 and 3 are in its prompt as context.
    new = llm.requests[asked:]
    assert [week_of(p) for p in new] == [2]
    prompt = next(m["content"] for m in new[0]["messages"] if m["role"] == "user")
    assert "For context only" in prompt and "W1 D7" in prompt and "W3 D1" in prompt
    view = after.json()
    assert view["revision"] == 2 and after.headers["etag"] == '"2"'
    assert _week(view["content"], 2) == streamed
    assert _others(view["content"]) == _others(before["content"])


def test_a_failing_llm_ends_with_error_then_done_and_saves_nothing(database_url: str) -> None:
    llm, state = _regenerating_llm()
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        before = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 3)).json()
        state["regenerating"] = state["fail"] = True
        events = _regenerate(http, before["plan_id"], 1)
        after = http.get(f"/v1/coach/plans/{before['plan_id']}")
    assert names(events)[-2:] == ["error", "done"]
    assert "week 2" in data(events[-2])["error"]
    assert after.headers["etag"] == '"1"'
    assert after.json()["content"] == before["content"]


def test_an_edit_saved_while_a_week_is_regenerated_wins(database_url: str) -> None:
    llm, state = _regenerating_llm()
    with llm_service(database_url, llm) as (live, tenant), live.client(tenant.coach_key) as http:
        before = http.post("/v1/coach/generate-plan", json=plan_body(tenant, 3)).json()
        plan_id = before["plan_id"]
        asked = len(llm.requests)
        state["regenerating"] = True
        state["gate"].clear()
        with ThreadPoolExecutor(1) as pool:
            stream = pool.submit(_regenerate, http, plan_id, 1)
            wait_until(lambda: len(llm.requests) > asked, "the week's request")
            # Another editor saves an edit while the LLM has not answered yet.
            edit = http.patch(
                f"/v1/coach/plans/{plan_id}/workouts/3/1",
                json={"title": "Easy run by the lake"},
                headers={"If-Match": '"1"'},
            )
            state["gate"].set()
            events = stream.result(timeout=60)
        after = http.get(f"/v1/coach/plans/{plan_id}").json()
    assert edit.status_code == 200, edit.text
    assert names(events)[-2:] == ["error", "done"]
    assert "not saved" in data(events[-2])["error"] and "revision 2" in data(events[-2])["error"]
    assert after["revision"] == 2
    assert _week(after["content"], 2) == _week(before["content"], 2)
    assert _week(after["content"], 3)[0]["title"] == "Easy run by the lake"
