"""Bad LLM answers: re-asked with the errors fed back, then repaired or failed, never passed on."""

from __future__ import annotations

import socket

import pytest

from coach.engines.base import EngineError, PlanTotal, PlanWarning, WorkoutReady
from tests.engine_llm.answers import (
    LINES,
    collect,
    draft_text,
    engine_for,
    good_responder,
    plan_request,
    week_answer,
)
from tests.support.faithful_llm import faithful_responder
from tests.support.live import serve_app
from tests.support.scripted_llm import Reply, ScriptedLLM

pytestmark = pytest.mark.anyio

GOOD = week_answer(1)
NINE_HOURS = {
    "min": 540,
    "seg": [{"k": "main", "x": 1, "st": [{"i": "active", "min": 540, "z": 2}]}],
}


def _messages_text(body: dict) -> str:
    return "\n".join(str(m["content"]) for m in body["messages"])


def _workouts(events: list) -> list:
    return [e.workout for e in events if isinstance(e, WorkoutReady)]


def _warnings(events: list) -> list[str]:
    return [e.message for e in events if isinstance(e, PlanWarning)]


async def _run(llm: ScriptedLLM, weeks: int = 1, **settings: object) -> list:
    with serve_app(llm.app) as url:
        async with engine_for(url, **settings) as engine:
            return await collect(engine, plan_request(weeks))


async def test_invalid_json_is_re_asked_with_the_error() -> None:
    llm = ScriptedLLM(Reply("Sure! Here is your plan: none"), Reply(GOOD))
    events = await _run(llm)
    assert len(llm.requests) == 2
    second = llm.requests[1]["messages"]
    assert second[2] == {"role": "assistant", "content": "Sure! Here is your plan: none"}
    assert "the answer is not JSON" in second[3]["content"]
    assert "1, 3, 4, 5, 7" in second[3]["content"]
    assert len(_workouts(events)) == events[0].total == len(LINES)


async def test_truncated_answer_keeps_closed_workouts_and_asks_for_the_rest() -> None:
    cut = GOOD[: GOOD.index('{"d":5')] + '{"d":5,"t":"easy-'
    llm = ScriptedLLM(Reply(cut, finish_reason="length"), Reply(GOOD))
    events = await _run(llm)
    feedback = llm.requests[1]["messages"][-1]["content"]
    assert "not complete JSON" in feedback
    assert "Days 1, 3, 4 are accepted already" in feedback
    assert "only days 5, 7" in feedback
    workouts = _workouts(events)
    assert [w.day for w in workouts] == list(LINES)
    assert isinstance(events[0], PlanTotal) and events[0].total == len(workouts)


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (week_answer(1, changes={1: NINE_HOURS}), "the plan line says 40 min, not 540 min"),
        (week_answer(1, changes={1: {"min": 55}}), "min is 55 but the segments add up to 40"),
        (
            week_answer(1, changes={4: {"t": "tempo"}}),
            "the plan line is a easy-run session, not a tempo",
        ),
        (week_answer(1, label=2), '"week" is 2 but this is week 1'),
        (week_answer(1, changes={5: {"km": 30}}), "the plan line says 7 km, not 30 km"),
        (week_answer(1, changes={3: {"t": "swimming"}}), "day 3: field t"),
        (
            week_answer(1, changes={3: {"t": "long-run"}}),
            "the plan line is a intervals session, not a long-run",
        ),
    ],
    ids=[
        "nine-hour-easy-run",
        "totals",
        "back-to-back",
        "wrong-week",
        "distance",
        "schema",
        "changed-session",
    ],
)
async def test_implausible_answer_is_re_asked_with_the_error(bad: str, error: str) -> None:
    llm = ScriptedLLM(Reply(bad), Reply(GOOD))
    events = await _run(llm)
    assert len(llm.requests) == 2
    assert error in _messages_text(llm.requests[1])
    workouts = _workouts(events)
    assert [w.day for w in workouts] == list(LINES)
    assert workouts[0].duration == 40 * 60 and workouts[2].type == "easy-run"
    assert all(w.week == 1 for w in workouts)


async def test_last_attempt_repairs_what_has_a_safe_fix() -> None:
    bad = week_answer(
        1,
        label=3,
        changes={
            1: NINE_HOURS,
            4: {"t": "tempo"},
            5: {"km": 30, "min": 38},
        },
    )
    llm = ScriptedLLM(responder=lambda body: Reply(bad))
    events = await _run(llm, llm_repair_attempts=1)
    assert len(llm.requests) == 2
    workouts = _workouts(events)
    assert [w.day for w in workouts] == list(LINES)
    assert workouts[0].duration == 40 * 60
    assert workouts[2].type == "easy-run"  # the later of the two hard days
    assert workouts[3].distance == 7000 and workouts[3].duration == 40 * 60
    warnings = "\n".join(_warnings(events))
    assert "scaled to 40 min" in warnings
    assert "the LLM wrote a tempo; built the draft's easy-run instead" in warnings
    assert "set to the draft's 7" in warnings
    assert "kept as week 1" in warnings


async def test_back_to_back_hard_days_of_the_draft_are_kept_with_a_warning() -> None:
    lines = {**LINES, 4: ("Tempo 20 min", "tempo", 50, 9.0)}
    draft = draft_text(1, lines)
    llm = ScriptedLLM(responder=faithful_responder)
    with serve_app(llm.app) as url:
        async with engine_for(url, llm_repair_attempts=0) as engine:
            events = await collect(engine, plan_request(1, draft=draft))
    assert len(llm.requests) == 1
    workouts = _workouts(events)
    # The draft is the coach's: two hard days stay two hard days, and the plan says so.
    assert [w.type for w in workouts][1:3] == ["intervals", "tempo"]
    assert workouts[2].duration == 50 * 60 and len(workouts) == events[0].total
    assert any(
        w.startswith("coaching rule broken by the draft: week 1 day 4: back-to-back-hard")
        for w in _warnings(events)
    )


async def test_extra_workout_is_dropped_with_a_warning() -> None:
    lines = {**LINES, 2: ("Easy run", "easy-run", 40, 7.0)}
    llm = ScriptedLLM(Reply(week_answer(1, lines)))
    events = await _run(llm)
    assert len(llm.requests) == 1
    assert [w.day for w in _workouts(events)] == list(LINES)
    assert any("day 2 has no line in week 1" in w for w in _warnings(events))


async def test_garbage_forever_gives_a_plan_from_the_draft_lines_after_bounded_attempts() -> None:
    llm = ScriptedLLM(responder=lambda body: Reply("{garbage"))
    events = await _run(llm, llm_repair_attempts=2)
    assert len(llm.requests) == 3
    workouts = _workouts(events)
    assert [w.day for w in workouts] == list(LINES) == [w.day for w in workouts]
    assert {w.source for w in workouts} == {"builtin"}
    for w in workouts:
        title, type_, minutes, km = LINES[w.day]
        assert (w.title, w.type, w.duration, w.distance) == (title, type_, minutes * 60, km * 1000)
    warnings = _warnings(events)
    for day in LINES:
        assert any(f"week 1 day {day}: built from its draft line" in w for w in warnings)


async def test_missing_workout_is_built_from_its_draft_line_after_the_re_asks() -> None:
    short = {d: v for d, v in LINES.items() if d != 7}
    llm = ScriptedLLM(responder=lambda body: Reply(week_answer(1, short)))
    events = await _run(llm, llm_repair_attempts=1)
    assert len(llm.requests) == 2
    assert "no valid workout yet for day(s) 7" in _messages_text(llm.requests[1])
    workouts = _workouts(events)
    assert len(workouts) == events[0].total == len(LINES)
    long_run = workouts[-1]
    assert (long_run.day, long_run.type, long_run.duration) == (7, "long-run", 70 * 60)
    assert any("day 7: built from its draft line" in w for w in _warnings(events))
    assert long_run.source == "builtin"


async def test_missing_workout_without_minutes_gets_a_typical_length() -> None:
    draft = "Week 1 — base\nW1 D1 Easy run, 40 min, 7 km\nW1 D3 Long run\n"
    one = {1: LINES[1]}
    llm = ScriptedLLM(responder=lambda body: Reply(week_answer(1, one)))
    with serve_app(llm.app) as url:
        async with engine_for(url, llm_repair_attempts=1) as engine:
            events = await collect(engine, plan_request(1, draft=draft))
    assert len(llm.requests) == 2
    long_run = _workouts(events)[-1]
    assert (long_run.day, long_run.type, long_run.source) == (3, "long-run", "builtin")
    assert long_run.duration >= 40 * 60
    assert any("week 1 day 3: built from its draft line" in w for w in _warnings(events))


async def test_server_errors_are_retried_by_the_sdk_then_fail() -> None:
    llm = ScriptedLLM(responder=lambda body: Reply("overloaded", status=500))
    with pytest.raises(EngineError, match="answered HTTP 500"):
        await _run(llm, llm_max_retries=2)
    # Transport failures are the SDK's to retry; the engine does not re-ask on top.
    assert len(llm.requests) == 3


async def test_one_server_error_is_absorbed_by_the_sdk() -> None:
    llm = ScriptedLLM(Reply("blip", status=503), responder=good_responder())
    events = await _run(llm, llm_max_retries=2)
    assert len(llm.requests) == 2 and len(_workouts(events)) == len(LINES)


async def test_server_down_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with engine_for(f"http://127.0.0.1:{port}") as engine:
        with pytest.raises(EngineError, match="cannot reach the LLM server") as failure:
            await collect(engine, plan_request(1))
    # The message reaches tenants: it names no address.
    assert "127.0.0.1" not in str(failure.value)


async def test_slow_server_times_out_with_a_clear_error() -> None:
    llm = ScriptedLLM(responder=lambda body: Reply(GOOD, first_token_delay=3))
    with pytest.raises(EngineError, match="timed out"):
        await _run(llm, llm_timeout_s=0.5)


async def test_hard_days_across_a_week_boundary_are_kept_and_reported_in_plan_order() -> None:
    lines = {
        1: ("Tempo 20 min", "tempo", 50, 9.0),
        3: ("Easy run", "easy-run", 40, 7.0),
        4: ("Easy run", "easy-run", 40, 7.0),
        5: ("Easy run", "easy-run", 40, 7.0),
        7: ("Intervals 6x3 min", "intervals", 50, 9.0),
    }
    llm = ScriptedLLM(
        responder=lambda body: Reply(
            week_answer(int(body["messages"][1]["content"].split()[1]), lines)
        )
    )
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            events = await collect(engine, plan_request(2, draft=draft_text(2, lines)))
    workouts = _workouts(events)
    assert workouts[0].type == "tempo"  # nothing hard before week 1 day 1
    week2_day1 = workouts[5]
    assert (week2_day1.week, week2_day1.day, week2_day1.type) == (2, 1, "tempo")
    assert week2_day1.duration == 50 * 60
    assert any(
        "broken by the draft: week 2 day 1: back-to-back-hard" in w for w in _warnings(events)
    )
