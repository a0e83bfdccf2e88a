"""The async BuiltinEngine yields the engine events in the order the interface promises."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from builtin_helpers import MakeCtx

from coach.engines.base import (
    DraftProgress,
    DraftText,
    PlanEngine,
    PlanTotal,
    PlanWarning,
    WeekDone,
    WorkoutReady,
)
from coach.engines.builtin import BuiltinEngine, build_plan, write_draft
from coach.plans.requests import PlanRequest
from coach.principles import default_principles_dir


async def _collect(stream) -> list:
    return [event async for event in stream]


def test_draft_events(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(weeks=6)
    engine = BuiltinEngine(default_principles_dir())
    assert isinstance(engine, PlanEngine) and engine.name == "builtin"
    events = asyncio.run(_collect(engine.draft(ctx)))
    assert isinstance(events[0], DraftProgress) and events[-1].progress == 100
    texts = [e.text for e in events if isinstance(e, DraftText)]
    assert len(texts) == 7  # intro + one piece per week
    assert "".join(texts) == write_draft(ctx)


def test_plan_events(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(weeks=4, instructions="10k race")
    draft = write_draft(ctx) + "gibberish line\n"
    request = PlanRequest(**ctx.request.model_dump(), refined_draft=draft)
    plan_ctx = replace(ctx, request=request)
    events = asyncio.run(_collect(BuiltinEngine(default_principles_dir()).plan(plan_ctx)))
    assert isinstance(events[0], PlanTotal)
    workouts = [e.workout for e in events if isinstance(e, WorkoutReady)]
    assert events[0].total == len(workouts) == len(build_plan(ctx, draft).workouts)
    assert any(isinstance(e, PlanWarning) and "gibberish" in e.message for e in events)
    order = [(w.week, w.day) for w in workouts]
    assert order == sorted(order)
    done = [e for e in events if isinstance(e, WeekDone)]
    assert [d.week for d in done] == [1, 2, 3, 4]
    for d in done:
        position = events.index(d)
        after = [e.workout.week for e in events[position:] if isinstance(e, WorkoutReady)]
        before = [e.workout.week for e in events[:position] if isinstance(e, WorkoutReady)]
        assert d.week not in after and d.week in before
        assert d.info.total_distance == sum(w.distance for w in workouts if w.week == d.week)
