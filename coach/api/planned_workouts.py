"""`/v2/plannedWorkouts`: a template on a date on an athlete's platform, pushed at once.

A row is written before the provider is called, so a push that dies half-way is never
lost: it stays `queued` with its idempotency key and the push worker finishes it. Moves
and deletes go through the same outbox (coach/push/direct.py): a row being pushed when
it is moved or deleted ends with the provider matching it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar
from starlette.requests import Request
from starlette.responses import Response

from coach.accounts import Caller
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.links import public_url
from coach.api.lookups import choose_connection, load_athlete
from coach.api.native_workouts import NativeWorkout, ProviderListError, native_workouts, window
from coach.api.responses import model_response
from coach.api.security import owned
from coach.api.validation import path_int
from coach.db.tables import AthleteRow, ConnectionRow, PlannedWorkoutRow, WorkoutTemplateRow
from coach.errors import NotFound
from coach.providers.base import Provider
from coach.push import direct
from coach.push.outbox import LISTED
from coach.services import services_of
from coach.templates.models import CoercionWarning
from coach.types import DbId

# Connections whose pushes are FIT files we keep (`file_url`): the file itself, or the file
# sent to AI Endurance with fit_partner_ping.
FIT_FILE_PROVIDERS = frozenset({"fit", "aiendurance"})


class PlannedWorkoutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workout_id: DbId
    planned_date: dt.date
    connection_id: DbId | None = Field(
        default=None, description="Needed when the athlete has more than one connection."
    )


class UserQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID


class WindowQuery(BaseModel):
    """The reference's window: start_date defaults to 30 days ago, end_date to today (the
    athlete's), both included."""

    model_config = ConfigDict(extra="forbid")

    start_date: dt.date | None = None
    end_date: dt.date | None = None


class ListQuery(WindowQuery):
    user_id: uuid.UUID


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")

    planned_date: dt.date


class PlannedWorkout(BaseModel):
    """The reference's PlannedWorkout object, plus our `status`, `user_id` and `last_error`
    (our own short message; a provider's answer is never shown)."""

    planned_workout_id: int
    workout_id: int | None
    connection_id: int
    user_id: uuid.UUID
    planned_date: dt.date
    provider_workout_id: str | None
    provider_name: str
    provider_workout_name: str | None
    status: str
    synced_at: int | None
    coercion_applied: bool
    coercion_warnings: list[CoercionWarning] | None
    external_only: bool = False
    last_error: str | None
    file_url: str | None = Field(
        default=None, description="fit, aiendurance: the workout file (as sent)."
    )
    created_date: int
    updated_date: int


class PlannedWorkoutList(BaseModel):
    planned_workouts: list[PlannedWorkout]
    provider_errors: list[ProviderListError] = Field(
        default_factory=list,
        description="Connections whose provider could not list its own workouts; ours are "
        "listed anyway.",
    )


def view(
    request: Request, row: PlannedWorkoutRow, connection: ConnectionRow, name: str | None
) -> PlannedWorkout:
    pushed = row.status == "pushed"
    file_url = None
    if pushed and row.artifact is not None and connection.provider in FIT_FILE_PROVIDERS:
        file_url = public_url(request, "planned_workout_file", planned_workout_id=row.id)
    return PlannedWorkout(
        planned_workout_id=row.id or 0,
        workout_id=row.workout_id,
        connection_id=row.connection_id,
        user_id=uuid.UUID(row.user_id),
        planned_date=row.planned_date,
        provider_workout_id=row.provider_workout_id,
        provider_name=connection.provider,
        provider_workout_name=name,
        status=row.status,
        synced_at=int(row.updated_at.timestamp()) if pushed else None,
        coercion_applied=bool(row.coercion_warnings),
        coercion_warnings=[CoercionWarning.model_validate(w) for w in row.coercion_warnings]
        if pushed
        else None,
        last_error=row.last_error,
        file_url=file_url,
        created_date=int(row.created_at.timestamp()),
        updated_date=int(row.updated_at.timestamp()),
    )


def _views(
    request: Request, session: Session, rows: list[PlannedWorkoutRow]
) -> list[PlannedWorkout]:
    connections = {
        c.id: c
        for c in session.exec(
            select(ConnectionRow).where(col(ConnectionRow.id).in_({r.connection_id for r in rows}))
        ).all()
    }
    names = {
        t.id: t.name
        for t in session.exec(
            select(WorkoutTemplateRow).where(
                col(WorkoutTemplateRow.id).in_({r.workout_id for r in rows})
            )
        ).all()
    }
    return [view(request, r, connections[r.connection_id], names.get(r.workout_id)) for r in rows]


async def create_planned_workout(call: Call[PlannedWorkoutCreate, UserQuery]) -> Response:
    request, caller, body = call.request, call.caller, call.body
    athlete = await load_athlete(request, caller, call.query.user_id)
    services = call.services
    template_row = await services.db.run(lambda s: s.get(WorkoutTemplateRow, body.workout_id))
    if template_row is None or template_row.organization_id != caller.organization_id:
        raise NotFound(f"workout template {body.workout_id} not found")
    connection = await choose_connection(services_of(request), athlete, body.connection_id)
    # No row is written for a connection the service cannot use (e.g. its provider is not
    # configured here): push_new makes the adapter first.
    row_id = await direct.push_new(
        services.db,
        services.settings,
        lambda: services.adapter(connection, athlete),
        organization_id=caller.organization_id,
        user_id=athlete.user_id,
        connection_id=connection.id or 0,
        template_row=template_row,
        planned_date=body.planned_date,
    )
    return await _one(request, row_id, caller)


async def _load(request: Request, caller: Caller, planned_workout_id: int) -> PlannedWorkoutRow:
    row = await services_of(request).db.run(lambda s: s.get(PlannedWorkoutRow, planned_workout_id))
    if row is not None and row.status not in LISTED:
        row = None  # deleted, or being removed from the provider
    return owned(row, caller, f"planned workout {planned_workout_id}")


async def _one(request: Request, planned_workout_id: int, caller: Caller) -> Response:
    row = await _load(request, caller, planned_workout_id)
    [item] = await services_of(request).db.run(lambda s: _views(request, s, [row]))
    return model_response(item)


_Rows = SelectOfScalar[PlannedWorkoutRow]


def _native_view(native: NativeWorkout, user_id: str) -> PlannedWorkout:
    """A workout made on the provider's platform, as the reference lists it."""
    w, connection = native.workout, native.connection
    created, updated = _provider_times(w.raw)
    return PlannedWorkout(
        planned_workout_id=0,
        workout_id=None,
        connection_id=connection.id or 0,
        user_id=uuid.UUID(user_id),
        planned_date=w.planned_date,
        provider_workout_id=w.provider_workout_id,
        provider_name=connection.provider,
        provider_workout_name=w.name or None,
        status="external",
        synced_at=None,
        coercion_applied=False,
        coercion_warnings=None,
        external_only=True,
        last_error=None,
        created_date=created,
        updated_date=updated,
    )


def _provider_times(raw: dict[str, object]) -> tuple[int, int]:
    """Unix seconds of creation and last update, as the provider gave them (Terra: seconds,
    Shape: milliseconds); 0 when it gave none."""

    def seconds(*keys: str) -> int:
        for key in keys:
            value = raw.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                return int(value / 1000 if value > 10**11 else value)
        return 0

    return seconds("created_date", "createdAt"), seconds("updated_date", "updatedAt")


async def _listing(
    request: Request,
    statement_filter: Callable[
        [SelectOfScalar[PlannedWorkoutRow]], SelectOfScalar[PlannedWorkoutRow]
    ],
    connections: list[ConnectionRow],
    athlete: AthleteRow,
    query: WindowQuery,
) -> Response:
    """Our planned workouts in the window, and the providers' own, by date."""
    services = services_of(request)
    start, end = window(query.start_date, query.end_date, athlete.timezone)

    def load(session: Session) -> list[PlannedWorkout]:
        statement = statement_filter(
            select(PlannedWorkoutRow).where(
                col(PlannedWorkoutRow.status).in_(LISTED),
                col(PlannedWorkoutRow.planned_date) >= start,
                col(PlannedWorkoutRow.planned_date) <= end,
            )
        )
        rows = list(
            session.exec(
                statement.order_by(col(PlannedWorkoutRow.planned_date), col(PlannedWorkoutRow.id))
            ).all()
        )
        return _views(request, session, rows)

    listed = await services.db.run(load)
    natives, errors = await native_workouts(services, connections, athlete, start, end)
    listed += [_native_view(n, athlete.user_id) for n in natives]
    listed.sort(key=lambda w: (w.planned_date, w.planned_workout_id == 0, w.planned_workout_id))
    return model_response(PlannedWorkoutList(planned_workouts=listed, provider_errors=errors))


async def list_by_user(call: Call[None, ListQuery]) -> Response:
    request, query = call.request, call.query
    athlete = await load_athlete(request, call.caller, query.user_id)
    connections = await services_of(request).db.run(
        lambda s: list(
            s.exec(select(ConnectionRow).where(col(ConnectionRow.user_id) == athlete.user_id)).all()
        )
    )
    return await _listing(
        request,
        lambda st: st.where(col(PlannedWorkoutRow.user_id) == athlete.user_id),
        connections,
        athlete,
        query,
    )


async def _connection(request: Request, caller: Caller) -> ConnectionRow:
    connection_id = path_int(request, "connection_id")
    row = await services_of(request).db.run(lambda s: s.get(ConnectionRow, connection_id))
    return owned(row, caller, f"connection {connection_id}")


async def list_by_connection(call: Call[None, WindowQuery]) -> Response:
    request = call.request
    connection = await _connection(request, call.caller)
    athlete = await services_of(request).db.run(lambda s: s.get(AthleteRow, connection.user_id))
    assert athlete is not None  # a connection belongs to an athlete (foreign key)
    return await _listing(
        request,
        lambda st: st.where(col(PlannedWorkoutRow.connection_id) == connection.id),
        [connection],
        athlete,
        call.query,
    )


async def _by_provider_id(request: Request, caller: Caller) -> PlannedWorkoutRow:
    connection = await _connection(request, caller)
    provider_workout_id = request.path_params["provider_workout_id"]
    row = await services_of(request).db.run(
        lambda s: s.exec(
            select(PlannedWorkoutRow).where(
                col(PlannedWorkoutRow.connection_id) == connection.id,
                col(PlannedWorkoutRow.provider_workout_id) == provider_workout_id,
                col(PlannedWorkoutRow.status).in_(LISTED),
            )
        ).first()
    )
    if row is None:
        raise NotFound(f"no planned workout {provider_workout_id!r} on connection {connection.id}")
    return row


async def get_planned_workout(call: Call[None, None]) -> Response:
    request = call.request
    return await _one(request, path_int(request, "planned_workout_id"), call.caller)


async def get_by_provider_id(call: Call[None, None]) -> Response:
    row = await _by_provider_id(call.request, call.caller)
    return await _one(call.request, row.id or 0, call.caller)


async def _adapter_maker(request: Request, row: PlannedWorkoutRow) -> Callable[[], Provider]:
    """Makes the row's connection adapter, for when a move or a delete needs the provider."""
    services = services_of(request)

    def load(session: Session) -> tuple[ConnectionRow, AthleteRow | None]:
        connection = session.get(ConnectionRow, row.connection_id)
        assert connection is not None
        return connection, session.get(AthleteRow, row.user_id)

    connection, athlete = await services.db.run(load)
    return lambda: services.adapter(connection, athlete)


async def _view_of(request: Request, row_id: int) -> Response:
    """The row as it is now, whatever its status (a delete answers with it too)."""
    services = services_of(request)
    stored = await services.db.run(lambda s: s.get(PlannedWorkoutRow, row_id))
    assert stored is not None
    [item] = await services.db.run(lambda s: _views(request, s, [stored]))
    return model_response(item)


async def move_planned_workout(call: Call[Move, None]) -> Response:
    request, caller, body = call.request, call.caller, call.body
    row = await _load(request, caller, path_int(request, "planned_workout_id"))
    services = call.services
    state = await direct.move_now(
        services.db,
        services.settings,
        await _adapter_maker(request, row),
        row.id or 0,
        body.planned_date,
    )
    if state == "gone":
        raise NotFound(f"planned workout {row.id} not found")
    return await _view_of(request, row.id or 0)


async def _delete(request: Request, row: PlannedWorkoutRow) -> Response:
    services = services_of(request)
    state = await direct.delete_now(
        services.db, services.settings, await _adapter_maker(request, row), row.id or 0
    )
    if state == "gone":
        raise NotFound(f"planned workout {row.id} not found")
    return await _view_of(request, row.id or 0)


async def delete_planned_workout(call: Call[None, None]) -> Response:
    request, caller = call.request, call.caller
    row = await _load(request, caller, path_int(request, "planned_workout_id"))
    return await _delete(request, row)


async def delete_by_provider_id(call: Call[None, None]) -> Response:
    request, caller = call.request, call.caller
    return await _delete(request, await _by_provider_id(request, caller))


async def planned_workout_file(call: Call[None, None]) -> Response:
    request = call.request
    row = await _load(request, call.caller, path_int(request, "planned_workout_id"))
    if row.artifact is None:
        raise NotFound(f"planned workout {row.id} has no file (its provider keeps it)")
    return Response(
        row.artifact,
        media_type="application/vnd.ant.fit",
        headers={"Content-Disposition": f'attachment; filename="{row.planned_date}-{row.id}.fit"'},
    )


_PUSH_ERRORS = (400, 401, 403, 404, 408, 413, 501, 502)
_READ_ERRORS = (400, 401, 403, 404)

ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v2/plannedWorkouts",
        create_planned_workout,
        "Push a template to an athlete's platform on a date",
        "planned workouts",
        query=UserQuery,
        body=PlannedWorkoutCreate,
        response=PlannedWorkout,
        errors=_PUSH_ERRORS,
    ),
    Endpoint(
        "GET",
        "/v2/plannedWorkouts",
        list_by_user,
        "An athlete's planned workouts",
        "planned workouts",
        query=ListQuery,
        response=PlannedWorkoutList,
        errors=_READ_ERRORS,
    ),
    Endpoint(
        "GET",
        "/v2/plannedWorkouts/connection/{connection_id}",
        list_by_connection,
        "A connection's planned workouts",
        "planned workouts",
        query=WindowQuery,
        response=PlannedWorkoutList,
        errors=_READ_ERRORS,
    ),
    Endpoint(
        "GET",
        "/v2/plannedWorkouts/connection/{connection_id}/provider/{provider_workout_id}",
        get_by_provider_id,
        "A planned workout by the provider's id",
        "planned workouts",
        response=PlannedWorkout,
        errors=_READ_ERRORS,
    ),
    Endpoint(
        "DELETE",
        "/v2/plannedWorkouts/connection/{connection_id}/provider/{provider_workout_id}",
        delete_by_provider_id,
        "Delete a planned workout by the provider's id (on the provider too)",
        "planned workouts",
        response=PlannedWorkout,
        errors=(*_READ_ERRORS, 408, 502),
    ),
    Endpoint(
        "GET",
        "/v2/plannedWorkouts/{planned_workout_id}",
        get_planned_workout,
        "A planned workout",
        "planned workouts",
        response=PlannedWorkout,
        errors=_READ_ERRORS,
    ),
    Endpoint(
        "PATCH",
        "/v2/plannedWorkouts/{planned_workout_id}",
        move_planned_workout,
        "Move a planned workout to another date (on the provider too)",
        "planned workouts",
        body=Move,
        response=PlannedWorkout,
        errors=(*_READ_ERRORS, 408, 413, 501, 502),
    ),
    Endpoint(
        "DELETE",
        "/v2/plannedWorkouts/{planned_workout_id}",
        delete_planned_workout,
        "Delete a planned workout (on the provider too)",
        "planned workouts",
        response=PlannedWorkout,
        errors=(*_READ_ERRORS, 408, 502),
    ),
    Endpoint(
        "GET",
        "/v2/plannedWorkouts/{planned_workout_id}/file",
        planned_workout_file,
        "A fit connection's workout file",
        "planned workouts",
        errors=_READ_ERRORS,
        media_type="application/vnd.ant.fit",
    ),
]
