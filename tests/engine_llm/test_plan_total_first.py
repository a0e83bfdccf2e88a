"""Both engines announce the plan's size before anything else, even when the draft has
lines they cannot read: a client's progress bar knows its total from the first event."""

from __future__ import annotations

import pytest

from coach.engines.base import PlanEngine, PlanEvent, PlanTotal, PlanWarning, WorkoutReady
from coach.engines.builtin import BuiltinEngine
from coach.principles import default_principles_dir
from tests.engine_llm.answers import LINES, context, draft_text, engine_for, good_responder
from tests.engine_llm.answers import plan_request as llm_plan_request
from tests.support.live import serve_app
from tests.support.scripted_llm import ScriptedLLM

pytestmark = pytest.mark.anyio

# Two weeks of readable lines, then one line no engine can read.
DRAFT = draft_text(2) + "\nW2 D2 zzz qqq\n"


async def _events(engine: PlanEngine) -> list[PlanEvent]:
    request = llm_plan_request(2, draft=DRAFT)
    return [event async for event in engine.plan(context(request))]


def _assert_total_first(events: list[PlanEvent]) -> None:
    assert isinstance(events[0], PlanTotal)
    workouts = [e for e in events if isinstance(e, WorkoutReady)]
    assert events[0].total == len(workouts) == 2 * len(LINES)
    unreadable = [
        i for i, e in enumerate(events) if isinstance(e, PlanWarning) and "zzz qqq" in e.message
    ]
    assert len(unreadable) == 1 and unreadable[0] > 0


async def test_builtin_engine_sends_the_total_before_the_draft_warnings() -> None:
    _assert_total_first(await _events(BuiltinEngine(default_principles_dir())))


async def test_llm_engine_sends_the_total_before_the_draft_warnings() -> None:
    llm = ScriptedLLM(responder=good_responder())
    with serve_app(llm.app) as url:
        async with engine_for(url) as engine:
            _assert_total_first(await _events(engine))
