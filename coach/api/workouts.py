"""`/v2/workouts`: the organization's workout templates (its library), and file exports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from coach.accounts import Caller
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.responses import model_response
from coach.api.security import owned
from coach.api.validation import path_int
from coach.db.tables import WorkoutTemplateRow
from coach.errors import BadRequest
from coach.providers import registry as providers
from coach.services import Services, services_of
from coach.templates.fit import template_to_fit
from coach.templates.models import CoercionWarning, WorkoutTemplate, WorkoutTemplateRequest
from coach.templates.zwo import template_to_zwo


class StoredWorkout(BaseModel):
    workout_id: int
    workout_template: WorkoutTemplate


class WorkoutList(BaseModel):
    workouts: list[StoredWorkout]


class DeletedWorkout(BaseModel):
    workout_id: int
    deleted: bool = True


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["fit", "zwo", "json"] = "fit"
    ftp_w: int | None = Field(
        default=None, gt=30, lt=700, description="zwo: the rider's FTP when targets are in W"
    )


def _stored(row: WorkoutTemplateRow) -> StoredWorkout:
    return StoredWorkout(
        workout_id=row.id or 0, workout_template=WorkoutTemplate.model_validate(row.template)
    )


async def workout_for(services: Services, caller: Caller, workout_id: int) -> StoredWorkout:
    """The caller's organization's template `workout_id`; 404 otherwise."""
    return _stored(await _row(services, caller, workout_id))


async def _row(services: Services, caller: Caller, workout_id: int) -> WorkoutTemplateRow:
    row = await services.db.run(lambda s: s.get(WorkoutTemplateRow, workout_id))
    return owned(row, caller, f"workout {workout_id}")


async def _load(request: Request, caller: Caller) -> WorkoutTemplateRow:
    return await _row(services_of(request), caller, path_int(request, "workout_id"))


async def create_workout(call: Call[WorkoutTemplateRequest, None]) -> Response:
    caller = call.caller
    template = call.body.workout_template

    def store(session: Session) -> WorkoutTemplateRow:
        row = WorkoutTemplateRow(
            organization_id=caller.organization_id,
            name=template.name,
            sport=template.sport,
            template=template.model_dump(mode="json", exclude_none=True),
        )
        session.add(row)
        session.flush()
        return row

    row = await call.services.db.run(store)
    return model_response(_stored(row))


async def workout_list(services: Services, caller: Caller) -> WorkoutList:
    """The caller's organization's template library, by id."""
    rows = await services.db.run(
        lambda s: s.exec(
            select(WorkoutTemplateRow)
            .where(WorkoutTemplateRow.organization_id == caller.organization_id)
            .order_by(col(WorkoutTemplateRow.id))
        ).all()
    )
    return WorkoutList(workouts=[_stored(r) for r in rows])


async def list_workouts(call: Call[None, None]) -> Response:
    return model_response(await workout_list(call.services, call.caller))


async def get_workout(call: Call[None, None]) -> Response:
    return model_response(_stored(await _load(call.request, call.caller)))


async def delete_workout(call: Call[None, None]) -> Response:
    row = await _load(call.request, call.caller)

    def delete(session: Session) -> None:
        stored = session.get(WorkoutTemplateRow, row.id)
        if stored is not None:
            session.delete(stored)

    await call.services.db.run(delete)
    return model_response(DeletedWorkout(workout_id=row.id or 0))


class PreviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(
        min_length=1,
        max_length=32,
        description="A provider (terra, shape, fit, ics) or a device/format behind one "
        "(garmin, wahoo, coros, zwift).",
    )
    device_provider: str | None = Field(
        default=None, max_length=32, description="terra: the device platform behind the connection."
    )


class Preview(BaseModel):
    workout_template: WorkoutTemplate
    coercion_warnings: list[CoercionWarning]


async def preview_workout(call: Call[None, PreviewQuery]) -> Response:
    """The template as a provider would take it, and what it would change; nothing is sent."""
    row = await _load(call.request, call.caller)
    template = WorkoutTemplate.model_validate(row.template)
    return model_response(preview_template(template, call.query))


def preview_template(template: WorkoutTemplate, query: PreviewQuery) -> Preview:
    """The template as the provider of `query` would take it, and what that changes; a
    provider nobody knows is a 400 on `provider`."""
    settings = {"device_provider": query.device_provider} if query.device_provider else None
    try:
        coerced, warnings = providers.preview(template, query.provider, settings)
    except (LookupError, ValueError) as exc:
        raise BadRequest.field("provider", str(exc)) from exc
    return Preview(workout_template=coerced, coercion_warnings=warnings)


_MEDIA = {
    "fit": ("application/vnd.ant.fit", "fit"),
    "zwo": ("application/xml", "zwo"),
    "json": ("application/json", "json"),
}


async def export_workout(call: Call[None, ExportQuery]) -> Response:
    query = call.query
    row = await _load(call.request, call.caller)
    template = WorkoutTemplate.model_validate(row.template)
    if query.format == "fit":
        data = template_to_fit(template)
    elif query.format == "zwo":
        try:
            data = template_to_zwo(template, ftp_w=query.ftp_w)
        except ValueError as exc:
            raise BadRequest.field("format", str(exc)) from exc
    else:
        data = (
            WorkoutTemplateRequest(workout_template=template)
            .model_dump_json(exclude_none=True, indent=2)
            .encode()
        )
    media_type, extension = _MEDIA[query.format]
    filename = f"workout-{row.id}.{extension}"
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_V2_ERRORS = (400, 401, 403, 404, 413)

ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v2/workouts",
        create_workout,
        "Create a workout template",
        "workouts",
        body=WorkoutTemplateRequest,
        response=StoredWorkout,
        errors=_V2_ERRORS,
    ),
    Endpoint(
        "GET",
        "/v2/workouts",
        list_workouts,
        "The organization's workout templates",
        "workouts",
        response=WorkoutList,
        errors=(401, 403),
    ),
    Endpoint(
        "GET",
        "/v2/workouts/{workout_id}",
        get_workout,
        "One workout template",
        "workouts",
        response=StoredWorkout,
    ),
    Endpoint(
        "DELETE",
        "/v2/workouts/{workout_id}",
        delete_workout,
        "Delete a workout template",
        "workouts",
        response=DeletedWorkout,
    ),
    Endpoint(
        "POST",
        "/v2/workouts/{workout_id}/preview",
        preview_workout,
        "Preview the template a provider would get, with its coercion warnings",
        "workouts",
        query=PreviewQuery,
        response=Preview,
    ),
    Endpoint(
        "GET",
        "/v2/workouts/{workout_id}/export",
        export_workout,
        "Download a workout template as a FIT, ZWO or JSON file",
        "workouts",
        query=ExportQuery,
        media_type="application/octet-stream",
    ),
]
