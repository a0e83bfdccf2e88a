"""The context a generation runs in: the request, the principle in force, the library."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlmodel import Session, select

from coach.accounts import Caller
from coach.db.database import Database
from coach.db.tables import Organization, WorkoutTemplateRow
from coach.engines.base import GenerationContext, PlanEngine
from coach.plans.models import Workout
from coach.plans.requests import GenerationRequest
from coach.principles import resolve
from coach.settings import Settings
from coach.templates.convert import template_to_workout
from coach.templates.models import WorkoutTemplate


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
