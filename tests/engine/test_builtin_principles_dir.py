"""The built-in engine made from settings keeps the default principle of their principles_dir
for a free-text principle, not the repository's."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from builtin_helpers import MakeCtx

from coach.engines import registry
from coach.engines.base import DraftText, PlanEngine, WorkoutReady
from coach.engines.builtin import BuiltinEngine
from coach.plans.requests import PlanRequest
from coach.principles import default_principles_dir
from coach.settings import Settings
from tests.support.principles import club_principles

FREE_TEXT = "Mostly easy running, one long run a week, build slowly."


async def _draft_and_long_sessions(engine: PlanEngine, make_ctx: MakeCtx) -> tuple[str, int]:
    """The draft, and the longest long run of the plan built from it, in minutes."""
    ctx = make_ctx(weeks=12, principle=FREE_TEXT)
    draft = "".join([e.text async for e in engine.draft(ctx) if isinstance(e, DraftText)])
    plan_ctx = replace(ctx, request=PlanRequest(**ctx.request.model_dump(), refined_draft=draft))
    longs = [
        e.workout.duration
        async for e in engine.plan(plan_ctx)
        if isinstance(e, WorkoutReady) and e.workout.type == "long-run"
    ]
    return draft, max(longs) // 60


def test_a_custom_principles_dir_sets_the_rules_of_a_free_text_principle(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    settings = Settings(_env_file=None, principles_dir=club_principles(tmp_path))  # type: ignore[call-arg]
    custom = asyncio.run(registry.create("builtin", settings))
    repository = BuiltinEngine(default_principles_dir())

    draft, longest = asyncio.run(_draft_and_long_sessions(custom, make_ctx))
    assert "the rules of club apply" in draft
    assert longest <= 60

    draft, longest = asyncio.run(_draft_and_long_sessions(repository, make_ctx))
    assert "the rules of polarized apply" in draft
    assert longest > 60
