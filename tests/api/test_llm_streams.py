"""The three SSE endpoints with the LLM engine over real HTTP, against the scripted server:
event order, counts, ids, concurrency in plan order, errors, earliness and disconnects."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx2
import pytest

from coach.plans.store import get_plan
from tests.api.test_llm_over_http import DRAFT, llm_service, plan_body
from tests.engine_llm.answers import (
    FIRST_WORKOUT_TOKENS,
    LINES,
    after_weeks,
    draft_text,
    good_responder,
    week_answer,
    week_of,
)
from tests.support.live import LiveServer
from tests.support.plans import body
from tests.support.scripted_llm import Reply, ScriptedLLM, count_tokens
from tests.support.sse import data, names, read_stream

PLAN = "/v1/coach/generate-plan/stream"
BATCH = "/v1/coach/generate-plan/stream/batch"
DRAFT_STREAM = "/v1/coach/generate-draft/stream"


def failing_for(week: int) -> Any:
    """Good answers, but the server fails (HTTP 500) for one week: a transport failure,
    which ends the plan (a server that answers badly gives a plan from the draft lines)."""
    good = good_responder()

    def respond(payload: dict[str, Any]) -> Reply:
        return Reply("overloaded", status=500) if week_of(payload) == week else good(payload)

    return respond


def wait_for_status(live: LiveServer, plan_id: uuid.UUID, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while (row := live.db.call(lambda s: get_plan(s, plan_id))).status == "generating":
        assert time.monotonic() < deadline, "the plan is still 'generating'"
        time.sleep(0.02)
    return row


def assert_well_formed(events: list[httpx2.ServerSentEvent]) -> None:
    """Every stream: ids 1..n in order, exactly one `done`, and it is last."""
    assert [e.id for e in events] == [str(i) for i in range(1, len(events) + 1)]
    assert names(events).count("done") == 1 and names(events)[-1] == "done"


@pytest.mark.parametrize("concurrency", [1, 4])
def test_plan_stream_in_plan_order_while_weeks_run_concurrently(
    database_url: str, concurrency: int
) -> None:
    weeks = 4
    llm = ScriptedLLM()
    # With weeks at once, no week answers before `concurrency` requests are open, and week 1
    # answers only after weeks 2-4 have answered whole: its workouts must still come first.
    # (An engine that waited for week 1 before asking the next would see no answer at all.)
    all_open = lambda: llm.max_open >= concurrency  # noqa: E731
    week_one = after_weeks(llm, {2, 3, 4}) if concurrency > 1 else all_open
    llm.responder = good_responder(start_when={1: week_one, 2: all_open, 3: all_open, 4: all_open})
    events = []
    with (
        llm_service(database_url, llm, llm_concurrency=concurrency) as (live, tenant),
        live.client(tenant.coach_key) as http,
        http.stream("POST", PLAN, json=plan_body(tenant, weeks)) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(httpx2.EventSource(response))
        plan_id = data(events[-2])["plan_id"]
        stored = http.get(f"/v1/coach/plans/{plan_id}").json()

    assert_well_formed(events)
    kinds = names(events)
    assert kinds[0] == "progress" and data(events[0])["status"] == "started"
    assert kinds[-2:] == ["result", "done"] and "error" not in kinds
    result = data(events[-2])
    workouts = [data(e) for e in events if e.event == "workout"]
    assert len(workouts) == result["total_workouts"] == data(events[0])["total"]
    assert result["total_workouts"] == weeks * len(LINES)
    assert [(w["week"], w["day"]) for w in workouts] == [
        (week, day) for week in range(1, weeks + 1) for day in sorted(LINES)
    ]
    assert {w["source"] for w in workouts} == {"ai"}
    # Week by week, day by day; a week's weekly_info right after its last workout.
    expected = []
    for week in range(1, weeks + 1):
        expected += [("workout", str(week))] * len(LINES) + [("weekly_info", str(week))]
    assert [
        (e.event, str(data(e)["week"]) if e.event == "workout" else next(iter(data(e))))
        for e in events
        if e.event in ("workout", "weekly_info")
    ] == expected
    assert sorted(result["weekly_info"], key=int) == [str(w) for w in range(1, weeks + 1)]
    # A progress after each workout counts up to the total.
    counts = [data(e)["count"] for e in events if e.event == "progress" and "count" in data(e)]
    assert counts[-1] == weeks * len(LINES) and counts == sorted(counts)
    assert stored["content"] == workouts
    # Concurrency: as many weeks in flight as the setting allows.
    assert llm.max_open == concurrency


def test_first_workout_is_sent_before_the_llm_finished_the_week(database_url: str) -> None:
    # The LLM stops after the week's first workout until the client has seen it.
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    answer_tokens = count_tokens(week_answer(1))
    with (
        llm_service(database_url, llm) as (live, tenant),
        live.client(tenant.coach_key) as http,
        http.stream("POST", PLAN, json=plan_body(tenant, 1)) as response,
    ):
        events, first = [], None
        for event in httpx2.EventSource(response):
            events.append(event)
            if event.event == "workout" and first is None:
                first = data(event)
                with llm.lock:
                    unsent, finished = llm.unsent.get(0), 0 in llm.finished
                llm.release()
    assert first is not None and (first["week"], first["day"]) == (1, min(LINES))
    assert not finished
    # The first of five workouts is out while most of the week's answer is still unsent.
    assert unsent == answer_tokens - FIRST_WORKOUT_TOKENS > answer_tokens // 2
    # Then the rest of the week follows.
    assert names(events).count("workout") == len(LINES) and names(events)[-1] == "done"


def test_error_mid_stream_is_error_then_done(database_url: str) -> None:
    llm = ScriptedLLM(responder=failing_for(week=2))
    with (
        llm_service(database_url, llm, llm_concurrency=1) as (live, tenant),
        live.client(tenant.coach_key) as http,
    ):
        events = read_stream(http, "POST", PLAN, json=plan_body(tenant, 3))
        plan_id = uuid.UUID(data(events[0])["plan_id"])
        stored = http.get(f"/v1/coach/plans/{plan_id}")
        replay = read_stream(http, "GET", f"/v1/coach/plans/{plan_id}/stream")
        row = wait_for_status(live, plan_id)
    assert_well_formed(events)
    kinds = names(events)
    assert kinds[-2:] == ["error", "done"] and "result" not in kinds
    # Week 1 went out whole; nothing of week 2 (its server failed).
    assert [data(e)["week"] for e in events if e.event == "workout"] == [1] * len(LINES)
    assert [list(data(e)) for e in events if e.event == "weekly_info"] == [["1"]]
    message = data(events[-2])["error"]
    assert message.startswith("generation failed: week 2:")
    assert "answered HTTP 500" in message and "Traceback" not in message
    assert row.status == "failed" and "week 2" in (row.error or "")
    # The plan reads back as failed, with why.
    assert stored.status_code == 200 and stored.json()["status"] == "failed"
    assert stored.json()["error"]
    assert names(replay)[-2:] == ["error", "done"]
    # Transport failures are not re-asked; week 3 is never asked.
    assert sorted(week_of(r) for r in llm.requests) == [1, 2]


def test_batch_stream_result_is_the_synchronous_body(database_url: str) -> None:
    weeks = 2
    llm = ScriptedLLM(responder=good_responder())
    with (
        llm_service(database_url, llm) as (live, tenant),
        live.client(tenant.coach_key) as http,
    ):
        events = read_stream(http, "POST", BATCH, json=plan_body(tenant, weeks))
        result = data(events[-2])
        stored = http.get(f"/v1/coach/plans/{result['plan_id']}").json()
    assert_well_formed(events)
    assert set(names(events)) == {"progress", "result", "done"}
    assert names(events)[-2:] == ["result", "done"]
    assert len(result["content"]) == weeks * len(LINES)
    assert {w["source"] for w in result["content"]} == {"ai"}
    assert result["content"] == stored["content"]
    assert result["weekly_info"] == stored["weekly_info"]
    assert result["request"]["weeks"] == weeks and "generated_at" in result["request"]


def test_batch_stream_failure_is_error_then_done(database_url: str) -> None:
    llm = ScriptedLLM(responder=failing_for(week=1))
    with (
        llm_service(database_url, llm) as (live, tenant),
        live.client(tenant.coach_key) as http,
    ):
        events = read_stream(http, "POST", BATCH, json=plan_body(tenant, 1))
    assert_well_formed(events)
    assert names(events)[-2:] == ["error", "done"] and "result" not in names(events)
    assert "week 1" in data(events[-2])["error"]


def test_draft_stream_sends_the_text_as_the_llm_writes_it(database_url: str) -> None:
    # The LLM stops halfway through the draft until the client has seen text.
    half = count_tokens(DRAFT) // 2
    llm = ScriptedLLM(Reply(DRAFT), hold_after_tokens=half)
    unsent_at_first_text = None
    events = []
    with (
        llm_service(database_url, llm) as (live, tenant),
        live.client(tenant.coach_key) as http,
        http.stream("POST", DRAFT_STREAM, json=body(tenant, weeks=1)) as response,
    ):
        assert response.status_code == 200
        for event in httpx2.EventSource(response):
            if (
                unsent_at_first_text is None
                and event.event == "progress"
                and (data(event).get("text"))
            ):
                with llm.lock:
                    unsent_at_first_text = llm.unsent.get(0)
                llm.release()
            events.append(event)
    assert_well_formed(events)
    assert names(events)[-2:] == ["result", "done"]
    progress = [data(e) for e in events if e.event == "progress"]
    assert progress[0]["status"] == "started"
    assert [p["progress"] for p in progress] == sorted(p["progress"] for p in progress)
    assert progress[-1]["progress"] == 100
    assert "".join(p.get("text", "") for p in progress) == DRAFT == data(events[-2])["draft"]
    # Text was on the wire while most of the draft was still to be written by the LLM.
    assert unsent_at_first_text is not None
    assert unsent_at_first_text >= count_tokens(DRAFT) - half


def test_draft_stream_llm_failure_is_error_then_done(database_url: str) -> None:
    llm = ScriptedLLM(Reply("model overloaded", status=500))
    with (
        llm_service(database_url, llm, llm_max_retries=0) as (live, tenant),
        live.client(tenant.coach_key) as http,
    ):
        events = read_stream(http, "POST", DRAFT_STREAM, json=body(tenant, weeks=1))
    assert_well_formed(events)
    assert names(events)[-2:] == ["error", "done"] and "result" not in names(events)
    assert "answered HTTP 500" in data(events[-2])["error"]


def _reached(endpoint: str, event: httpx2.ServerSentEvent) -> bool:
    """The point where the client leaves: the LLM is mid-answer and output has arrived."""
    if endpoint == PLAN:
        return event.event == "workout"
    if endpoint == BATCH:
        return event.event == "progress" and (data(event).get("count") or 0) >= 1
    return event.event == "progress" and bool(data(event).get("text"))


@pytest.mark.parametrize("endpoint", [PLAN, BATCH, DRAFT_STREAM], ids=["plan", "batch", "draft"])
def test_disconnect_closes_the_upstream_llm_streams(database_url: str, endpoint: str) -> None:
    concurrency = 3
    # Every answer stops mid-way (after a week's first workout, or 20 tokens of the draft)
    # and is never released: the client leaves while every upstream request is open.
    if endpoint == DRAFT_STREAM:
        llm = ScriptedLLM(Reply(draft_text(8)), hold_after_tokens=20)
    else:
        llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    expected_open = 1 if endpoint == DRAFT_STREAM else concurrency
    plan_id = None
    with llm_service(database_url, llm, llm_concurrency=concurrency) as (live, tenant):
        request = plan_body(tenant, 8) if endpoint != DRAFT_STREAM else body(tenant, weeks=8)
        with (
            live.client(tenant.coach_key) as http,
            http.stream("POST", endpoint, json=request) as response,
        ):
            # Held here, the event iterator keeps the response open after `break` (a
            # discarded one would close it there and then).
            source = iter(httpx2.EventSource(response))
            for event in source:
                if plan_id is None and "plan_id" in data(event):
                    plan_id = uuid.UUID(data(event)["plan_id"])
                if _reached(endpoint, event):
                    break
            else:
                pytest.fail("the stream ended before the client could leave")
            # Leave only once every upstream request this generation runs is held mid-answer
            # (on a loaded machine the last week may still be connecting).
            assert llm.wait_held(expected_open), f"{llm.open} open, {len(llm.held)} held"
            with llm.lock:
                open_when_leaving, finished = llm.open, set(llm.finished)
        # Leaving the `with` closed the connection mid-stream.
        assert llm.wait_idle(1.0), f"{llm.open} upstream LLM streams still open after 1 s"
        row = wait_for_status(live, plan_id) if plan_id is not None else None
    assert open_when_leaving == expected_open and not finished
    assert llm.disconnects == expected_open
    if endpoint != DRAFT_STREAM:
        assert row is not None
        assert row.status == "failed" and "cancelled" in (row.error or "")
    # Generation stopped with the client (the plan is failed only once the engine has
    # stopped): no request was started after it left.
    assert llm.opened == expected_open


def test_llm_stalling_mid_answer_is_error_then_done(database_url: str) -> None:
    # One token every 2 s against a 0.5 s read timeout: the answer stalls after its start.
    llm = ScriptedLLM(responder=good_responder(), tokens_per_s=0.5)
    with (
        llm_service(database_url, llm, llm_timeout_s=0.5, llm_max_retries=0) as (live, tenant),
        live.client(tenant.coach_key) as http,
    ):
        events = read_stream(http, "POST", PLAN, json=plan_body(tenant, 1))
        row = wait_for_status(live, uuid.UUID(data(events[0])["plan_id"]))
        assert llm.wait_idle(1.0), "the stalled upstream request was left open"
    assert_well_formed(events)
    assert names(events)[-2:] == ["error", "done"] and "workout" not in names(events)
    assert "timed out" in data(events[-2])["error"]
    assert row.status == "failed" and "timed out" in (row.error or "")
    # A timeout is the transport's failure: it is not re-asked.
    assert llm.request_count == 1
