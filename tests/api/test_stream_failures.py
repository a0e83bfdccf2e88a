"""Streams that fail or lose their client: `error` then `done`, never a hang, nothing leaks."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2

from coach.plans.store import get_plan
from coach.settings import Settings
from tests.support.fake_engines import ScriptedEngine, registered
from tests.support.live import LiveServer, live_server
from tests.support.plans import body
from tests.support.sse import data, names, read_stream
from tests.support.tenants import Tenant, make_tenant

DRAFT = "W1 D2 Easy run, 30 min, 5.0 km\nW1 D4 Easy run, 30 min, 5.0 km"
PLAN_STREAM = "/v1/coach/generate-plan/stream"


def stream_plan(http: httpx2.Client, tenant: Tenant, weeks: int) -> list[httpx2.ServerSentEvent]:
    """A whole incremental plan stream of `weeks` weeks."""
    return read_stream(
        http, "POST", PLAN_STREAM, json=body(tenant, weeks=weeks, refined_draft=DRAFT)
    )


def follow_url(events: list[httpx2.ServerSentEvent]) -> str:
    """Where the plan of a stream is followed and replayed."""
    return f"/v1/coach/plans/{data(events[0])['plan_id']}/stream"


def triples(events: list[httpx2.ServerSentEvent]) -> list[tuple[str | None, str, str]]:
    return [(e.id, e.event, e.data) for e in events]


@contextmanager
def server_with(engine: ScriptedEngine, database_url: str, **override: Any) -> Iterator[LiveServer]:
    with registered(engine, f"test-{uuid.uuid4().hex[:6]}") as name:
        settings = Settings(database_url=database_url, engine=name, **override)
        with live_server(settings) as live:
            yield live


def test_engine_failure_mid_stream_sends_error_then_done(database_url: str) -> None:
    engine = ScriptedEngine(fail_after=3)
    with server_with(engine, database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            events = stream_plan(http, tenant, weeks=4)
            stored = http.get(follow_url(events).removesuffix("/stream"))
            replay = read_stream(http, "GET", follow_url(events))
    assert names(events).count("workout") == 3
    assert names(events)[-2:] == ["error", "done"]
    assert "invalid output after 3 attempts" in data(events[-2])["error"]
    # The plan reads back as failed, with why.
    assert stored.status_code == 200 and stored.json()["status"] == "failed"
    assert stored.json()["error"]
    # Replayed in the same process, the failed stream is the same events again.
    assert triples(replay) == triples(events)


def test_a_failed_stream_followed_from_another_process_ends_with_error_then_done(
    database_url: str,
) -> None:
    # The plan fails in one process; a client follows (or resumes) it from another one,
    # which has only the database: it gets the same `error` and a `done`, with the ids the
    # live stream gave them when it resumes — never an empty stream.
    engine = ScriptedEngine(fail_after=3)
    with (
        server_with(engine, database_url) as one,
        live_server(Settings(database_url=database_url, _env_file=None)) as two,  # type: ignore[call-arg]
    ):
        tenant = make_tenant(one.db)
        with one.client(tenant.coach_key) as http:
            events = stream_plan(http, tenant, weeks=4)
        follow = follow_url(events)
        with two.client(tenant.coach_key) as http:
            whole = read_stream(http, "GET", follow)
            resumed = read_stream(http, "GET", follow, headers={"Last-Event-ID": events[-3].id})
            stored = http.get(follow.removesuffix("/stream"))
    ending = [(e.event, e.data) for e in events[-2:]]
    assert names(events)[-2:] == ["error", "done"]
    assert data(events[-2])["error"] == "generation failed: invalid output after 3 attempts"
    assert triples(whole) == [("1", *ending[0]), ("2", *ending[1])]
    assert triples(resumed) == triples(events[-2:])
    assert stored.json()["status"] == "failed"
    assert stored.json()["error"] == "invalid output after 3 attempts"


def test_only_the_newest_finished_streams_stay_in_memory(database_url: str) -> None:
    # One finished stream kept in memory at most. Every plan here fails, so a replay shows
    # where it comes from: memory replays the whole failed stream, the database only its
    # ending. Starting a third stream drops the oldest finished one.
    engine = ScriptedEngine(fail_after=2)
    with server_with(engine, database_url, stream_replay_max_plans=1) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            first = stream_plan(http, tenant, weeks=2)
            second = stream_plan(http, tenant, weeks=2)
            first_while_kept = read_stream(http, "GET", follow_url(first))
            stream_plan(http, tenant, weeks=2)
            first_after = read_stream(http, "GET", follow_url(first))
            second_after = read_stream(http, "GET", follow_url(second))

    assert names(first).count("workout") == 2 and names(first)[-2:] == ["error", "done"]
    assert triples(first_while_kept) == triples(first)
    assert triples(first_after) == [("1", "error", first[-2].data), ("2", "done", first[-1].data)]
    assert triples(second_after) == triples(second)


def test_batch_and_draft_streams_fail_cleanly(database_url: str) -> None:
    engine = ScriptedEngine(fail_after=1)
    with server_with(engine, database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            batch = read_stream(
                http,
                "POST",
                "/v1/coach/generate-plan/stream/batch",
                json=body(tenant, weeks=2, refined_draft=DRAFT),
            )
            draft = read_stream(
                http, "POST", "/v1/coach/generate-draft/stream", json=body(tenant, weeks=3)
            )
            sync = http.post(
                "/v1/coach/generate-plan", json=body(tenant, weeks=2, refined_draft=DRAFT)
            )
    assert names(batch)[-2:] == ["error", "done"] and "result" not in names(batch)
    assert names(draft)[-2:] == ["error", "done"]
    assert "stopped answering" in data(draft[-2])["error"]
    assert sync.status_code == 500
    assert "invalid output" in sync.json()["error"]


def test_client_disconnect_cancels_generation(database_url: str) -> None:
    engine = ScriptedEngine(delay=0.3, per_week=3)
    with server_with(engine, database_url) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            with http.stream(
                "POST",
                PLAN_STREAM,
                json=body(tenant, weeks=20, refined_draft=DRAFT),
            ) as response:
                source = httpx2.EventSource(response)
                first = next(iter(source))
                plan_id = uuid.UUID(data(first)["plan_id"])
            left_at = time.monotonic()
        assert engine.closed.wait(timeout=2)
        assert time.monotonic() - left_at < 1.5
        sent_at_close = engine.sent
        time.sleep(0.8)
        assert engine.sent == sent_at_close < 60
        deadline = time.monotonic() + 5
        while (row := live.db.call(lambda s: get_plan(s, plan_id))).status == "generating":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert row.status == "failed" and "cancelled" in (row.error or "")


def test_follower_sees_a_plan_while_it_is_generated(database_url: str) -> None:
    engine = ScriptedEngine(delay=0.05, per_week=2)
    with server_with(engine, database_url) as live:
        tenant = make_tenant(live.db)
        live_events: list[httpx2.ServerSentEvent] = []
        started = threading.Event()

        def generate() -> None:
            with (
                live.client(tenant.coach_key) as http,
                http.stream(
                    "POST",
                    PLAN_STREAM,
                    json=body(tenant, weeks=6, refined_draft=DRAFT),
                ) as response,
            ):
                for event in httpx2.EventSource(response):
                    live_events.append(event)
                    started.set()

        producer = threading.Thread(target=generate)
        producer.start()
        assert started.wait(timeout=10)
        plan_id = data(live_events[0])["plan_id"]
        with live.client(tenant.coach_key) as http:
            followed = read_stream(
                http, "GET", f"/v1/coach/plans/{plan_id}/stream", headers={"Last-Event-ID": "1"}
            )
        producer.join(timeout=20)
    assert names(followed)[-1] == "done"
    assert [(e.id, e.data) for e in followed] == [(e.id, e.data) for e in live_events[1:]]
