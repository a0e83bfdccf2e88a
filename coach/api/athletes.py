"""Athletes and their provider connections; connection credentials are never returned.

A connection names an account at a provider, never a host: the provider's endpoint is an
operator setting, and credentials carrying a `base_url` are refused. Connections are made
only to providers this service can use. Disconnecting always succeeds here: it cancels
the connection's queued pushes in the same transaction, and revoking the provider's
tokens (where there are any) is tried afterwards and reported.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
import zoneinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from coach.api.endpoint import Access, AnyEndpoint, Call, Endpoint
from coach.api.links import public_url
from coach.api.lookups import load_athlete, load_connection
from coach.api.responses import model_response
from coach.api.validation import path_uuid
from coach.db.tables import AthleteRow, ConnectionRow, PlannedWorkoutRow, WorkoutTemplateRow
from coach.errors import BadRequest, CoachError, NotFound
from coach.field_errors import error_details
from coach.plans.requests import AthleteThresholds
from coach.providers import registry
from coach.providers.ics import FeedEntry, render_feed
from coach.push.adapters import unusable_reason
from coach.push.outbox import cancel_connection, settle_jobs
from coach.services import Services
from coach.templates.models import WorkoutTemplate

log = logging.getLogger("coach.api")


class AthleteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(
        default="UTC", max_length=64, description="IANA name; planned dates are local."
    )
    thresholds: AthleteThresholds = Field(default_factory=AthleteThresholds)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value


class AthleteView(BaseModel):
    user_id: uuid.UUID
    organization_id: int
    name: str
    timezone: str
    thresholds: AthleteThresholds


class ConnectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(min_length=1, max_length=32)
    credentials: dict[str, Any] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)


class ConnectionView(BaseModel):
    connection_id: int
    user_id: uuid.UUID
    provider: str
    settings: dict[str, Any]
    feed_url: str | None = Field(default=None, description="ics: the private calendar feed.")
    created_at: dt.datetime


class ConnectionList(BaseModel):
    connections: list[ConnectionView]


class DisconnectedView(ConnectionView):
    disconnected_at: dt.datetime
    cancelled: int = Field(description="Planned workouts of it that were still to be pushed.")
    revocation: Literal["revoked", "not_needed", "failed"] = Field(
        description="Revoking the provider's tokens, where it has any (best effort)."
    )
    revocation_error: str | None = Field(
        default=None, description="Why revoking failed (our message); the local disconnect stands."
    )


def athlete_view(row: AthleteRow) -> AthleteView:
    return AthleteView(
        user_id=uuid.UUID(row.user_id),
        organization_id=row.organization_id,
        name=row.name,
        timezone=row.timezone,
        thresholds=AthleteThresholds.model_validate(row.thresholds),
    )


def connection_view(request: Request, row: ConnectionRow) -> ConnectionView:
    feed = None
    if row.provider == "ics":
        feed = public_url(request, "calendar_feed", feed_token=row.feed_token)
    return ConnectionView(
        connection_id=row.id or 0,
        user_id=uuid.UUID(row.user_id),
        provider=row.provider,
        settings=row.settings,
        feed_url=feed,
        created_at=row.created_at,
    )


async def create_athlete(call: Call[AthleteCreate, None]) -> Response:
    body = call.body
    row = AthleteRow(
        user_id=str(uuid.uuid4()),
        organization_id=call.caller.organization_id,
        name=body.name,
        timezone=body.timezone,
        thresholds=body.thresholds.model_dump(exclude_none=True),
    )
    await call.services.db.run(lambda s: s.add(row))
    return model_response(athlete_view(row))


async def get_athlete(call: Call[None, None]) -> Response:
    user_id = path_uuid(call.request, "user_id")
    return model_response(athlete_view(await load_athlete(call.request, call.caller, user_id)))


def _validated(model: type[BaseModel], data: dict[str, Any], field: str) -> dict[str, Any]:
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        details = [
            {**d, "field": f"{field}.{d['field']}" if d["field"] != "body" else field}
            for d in error_details(exc)
        ]
        raise BadRequest(f"invalid {field} for this provider", details) from exc


async def create_connection(call: Call[ConnectionCreate, None]) -> Response:
    request, caller, body = call.request, call.caller, call.body
    athlete = await load_athlete(request, caller, path_uuid(request, "user_id"))
    try:
        provider = registry.get(body.provider)
    except LookupError as exc:
        raise BadRequest.field(
            "provider", f"unknown provider; one of {', '.join(registry.names())}"
        ) from exc
    unavailable = provider.unavailable(call.services.provider_context)
    if unavailable is not None:
        raise BadRequest.field("provider", unavailable)
    if "base_url" in body.credentials:
        # A tenant must not aim the service (or the worker's look-ups) at a host.
        where = provider.endpoint_setting or "the service's settings"
        raise BadRequest.field(
            "credentials.base_url",
            f"provider endpoints are set by the operator ({where}), not per connection",
        )
    credentials = _validated(provider.Credentials, body.credentials, "credentials")
    settings = _validated(provider.Settings, body.settings, "settings")
    services = call.services
    row = ConnectionRow(
        organization_id=caller.organization_id,
        user_id=athlete.user_id,
        provider=body.provider,
        credentials_encrypted=services.box.seal(credentials),
        settings=settings,
        feed_token=secrets.token_urlsafe(24),
    )

    def store(session: Session) -> ConnectionRow:
        session.add(row)
        session.flush()
        return row

    return model_response(connection_view(request, await services.db.run(store)))


async def list_connections(call: Call[None, None]) -> Response:
    request = call.request
    athlete = await load_athlete(request, call.caller, path_uuid(request, "user_id"))
    rows = await call.services.db.run(
        lambda s: s.exec(
            select(ConnectionRow)
            .where(
                col(ConnectionRow.user_id) == athlete.user_id,
                col(ConnectionRow.disconnected_at).is_(None),
            )
            .order_by(col(ConnectionRow.id))
        ).all()
    )
    return model_response(ConnectionList(connections=[connection_view(request, r) for r in rows]))


async def delete_connection(call: Call[None, None]) -> Response:
    request = call.request
    athlete = await load_athlete(request, call.caller, path_uuid(request, "user_id"))
    row = await load_connection(request, athlete)
    connection_id = row.id or 0
    services = call.services

    def disconnect(session: Session) -> tuple[ConnectionRow, int]:
        stored = session.exec(
            select(ConnectionRow).where(col(ConnectionRow.id) == connection_id).with_for_update()
        ).one()
        stored.disconnected_at = stored.disconnected_at or dt.datetime.now(dt.UTC)
        session.add(stored)
        jobs, cancelled = cancel_connection(session, connection_id)
        session.flush()
        settle_jobs(session, jobs)
        return stored, cancelled

    stored, cancelled = await services.db.run(disconnect)
    revocation, error = await _revoke(services, row, athlete)
    view = connection_view(request, stored)
    assert stored.disconnected_at is not None
    return model_response(
        DisconnectedView(
            **view.model_dump(),
            disconnected_at=stored.disconnected_at,
            cancelled=cancelled,
            revocation=revocation,
            revocation_error=error,
        )
    )


async def _revoke(
    services: Services, row: ConnectionRow, athlete: AthleteRow
) -> tuple[Literal["revoked", "not_needed", "failed"], str | None]:
    """Revoke the provider's tokens where it has any (e.g. AI Endurance); best effort."""
    try:
        adapter = services.adapter(row, athlete)
    except Exception as exc:
        log.warning("connection %s: not revoked, no adapter: %r", row.id, exc)
        return "failed", unusable_reason(exc)
    try:
        disconnect = getattr(adapter, "disconnect", None)
        if disconnect is None:
            return "not_needed", None
        await disconnect()
        return "revoked", None
    except CoachError as exc:
        log.warning("connection %s: revoking failed: %s", row.id, exc.message)
        return "failed", exc.message
    except Exception as exc:
        log.exception("connection %s: revoking failed", row.id)
        return "failed", f"revoking failed ({type(exc).__name__}; see the service log)"
    finally:
        await adapter.aclose()


async def calendar_feed(call: Call[None, None]) -> Response:
    """The private iCalendar feed of an ics connection; the URL's token is the secret."""
    token = call.request.path_params["feed_token"]
    services = call.services

    def load(session: Session) -> tuple[ConnectionRow | None, list[FeedEntry]]:
        connection = session.exec(
            select(ConnectionRow).where(col(ConnectionRow.feed_token) == token)
        ).first()
        if connection is None or connection.provider != "ics":
            return None, []
        # Every pushed row is an event, with the template it pushed (its own copy; rows
        # older than the copies fall back to the library's, else a bare event).
        rows = session.exec(
            select(PlannedWorkoutRow, WorkoutTemplateRow)
            .join(
                WorkoutTemplateRow,
                col(WorkoutTemplateRow.id) == col(PlannedWorkoutRow.workout_id),
                isouter=True,
            )
            .where(
                col(PlannedWorkoutRow.connection_id) == connection.id,
                col(PlannedWorkoutRow.status) == "pushed",
            )
        ).all()
        entries = [
            FeedEntry(
                uid=p.provider_workout_id or p.idempotency_key,
                planned_date=p.planned_date,
                template=_feed_template(p, t),
                # Bumped by every change of the row (a move above all), never lowered.
                sequence=max(0, int((p.updated_at - p.created_at).total_seconds())),
            )
            for p, t in rows
        ]
        return connection, entries

    connection, entries = await services.db.run(load)
    if connection is None or connection.disconnected_at is not None:
        raise NotFound("no such calendar feed")
    name = connection.settings.get("calendar_name", "Training plan")
    return Response(
        render_feed(entries, calendar_name=name), media_type="text/calendar; charset=utf-8"
    )


def _feed_template(row: PlannedWorkoutRow, live: WorkoutTemplateRow | None) -> WorkoutTemplate:
    for data in (row.template, live.template if live is not None else None):
        if data is not None:
            try:
                return WorkoutTemplate.model_validate(data)
            except ValidationError:
                continue
    return WorkoutTemplate.model_validate(
        {
            "name": "Planned workout",
            "sport": "running",
            "step_blocks": [
                {
                    "completion_condition": {"type": "fixed_repetition", "value": 1},
                    "steps": [{"order": 1, "duration_type": "open", "intensity_type": "active"}],
                }
            ],
        }
    )


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v1/athletes",
        create_athlete,
        "Create an athlete",
        "athletes",
        body=AthleteCreate,
        response=AthleteView,
        errors=(400, 401, 403, 413),
    ),
    Endpoint(
        "GET", "/v1/athletes/{user_id}", get_athlete, "An athlete", "athletes", response=AthleteView
    ),
    Endpoint(
        "POST",
        "/v1/athletes/{user_id}/connections",
        create_connection,
        "Connect an athlete to a provider (credentials are stored encrypted)",
        "athletes",
        body=ConnectionCreate,
        response=ConnectionView,
        errors=(400, 401, 403, 404, 413),
    ),
    Endpoint(
        "GET",
        "/v1/athletes/{user_id}/connections",
        list_connections,
        "An athlete's connections (never their credentials)",
        "athletes",
        response=ConnectionList,
    ),
    Endpoint(
        "DELETE",
        "/v1/athletes/{user_id}/connections/{connection_id}",
        delete_connection,
        "Disconnect: the connection's queued pushes are cancelled; the provider's tokens are "
        "revoked where it has any (best effort, reported)",
        "athletes",
        response=DisconnectedView,
    ),
    Endpoint(
        "GET",
        "/v1/feeds/{feed_token}.ics",
        calendar_feed,
        "An ics connection's private calendar feed (no key: the URL is the secret)",
        "athletes",
        errors=(404,),
        access=Access.PUBLIC,
        media_type="text/calendar",
    ),
]
