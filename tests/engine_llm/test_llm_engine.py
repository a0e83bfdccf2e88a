"""LLMEngine against the scripted server with good answers: order, totals, fields, tokens."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from coach.engines.base import (
    DraftProgress,
    DraftText,
    PlanTotal,
    PlanWarning,
    WeekDone,
    WorkoutReady,
)
from coach.engines.llm import LLMEngine
from coach.engines.llm.draftlines import parse_draft
from coach.plans.models import Workout
from tests.engine_llm.answers import (
    LINES,
    PRINCIPLE,
    START,
    collect,
    context,
    engine_for,
    good_responder,
    plan_request,
    week_of,
)
from tests.support.live import serve_app
from tests.support.scripted_llm import Reply, ScriptedLLM

pytestmark = pytest.mark.anyio


async def test_good_plan_comes_out_in_order_with_total_first() -> None:
    llm = ScriptedLLM(responder=good_responder())
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            assert engine.name == "openai"
            events = await collect(engine, plan_request(3))
    assert isinstance(events[0], PlanTotal)
    workouts = [e.workout for e in events if isinstance(e, WorkoutReady)]
    assert events[0].total == len(workouts) == 3 * len(LINES)
    assert [(w.week, w.day) for w in workouts] == [(wk, d) for wk in (1, 2, 3) for d in LINES]
    assert not [e for e in events if isinstance(e, PlanWarning)]
    # WeekDone follows each week's last workout directly.
    kinds = [(type(e).__name__, getattr(e, "week", None)) for e in events]
    for week in (1, 2, 3):
        at = kinds.index(("WeekDone", week))
        last = max(
            i
            for i, e in enumerate(events)
            if isinstance(e, WorkoutReady) and e.workout.week == week
        )
        assert at == last + 1
    done = [e for e in events if isinstance(e, WeekDone)]
    assert done[0].info.phase == "base" and done[0].info.total_distance == 43000
    first = workouts[0]
    assert first.source == "ai" and first.title == "Easy run" and first.type == "easy-run"
    assert first.date == START and workouts[-1].date == START + dt.timedelta(days=20)
    assert first.duration == 40 * 60 and first.distance == 7000
    for w in workouts:
        Workout.model_validate(w.model_dump())
        steps = sum(s.repeats * sum(st.duration_value or 0 for st in s.steps) for s in w.segments)
        assert steps == w.duration


async def test_each_week_request_carries_only_that_week() -> None:
    llm = ScriptedLLM(responder=good_responder())
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            await collect(engine, plan_request(3))
    assert len(llm.requests) == 3
    for body in llm.requests:
        week = week_of(body)
        user = body["messages"][1]["content"]
        assert f"W{week} D1" in user and all(f"W{n} " not in user for n in {1, 2, 3} - {week})
        assert PRINCIPLE in body["messages"][0]["content"]
        assert body["stream"] is True and body["model"] == "scripted"
        schema = body["response_format"]["json_schema"]
        assert schema["strict"] is True and schema["schema"]["required"] == ["week", "workouts"]
    # The system prompt is byte-identical across weeks, so servers can cache the prefix.
    assert len({body["messages"][0]["content"] for body in llm.requests}) == 1


async def test_tokens_per_workout_stay_small() -> None:
    llm = ScriptedLLM(responder=good_responder())
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            events = await collect(engine, plan_request(4))
            usage = engine.usage
    count = sum(isinstance(e, WorkoutReady) for e in events)
    prompt = sum(u["prompt_tokens"] for u in llm.usages) / count
    completion = sum(u["completion_tokens"] for u in llm.usages) / count
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        sum(u["prompt_tokens"] for u in llm.usages),
        sum(u["completion_tokens"] for u in llm.usages),
    )
    # Measured: ~90 prompt and ~106 completion tokens per workout (the scripted server's
    # tokenizer counts every JSON mark as a token, so real BPE counts are lower).
    assert prompt < 120, prompt
    assert completion < 130, completion


async def test_athlete_thresholds_become_concrete_targets() -> None:
    llm = ScriptedLLM(responder=good_responder())
    request = plan_request(1, athlete={"threshold_pace_s_per_km": 270, "threshold_hr": 170})
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            events = await collect(engine, request)
    workouts = [e.workout for e in events if isinstance(e, WorkoutReady)]
    target = workouts[1].segments[1].steps[0].target
    assert target is not None and target.type == "pace" and target.zone == 4
    assert target.low is not None and target.high is not None and target.low < 270 < target.high
    assert not [e for e in events if isinstance(e, PlanWarning)]


async def test_draft_streams_text_and_progress() -> None:
    text = "Week 1 — base (focus: easy volume)\nW1 D1 Easy run, 40 min, 7.0 km\n"
    llm = ScriptedLLM(Reply(text), tokens_per_s=2000)
    request = plan_request(1)
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            events = [e async for e in engine.draft(context(request))]
    assert events[0] == DraftProgress("prompt", "Prompt built", 5)
    assert events[1].status == "generating"
    assert events[-1] == DraftProgress("done", "Draft written", 100)
    # A valid draft goes out as written, one line at a time as each line closes.
    pieces = [e.text for e in events if isinstance(e, DraftText)]
    assert pieces == text.splitlines(keepends=True)
    progress = [e.progress for e in events if isinstance(e, DraftProgress)]
    assert progress == sorted(progress)
    body = llm.requests[0]
    assert "response_format" not in body
    assert PRINCIPLE in body["messages"][0]["content"]
    assert "Two quality sessions per week." in body["messages"][1]["content"]
    assert "intermediate" in body["messages"][1]["content"]


async def test_a_draft_the_llm_never_writes_is_written_by_the_built_in_planner() -> None:
    llm = ScriptedLLM(responder=lambda body: Reply(""))
    request = plan_request(3)
    with serve_app(llm.app) as url:
        async with engine_for(url, llm_repair_attempts=1) as engine:
            events = [e async for e in engine.draft(context(request))]
    assert len(llm.requests) == 2  # the answer, one re-ask
    text = "".join(e.text for e in events if isinstance(e, DraftText))
    for week in (1, 2, 3):
        assert f"# Week {week} was written by the built-in planner" in text
    assert parse_draft(text, weeks=3).total >= 9
    assert events[-1] == DraftProgress("done", "Draft written", 100)
    assert any(isinstance(e, DraftProgress) and e.status == "repairing" for e in events)


async def test_a_draft_with_missing_weeks_is_asked_again_for_those_weeks_only() -> None:
    week1 = "Week 1 — base (focus: easy)\nW1 D1 Easy run, 40 min, 7 km\nW1 D9 Long run, 90 min\n"
    week2 = "Week 2 — build (focus: more)\nW2 D3 Tempo 20 min @ Z3, 45 min, 9 km\n"
    llm = ScriptedLLM(Reply("Sure! Here is your plan:\n" + week1), Reply(week2))
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            events = [e async for e in engine.draft(context(plan_request(2)))]
    text = "".join(e.text for e in events if isinstance(e, DraftText))
    # Chatter and the day outside the week stay out; the re-ask names them and week 2.
    assert text == "Week 1 — base (focus: easy)\nW1 D1 Easy run, 40 min, 7 km\n" + week2
    feedback = llm.requests[1]["messages"][-1]["content"]
    assert "D9 is not a day of the week" in feedback and "only week 2" in feedback


async def test_draft_without_workout_lines_fails_before_any_request() -> None:
    from coach.engines.base import EngineError

    llm = ScriptedLLM()
    request = plan_request(2, draft="Week 1 — base\njust run a bit\n")
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            events = []
            with pytest.raises(EngineError, match="refined_draft: no line could be read"):
                async for event in engine.plan(context(request)):
                    events.append(event)
    # No plan, so no total and no events at all; the error says what is wrong.
    assert events == []
    assert llm.requests == []


async def test_aclose_closes_the_client() -> None:
    llm = ScriptedLLM()
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            assert isinstance(engine, LLMEngine)
        assert engine.client.is_closed()
    assert json.dumps(llm.requests) == "[]"
