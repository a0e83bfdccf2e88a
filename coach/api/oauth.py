"""Connecting an athlete to AI Endurance with OAuth2, and importing their workouts.

The flow (AI Endurance Partner API, https://aiendurance.com/partnerapi; adapter:
coach.providers.aiendurance):

1. A coach calls `GET /v1/athletes/{user_id}/connections/aiendurance/authorize` and gets a
   302 to AI Endurance's authorize page (`response_type=code`, `client_id`,
   `redirect_uri`, `state`). The reference's authorize URL carries no `scope`, so none is
   sent. The JSON body repeats the URL. With `?redirect=false` the answer is a 200 with
   only that body (the OpenAPI document lists this form: every operation there needs
   a 2xx).
2. AI Endurance sends the athlete's browser back to `redirect_uri?code=...&state=...`,
   which must route to `GET /v1/oauth/aiendurance/callback`. That endpoint takes no API
   key; the `state` is what authorizes it.
3. The callback checks `state`, exchanges the code, and stores the tokens encrypted.
   If the athlete already has an active `aiendurance` connection, its tokens are
   replaced (a reconnect). Otherwise a new connection is created.

**State.** `state` is `services.box.seal({"purpose", "user_id", "organization_id",
"exp"})`, a Fernet token under the service's secret key: encrypted (the athlete's id
is not readable in the URL) and tamper-proof (HMAC). `purpose` stops another sealed value (for
example a connection's credentials) from being used as a state. `exp` is 15 minutes
after issue, the same lifetime as AI Endurance's codes. A state is not single-use (no
table records it). A replay inside those 15 minutes still needs a fresh code from
AI Endurance, and it only reconnects the same athlete.

**Import.** `POST /v1/athletes/{user_id}/connections/{connection_id}/import` reads the
athlete's `Future_Workout_Static` list with the adapter. Each Run or Ride workout is
stored as a workout template of the organization (`/v2/workouts`, the library that
`prefer_existing` draws from).
- **Refresh.** A token near expiry is refreshed first. The rotated tokens are sealed back
  onto the connection at once, in the adapter's `on_refresh` callback, so a later failure
  cannot lose them.
- **No duplicates.** Each imported template's description ends with the line
  `[aiendurance:<id>]`, where `<id>` is AI Endurance's workout id. Without an id,
  `<date>/<name>` is used instead, with characters outside `A-Za-z0-9._:/-` replaced by
  `-`. A later import finds the marker and updates that template in place, or leaves it
  alone if nothing changed.
- **Why a marker.** The template JSON is strict and the table has no column for an
  external id. A description line survives export, and also shows where a pushed
  workout came from.
- **Concurrency.** Imports for one organization take a row lock on the organization
  (PostgreSQL) while matching and writing. SQLite serializes the writes itself.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select
from starlette.responses import Response

from coach.api.athletes import ConnectionView, connection_view
from coach.api.endpoint import Access, AnyEndpoint, Call, Endpoint
from coach.api.lookups import load_athlete, load_connection
from coach.api.responses import model_response
from coach.api.validation import path_uuid
from coach.db.tables import AthleteRow, ConnectionRow
from coach.errors import BadRequest, NotFound
from coach.providers.aiendurance import (
    AIEnduranceApp,
    AIEnduranceCredentials,
    AIEnduranceProvider,
    authorize_url,
    exchange_code,
)
from coach.providers.aiendurance_import import ImportedWorkout
from coach.providers.base import ProviderAuthError, ProviderUnsupported
from coach.push.imports import store_imported
from coach.secrets import SecretsError
from coach.services import Services
from coach.templates.models import WorkoutTemplate

PROVIDER = "aiendurance"
STATE_PURPOSE: Final = "aiendurance-oauth"
STATE_TTL_S = 15 * 60
_SETTINGS = {  # what provider_context() needs to build the AIEnduranceApp
    "aiendurance_client_id": "COACH_AIENDURANCE_CLIENT_ID",
    "aiendurance_client_secret": "COACH_AIENDURANCE_CLIENT_SECRET",
    "aiendurance_redirect_uri": "COACH_AIENDURANCE_REDIRECT_URI",
}


# --- models ---------------------------------------------------------------------------


class AuthorizeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    redirect: bool = Field(
        default=True,
        description="true: 302 to AI Endurance (Location); false: 200 with the URL as JSON.",
    )


class AuthorizeRedirect(BaseModel):
    """The body of both answers; on the 302 `Location` holds the same URL."""

    authorize_url: str
    state_expires_at: dt.datetime


class CallbackQuery(BaseModel):
    """What AI Endurance appends to the redirect URI (no `code` when the athlete refused)."""

    model_config = ConfigDict(extra="ignore")

    state: str | None = Field(default=None, max_length=2000)
    code: str | None = Field(default=None, max_length=2000)
    error: str | None = Field(default=None, max_length=500)


class OAuthState(BaseModel):
    """The sealed `state`: the athlete, the organization, and when it stops being valid."""

    model_config = ConfigDict(extra="forbid")

    purpose: Literal["aiendurance-oauth"]
    user_id: uuid.UUID
    organization_id: int
    exp: float


class ConnectedView(ConnectionView):
    reconnected: bool = Field(
        description="True when an existing aiendurance connection got the new tokens."
    )


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_date: dt.date | None = Field(
        default=None, description="Only workouts dated after this day (AI Endurance's startDate)."
    )


class ImportedTemplate(BaseModel):
    workout_id: int
    workout_template: WorkoutTemplate
    source_id: str = Field(description="The marker key: AI Endurance's workout id.")
    planned_date: dt.date | None
    status: Literal["created", "updated", "unchanged"]


class ImportResult(BaseModel):
    connection_id: int
    workouts: list[ImportedTemplate]


# --- the app and the state ------------------------------------------------------------


def configured_app(services: Services) -> AIEnduranceApp:
    """The service's AI Endurance app; 501 naming the missing settings when there is none."""
    app = services.provider_context.apps.get(PROVIDER)
    if isinstance(app, AIEnduranceApp):
        return app
    missing = [env for name, env in _SETTINGS.items() if not getattr(services.settings, name)]
    names = ", ".join(missing or _SETTINGS.values())
    exc = ProviderUnsupported(f"AI Endurance is not configured on this service: set {names}")
    exc.details = [{"field": env, "message": "missing setting"} for env in missing]
    raise exc


def seal_state(services: Services, athlete: AthleteRow) -> tuple[str, float]:
    exp = services.provider_context.clock.wall() + STATE_TTL_S
    state = OAuthState(
        purpose=STATE_PURPOSE,
        user_id=uuid.UUID(athlete.user_id),
        organization_id=athlete.organization_id,
        exp=exp,
    )
    return services.box.seal(state.model_dump(mode="json")), exp


def open_state(services: Services, raw: str | None) -> OAuthState:
    if not raw:
        raise BadRequest.field("state", "missing; start again at the authorize endpoint")
    try:
        state = OAuthState.model_validate(services.box.open(raw))
    except (SecretsError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise BadRequest.field("state", "invalid or tampered with") from exc
    if services.provider_context.clock.wall() > state.exp:
        raise BadRequest.field("state", "expired; start again at the authorize endpoint")
    return state


def _seal_credentials(services: Services, credentials: AIEnduranceCredentials) -> str:
    return services.box.seal(credentials.model_dump(mode="json"))


# --- authorize and callback -----------------------------------------------------------


async def authorize(call: Call[None, AuthorizeQuery]) -> Response:
    request, query = call.request, call.query
    services = call.services
    app = configured_app(services)
    athlete = await load_athlete(request, call.caller, path_uuid(request, "user_id"))
    state, exp = seal_state(services, athlete)
    url = authorize_url(app, state)
    body = AuthorizeRedirect(
        authorize_url=url, state_expires_at=dt.datetime.fromtimestamp(exp, dt.UTC)
    )
    response = model_response(body)
    if query.redirect:
        response.status_code = 302
        response.headers["Location"] = url
    response.headers["Cache-Control"] = "no-store"
    return response


async def callback(call: Call[None, CallbackQuery]) -> Response:
    request, query = call.request, call.query
    services = call.services
    app = configured_app(services)
    state = open_state(services, query.state)
    if not query.code:
        reason = f" ({query.error})" if query.error else ""
        raise BadRequest.field(
            "code", f"missing: the athlete did not authorize AI Endurance{reason}"
        )
    athlete = await services.db.run(lambda s: s.get(AthleteRow, str(state.user_id)))
    if athlete is None or athlete.organization_id != state.organization_id:
        raise NotFound(f"athlete {state.user_id} not found")
    try:
        credentials = await exchange_code(app, query.code, services.provider_context)
    except ProviderAuthError as exc:
        # invalid_grant: the code expired (15 minutes), was used already, or is not ours.
        exc.details = [
            {"field": "code", "message": exc.message, "provider_status": exc.provider_status}
        ]
        raise
    sealed = _seal_credentials(services, credentials)

    def store(session: Session) -> tuple[ConnectionRow, bool]:
        existing = session.exec(
            select(ConnectionRow)
            .where(
                col(ConnectionRow.user_id) == athlete.user_id,
                col(ConnectionRow.provider) == PROVIDER,
                col(ConnectionRow.disconnected_at).is_(None),
            )
            .order_by(col(ConnectionRow.id))
        ).first()
        if existing is not None:
            existing.credentials_encrypted = sealed
            session.add(existing)
            return existing, True
        row = ConnectionRow(
            organization_id=athlete.organization_id,
            user_id=athlete.user_id,
            provider=PROVIDER,
            credentials_encrypted=sealed,
            settings={},
            feed_token=secrets.token_urlsafe(24),
        )
        session.add(row)
        session.flush()
        return row, False

    row, reconnected = await services.db.run(store)
    view = connection_view(request, row)
    response = model_response(ConnectedView(**view.model_dump(), reconnected=reconnected))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- import ---------------------------------------------------------------------------


def _upsert(
    session: Session, organization_id: int, imported: list[ImportedWorkout]
) -> list[ImportedTemplate]:
    return [
        ImportedTemplate(
            workout_id=stored.workout_id,
            workout_template=stored.template,
            source_id=stored.key,
            planned_date=stored.planned_date,
            status=stored.status,
        )
        for stored in store_imported(session, organization_id, imported)
    ]


async def import_workouts(call: Call[None, ImportQuery]) -> Response:
    request, caller, query = call.request, call.caller, call.query
    athlete = await load_athlete(request, caller, path_uuid(request, "user_id"))
    row = await load_connection(request, athlete)
    connection_id = row.id or 0
    services = call.services
    if row.provider != PROVIDER:
        raise BadRequest.field(
            "connection_id",
            f"is a {row.provider} connection; only aiendurance connections have workouts to import",
        )

    # Services.adapter seals refreshed tokens onto the connection as soon as they arrive.
    adapter = services.adapter(row, athlete)
    try:
        assert isinstance(adapter, AIEnduranceProvider)
        imported = await adapter.import_workouts(query.start_date)
    finally:
        await adapter.aclose()
    stored = await services.db.run(lambda s: _upsert(s, caller.organization_id, imported))
    return model_response(ImportResult(connection_id=connection_id, workouts=stored))


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "GET",
        "/v1/athletes/{user_id}/connections/aiendurance/authorize",
        authorize,
        "Send the athlete to AI Endurance to connect: a 302 to its authorize page, or "
        "with redirect=false a 200 with that URL",
        "athletes",
        query=AuthorizeQuery,
        response=AuthorizeRedirect,
        redirects=True,
        errors=(400, 401, 403, 404, 501),
    ),
    Endpoint(
        "GET",
        "/v1/oauth/aiendurance/callback",
        callback,
        "AI Endurance's redirect back: checks state, exchanges the code, stores the tokens "
        "encrypted (no key: the state authorizes it)",
        "athletes",
        query=CallbackQuery,
        response=ConnectedView,
        errors=(400, 404, 501, 502),
        access=Access.PUBLIC,
    ),
    Endpoint(
        "POST",
        "/v1/athletes/{user_id}/connections/{connection_id}/import",
        import_workouts,
        "Import the athlete's AI Endurance workouts into the organization's workout library",
        "athletes",
        query=ImportQuery,
        response=ImportResult,
        errors=(400, 401, 403, 404, 408, 501, 502),
    ),
]
