"""Running a generation: the context an engine gets, and the plan its events add up to.

The synchronous endpoints and the SSE endpoints both go through here, so a plan is the
same whichever endpoint asked for it.
"""

from __future__ import annotations

import uuid
from typing import Protocol, TypeVar

import anyio
from sqlmodel import Session, select

from coach.accounts import Caller
from coach.db.database import Database
from coach.db.tables import Organization, WorkoutTemplateRow
from coach.engines.base import GenerationContext, PlanContext, PlanEngine
from coach.engines.events import PlanAccumulator
from coach.plans.models import Workout
from coach.plans.requests import GenerationRequest, PlanRequest, echo
from coach.plans.store import fail_plan, finish_plan, start_plan
from coach.principles import resolve
from coach.settings import Settings
from coach.templates.convert import template_to_workout
from coach.templates.models import WorkoutTemplate

# PlanAccumulator and echo live lower down (coach.engines.events, coach.plans.requests);
# they are re-exported for the API modules that import them from here.
__all__ = [
    "PlanAccumulator",
    "build_context",
    "echo",
    "library_workouts",
    "record_failure",
    "record_finish",
    "record_start",
]


class GenerationServices(Protocol):
    """What a generation needs of the app's services (coach.services.Services has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def engine(self) -> PlanEngine: ...


def library_workouts(session: Session, organization_id: int) -> list[Workout]:
    """The organization's templates as plan workouts, for prefer/strict_existing."""
    rows = session.exec(
        select(WorkoutTemplateRow).where(WorkoutTemplateRow.organization_id == organization_id)
    ).all()
    workouts = []
    for row in rows:
        template = WorkoutTemplate.model_validate(row.template)
        workouts.append(template_to_workout(template, week=1, day=1, phase="base"))
    return workouts


Request = TypeVar("Request", bound=GenerationRequest)


async def build_context(
    services: GenerationServices, caller: Caller, request: Request
) -> GenerationContext[Request]:
    """The context for `request`: a draft context for a GenerationRequest, a plan context
    (PlanContext) for a PlanRequest."""

    def load(session: Session) -> tuple[str | None, list[Workout]]:
        org = session.get(Organization, request.organization_id)
        assert org is not None
        library = (
            library_workouts(session, org.id or 0)
            if request.content_source != "ai_generate"
            else []
        )
        return org.training_principle, library

    org_principle, library = await services.db.run(load)
    principle = resolve(
        override=request.training_principle,
        coach_setting=caller.settings.get("training_principle"),
        organization_setting=org_principle,
        directory=services.settings.principles_dir,
    )
    return GenerationContext(request=request, principle=principle, library=library)


async def record_start(
    services: GenerationServices, caller: Caller, request: PlanRequest, ctx: PlanContext
) -> uuid.UUID:
    plan_id = uuid.uuid4()
    await services.db.run(
        lambda s: start_plan(
            s,
            plan_id=plan_id,
            organization_id=request.organization_id,
            member_id=caller.member_id,
            engine=services.engine.name,
            request=request.model_dump(mode="json"),
            training_principle=ctx.principle.text,
        )
    )
    return plan_id


async def record_finish(
    services: GenerationServices, plan_id: uuid.UUID, plan: PlanAccumulator
) -> None:
    await services.db.run(
        lambda s: finish_plan(
            s,
            plan_id=plan_id,
            workouts=plan.workouts,
            weekly_info=plan.weekly_info,
            warnings=plan.warnings,
        )
    )


async def record_failure(services: GenerationServices, plan_id: uuid.UUID, error: str) -> None:
    # Shielded: this also runs while the request is being cancelled (client went away).
    with anyio.CancelScope(shield=True):
        await services.db.run(lambda s: fail_plan(s, plan_id=plan_id, error=error))
