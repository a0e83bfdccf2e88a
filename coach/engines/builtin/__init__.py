"""The built-in engine: a deterministic coach that needs no network and no model."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

from coach.engines.base import (
    DraftContext,
    DraftEvent,
    DraftProgress,
    DraftText,
    PlanContext,
    PlanEngine,
    PlanEvent,
    PlanTotal,
    PlanWarning,
    WeekDone,
    WorkoutReady,
)
from coach.engines.builtin.draft import draft_pieces, generate, write_draft
from coach.engines.builtin.reconcile import BuiltPlan, build_plan
from coach.plans.instructions import Instructions, RaceGoal, parse_instructions
from coach.plans.weeks import by_week

__all__ = [
    "BuiltPlan",
    "BuiltinEngine",
    "Instructions",
    "RaceGoal",
    "build_plan",
    "parse_instructions",
    "write_draft",
]


class BuiltinEngine(PlanEngine):
    """Thin async wrapper: the work happens in write_draft and build_plan, synchronously,
    because a whole 52-week plan takes milliseconds."""

    name = "builtin"

    def __init__(self, principles_dir: Path) -> None:
        # A free-text principle keeps the rules of the default principle in this directory.
        self.principles_dir = principles_dir

    async def draft(self, ctx: DraftContext) -> AsyncGenerator[DraftEvent, None]:
        yield DraftProgress(
            status="planning", message="Laying out weeks, days and volumes", progress=5
        )
        gen = generate(ctx, principles_dir=self.principles_dir)
        pieces = draft_pieces(ctx, gen)
        for index, piece in enumerate(pieces):
            yield DraftText(piece)
            if index and index % 4 == 0 and index < len(pieces) - 1:
                yield DraftProgress(
                    status="writing",
                    message=f"Wrote week {index}",
                    progress=5 + 90 * index // len(pieces),
                )
        yield DraftProgress(status="done", message="Draft ready", progress=100)

    async def plan(self, ctx: PlanContext) -> AsyncGenerator[PlanEvent, None]:
        built = build_plan(ctx, ctx.request.refined_draft, principles_dir=self.principles_dir)
        yield PlanTotal(len(built.workouts))
        for message in built.warnings:
            yield PlanWarning(message)
        weeks = by_week(built.workouts)
        for week in sorted(built.weekly_info):
            for workout in weeks.get(week, []):
                yield WorkoutReady(workout)
            yield WeekDone(week, built.weekly_info[week])
