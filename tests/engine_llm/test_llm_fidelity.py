"""The coach's draft is law for the LLM engine too: against a scripted server that answers
from the draft lines, a plan from an edited built-in draft is the edit, field for field, or
a warning names the line, the field and both numbers (the same property as the built-in
engine's, tests/engine/test_builtin_fidelity.py)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.engines.base import GenerationContext, PlanWarning, WorkoutReady
from coach.plans.models import Workout
from coach.plans.requests import GenerationRequest, PlanRequest
from coach.principles import resolve
from tests.engine_llm.answers import engine_for
from tests.support.draft_edits import Draft, check_plan, edit, from_builtin
from tests.support.faithful_llm import faithful_responder
from tests.support.live import serve_app
from tests.support.scripted_llm import ScriptedLLM

THRESHOLDS = {"threshold_pace_s_per_km": 270, "threshold_hr": 170, "max_hr": 190, "ftp_w": 250}
LEVELS = ("beginner", "intermediate", "advanced")
SPORTS = ("running", "cycling", "swimming", "triathlon")


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    llm = ScriptedLLM(responder=faithful_responder)
    with serve_app(llm.app) as url:
        yield url


def _fields(level: str, sport: str, thresholds: bool, weeks: int) -> dict[str, Any]:
    return {
        "weeks": weeks,
        "experience_level": level,
        "organization_id": 1,
        "sport": sport,
        "athlete": THRESHOLDS if thresholds else None,
        "start_date": "2026-01-07",
    }


@lru_cache(maxsize=64)
def _draft_ctx(level: str, sport: str, thresholds: bool, weeks: int) -> GenerationContext:
    request = GenerationRequest.model_validate(_fields(level, sport, thresholds, weeks))
    principle = resolve(override=None, coach_setting=None, organization_setting=None)
    return GenerationContext(request=request, principle=principle)


def _plan(url: str, ctx: GenerationContext, text: str) -> tuple[list[Workout], list[str]]:
    request = PlanRequest.model_validate(
        {**ctx.request.model_dump(mode="json"), "refined_draft": text}
    )
    plan_ctx = GenerationContext(request=request, principle=ctx.principle)

    async def run() -> list[Any]:
        async with engine_for(url, llm_repair_attempts=1) as engine:
            return [event async for event in engine.plan(plan_ctx)]

    events = anyio.run(run)
    workouts = [e.workout for e in events if isinstance(e, WorkoutReady)]
    return workouts, [e.message for e in events if isinstance(e, PlanWarning)]


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    level=st.sampled_from(LEVELS),
    sport=st.sampled_from(SPORTS),
    thresholds=st.booleans(),
    weeks=st.integers(2, 3),
    data=st.data(),
)
def test_the_llm_plan_is_the_edited_draft_or_says_where_not(
    llm_url: str, level: str, sport: str, thresholds: bool, weeks: int, data: st.DataObject
) -> None:
    ctx = _draft_ctx(level, sport, thresholds, weeks)
    draft: Draft = from_builtin(ctx)
    done = [edit(data.draw, draft) for _ in range(data.draw(st.integers(1, 6)))]
    if not draft.lines:
        return
    workouts, warnings = _plan(llm_url, ctx, draft.render())
    report = check_plan(draft, workouts, warnings)
    assert report.unexplained == [], (done, report.unexplained, warnings)


@pytest.mark.parametrize("sport", SPORTS)
def test_an_unedited_built_in_draft_is_kept_exactly(llm_url: str, sport: str) -> None:
    ctx = _draft_ctx("intermediate", sport, True, 3)
    draft = from_builtin(ctx)
    workouts, warnings = _plan(llm_url, ctx, draft.render())
    report = check_plan(draft, workouts, warnings)
    assert report.differences == [], report.differences
    assert {w.source for w in workouts} == {"ai"}
    assert not [w for w in warnings if w.startswith(("line", "week"))], warnings
