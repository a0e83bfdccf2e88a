"""`GET /v1/coach/plans/{plan_id}/preview`: what an athlete's connection would receive of
each workout of a plan, and what the provider's constraints would change (coercion
warnings), before anything is pushed. Nothing is sent."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.responses import Response

from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import load_plan
from coach.api.responses import model_response
from coach.api.security import owned
from coach.db.tables import AthleteRow, ConnectionRow
from coach.errors import BadRequest, NotFound
from coach.plans.models import Workout
from coach.providers import registry as providers
from coach.providers.base import ProviderError
from coach.push.adapters import thresholds_of
from coach.templates.convert import workout_to_template
from coach.templates.models import CoercionWarning
from coach.types import DbId


class PlanPreviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection_id: DbId = Field(
        description="The athlete's connection: its provider, its settings (a Terra device "
        "platform) and the athlete's thresholds decide what changes."
    )


class WorkoutPreview(BaseModel):
    week: int
    day: int
    title: str
    coercion_warnings: list[CoercionWarning] = Field(
        description="What the provider would change of this workout; empty: nothing."
    )


class PlanPreview(BaseModel):
    plan_id: str
    revision: int
    connection_id: int
    provider: str
    workouts: list[WorkoutPreview] = Field(description="Every workout of the plan, in order.")


async def preview_plan(call: Call[None, PlanPreviewQuery]) -> Response:
    plan = await load_plan(call.request, call.caller)
    caller, connection_id = call.caller, call.query.connection_id

    def load(session: Session) -> tuple[ConnectionRow, AthleteRow | None]:
        row = owned(session.get(ConnectionRow, connection_id), caller, "connection")
        if row.disconnected_at is not None:
            raise NotFound(f"connection {connection_id} not found")
        return row, session.get(AthleteRow, row.user_id)

    connection, athlete = await call.services.db.run(load)
    sport = plan.request.get("sport", "running")
    thresholds = thresholds_of(athlete)
    previews = []
    for data in plan.content:
        workout = Workout.model_validate(data)
        template = workout_to_template(workout, sport=sport)
        try:
            _, warnings = providers.preview(
                template, connection.provider, connection.settings, thresholds=thresholds
            )
        except ProviderError as exc:
            raise BadRequest.field("connection_id", exc.message) from exc
        previews.append(
            WorkoutPreview(
                week=workout.week, day=workout.day, title=workout.title, coercion_warnings=warnings
            )
        )
    return model_response(
        PlanPreview(
            plan_id=plan.id,
            revision=plan.revision,
            connection_id=connection_id,
            provider=connection.provider,
            workouts=previews,
        )
    )


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "GET",
        "/v1/coach/plans/{plan_id}/preview",
        preview_plan,
        "What a connection would receive of each workout of a plan (coercion warnings); "
        "nothing is sent",
        "push",
        query=PlanPreviewQuery,
        response=PlanPreview,
    ),
]
