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
from coach.engines.offload import Offload, as_engine_error
from coach.errors import BadRequest
from coach.plans.deadline import Deadline
from coach.plans.draft_format import MAX_LINE_CHARS
from coach.plans.instructions import Instructions, RaceGoal, parse_instructions
from coach.plans.plan_lines import read_plan_lines
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
    """Thin async wrapper: the work happens in write_draft and build_plan, in a worker
    thread (`Offload`), so a 52-week plan from a 200,000-character draft never holds the
    event loop."""

    name = "builtin"

    def __init__(
        self,
        principles_dir: Path,
        *,
        offload: Offload | None = None,
        max_line_chars: int = MAX_LINE_CHARS,
    ) -> None:
        # A free-text principle keeps the rules of the default principle in this directory.
        self.principles_dir = principles_dir
        self.offload = offload or Offload.default()
        self.max_line_chars = max_line_chars

    async def check_plan_request(self, ctx: PlanContext) -> None:
        request = ctx.request
        await self.offload.run(
            "reading the draft",
            read_plan_lines,
            request.refined_draft,
            weeks=request.weeks,
            sport=request.sport,
            first_weekday=request.start_date.weekday() if request.start_date else 0,
            max_line_chars=self.max_line_chars,
        )

    async def draft(self, ctx: DraftContext) -> AsyncGenerator[DraftEvent, None]:
        yield DraftProgress(
            status="planning", message="Laying out weeks, days and volumes", progress=5
        )

        def write(deadline: Deadline) -> list[str]:
            gen = generate(ctx, principles_dir=self.principles_dir, deadline=deadline)
            return draft_pieces(ctx, gen)

        pieces = await self.offload.run("planning the draft", write)
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
        try:
            built = await self.offload.run(
                "planning",
                build_plan,
                ctx,
                ctx.request.refined_draft,
                principles_dir=self.principles_dir,
                max_line_chars=self.max_line_chars,
            )
        except BadRequest as exc:
            raise as_engine_error(exc) from None
        yield PlanTotal(len(built.workouts))
        for message in built.warnings:
            yield PlanWarning(message)
        weeks = by_week(built.workouts)
        for week in sorted(built.weekly_info):
            for workout in weeks.get(week, []):
                yield WorkoutReady(workout)
            yield WeekDone(week, built.weekly_info[week])
