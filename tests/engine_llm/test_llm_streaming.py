"""Concurrency, plan order, incremental emission and cancellation against the scripted server."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import anyio
import pytest

from coach.engines.base import PlanTotal, WeekDone, WorkoutReady
from tests.engine_llm.answers import (
    FIRST_WORKOUT_TOKENS,
    LINES,
    after_weeks,
    collect,
    context,
    engine_for,
    good_responder,
    plan_request,
)
from tests.support.live import serve_app
from tests.support.scripted_llm import Reply, ScriptedLLM

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_weeks_run_concurrently_up_to_the_setting(concurrency: int) -> None:
    llm = ScriptedLLM()
    # Every week waits to answer until `concurrency` requests have been open at once.
    good = good_responder()

    def respond(payload: dict[str, Any]) -> Reply:
        return replace(good(payload), start_when=lambda: llm.max_open >= concurrency)

    llm.responder = respond
    with serve_app(llm.app) as url:
        async with engine_for(url, llm_concurrency=concurrency) as engine:
            events = await collect(engine, plan_request(8))
    assert len(llm.requests) == 8
    assert llm.max_open == concurrency
    assert sum(isinstance(e, WorkoutReady) for e in events) == 8 * len(LINES)


async def test_week_one_goes_first_even_when_week_two_answers_first() -> None:
    llm = ScriptedLLM()
    # Week 1 starts answering only once weeks 2 and 3 have answered whole (buffered).
    llm.responder = good_responder(start_when={1: after_weeks(llm, {2, 3})})
    request = plan_request(3)
    order = []
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            async for event in engine.plan(context(request)):
                if isinstance(event, WorkoutReady | WeekDone):
                    order.append(
                        event.workout.week if isinstance(event, WorkoutReady) else event.week
                    )
    assert order == [1] * 6 + [2] * 6 + [3] * 6  # five workouts and the week's end, each


async def test_first_workout_arrives_while_the_week_is_still_streaming() -> None:
    # The LLM stops after the first workout's closing brace until it is released.
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    request = plan_request(1)
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            async for event in engine.plan(context(request)):
                if isinstance(event, WorkoutReady):
                    with llm.lock:
                        unsent, finished = llm.unsent[0], 0 in llm.finished
                    break
    assert not finished
    # The week's answer is ~530 tokens; most of it was still to come.
    assert unsent > 300


async def test_cancelling_the_consumer_closes_the_upstream_streams() -> None:
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    request = plan_request(6)
    got_first = anyio.Event()

    async def consume() -> None:
        async for event in engine.plan(context(request)):
            if isinstance(event, WorkoutReady):
                got_first.set()

    with serve_app(llm.app) as url:
        async with engine_for(url, llm_concurrency=3) as engine:
            async with anyio.create_task_group() as group:
                group.start_soon(consume)
                await got_first.wait()
                # Every week in flight is held mid-answer.
                assert await anyio.to_thread.run_sync(llm.wait_held, 3)
                with llm.lock:
                    assert llm.open == 3
                group.cancel_scope.cancel()
            closed = await anyio.to_thread.run_sync(llm.wait_idle, 1.0)
            assert closed, f"{llm.open} upstream streams still open"
            assert llm.disconnects == 3
            # Nothing new was started after the cancellation.
            await anyio.sleep(0.2)
            assert llm.opened == 3


async def test_breaking_out_of_the_plan_closes_the_upstream_streams() -> None:
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    request = plan_request(4)
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            plan = engine.plan(context(request))
            assert isinstance(await anext(plan), PlanTotal)
            await anext(plan)
            await plan.aclose()
            assert await anyio.to_thread.run_sync(llm.wait_idle, 1.0)


async def test_weeks_start_at_the_setting_without_a_ramp() -> None:
    # All of a plan's weeks (up to the setting) are asked for at once: every stream holds
    # after its first workout, so nothing finishes before the eighth request arrives.
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    with serve_app(llm.app) as url:
        async with engine_for(url, llm_concurrency=8) as engine:
            async with anyio.create_task_group() as group:
                group.start_soon(collect, engine, plan_request(12))
                assert await anyio.to_thread.run_sync(llm.wait_held, 8)
                llm.release()
    assert llm.max_open == 8
    assert llm.request_count == 12


async def test_a_429_makes_the_plan_send_fewer_weeks_at_once() -> None:
    # The first request to arrive is turned away; the other seven hold mid-answer.
    llm = ScriptedLLM(
        Reply("slow down", status=429),
        responder=good_responder(),
        hold_after_tokens=FIRST_WORKOUT_TOKENS,
    )
    events: list[Any] = []

    async def consume() -> None:
        events.extend(await collect(engine, plan_request(12)))

    with serve_app(llm.app) as url:
        async with engine_for(url, llm_concurrency=8, llm_max_retries=0) as engine:
            async with anyio.create_task_group() as group:
                group.start_soon(consume)
                assert await anyio.to_thread.run_sync(llm.wait_held, 7)
                # Halved to four: with seven open, the turned-away week waits its turn.
                await anyio.sleep(0.3)
                assert llm.request_count == 8
                llm.release()
    # Every week arrived, the turned-away one sent again, and never eight at once again.
    assert sum(isinstance(e, WorkoutReady) for e in events) == 12 * len(LINES)
    assert llm.request_count == 13
    assert max(llm.open_at_arrival[8:]) < 8
