"""AI Endurance's partner API: the OAuth2 flow, token refresh, reading the athlete's planned
workouts, and handing it our workouts as FIT files (`fit_partner_ping`)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field

from coach.providers.aiendurance_import import ImportedWorkout, future_workout_to_template
from coach.providers.base import (
    Capabilities,
    Provider,
    ProviderAuthError,
    ProviderContext,
    ProviderError,
    ProviderUnsupported,
    ProviderWorkout,
    PushResult,
)
from coach.providers.capabilities import AIENDURANCE
from coach.providers.fit import file_time, fit_file
from coach.providers.http import Http, bad_answer
from coach.providers.retry import RetryPolicy, retry_inline
from coach.templates.models import WorkoutTemplate

TOKEN_LIFETIME_S = 36000  # the reference: access tokens expire after 36000 seconds
# Refresh this long before expiry, so a token never runs out mid-import.
REFRESH_MARGIN_S = 600
# Reading the athlete's workouts is the one adapter call that tries more than once: a
# request waits for it and no outbox stands behind it. A few tries on the one curve.
READ_RETRY = RetryPolicy(max_attempts=3, wait_budget_s=10.0)
NOT_CONFIGURED = (
    "AI Endurance is not configured on this service (COACH_AIENDURANCE_CLIENT_ID, "
    "COACH_AIENDURANCE_CLIENT_SECRET, COACH_AIENDURANCE_REDIRECT_URI)"
)


class AIEnduranceApp(BaseModel):
    """Our registered application (service settings, not an athlete's connection)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    redirect_uri: str = Field(min_length=1)
    authorize_url: str = "https://aiendurance.com/authorize"
    api_base: str = "https://aiendurance.xyz"
    token_path: str = "/o/token/"
    revoke_path: str = "/o/revoke_token/"
    workouts_path: str = "/o/future_workout_static/"
    fit_ping_path: str = "/api/fit_partner_ping/"
    # The `source` our FIT files are pinged with (the reference's example: 'garmin').
    source: str = "coach-agent"


class ActivityFile(BaseModel):
    """One file of a fit_partner_ping. The reference: every field must be present."""

    model_config = ConfigDict(extra="forbid")

    file_type: Literal["FIT"]
    activity_name: str | None
    priority: Literal[0, 1] = Field(
        description="1: download now; 0: bulk import, waits for a bulk import task."
    )
    source: str
    overwrite_mode: bool = Field(description="True replaces what AI Endurance holds already.")
    start_time_in_seconds: str = Field(pattern=r"^\d+$", description="Unix time, as a string.")
    callback_url: str = Field(
        description="Where AI Endurance downloads the file, or the file itself in base64."
    )
    summary_id: str = Field(min_length=1, description="The file name.")


class PartnerPing(BaseModel):
    """The body of `POST api/fit_partner_ping/`."""

    model_config = ConfigDict(extra="forbid")

    client_id: str
    activity_files: list[ActivityFile] = Field(min_length=1)


class AIEnduranceCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_token: str = Field(min_length=1, max_length=4096)
    refresh_token: str = Field(min_length=1, max_length=4096)
    expires_at: float = Field(description="Unix time the access token expires.")


class AIEnduranceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


def authorize_url(app: AIEnduranceApp, state: str) -> str:
    """Where to send the athlete; AI Endurance comes back to redirect_uri?code=...&state=..."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": app.redirect_uri,
            "state": state,
        }
    )
    return f"{app.authorize_url}?{query}"


async def _token(
    app: AIEnduranceApp, context: ProviderContext, form: dict[str, str]
) -> AIEnduranceCredentials:
    http = Http("aiendurance", context, app.api_base, {})
    try:
        body = await http.request(
            "POST",
            app.token_path,
            data={**form, "client_id": app.client_id, "client_secret": app.client_secret},
        )
    except ProviderError as exc:
        if exc.provider_status in (400, 401):
            # invalid_grant (code or refresh token expired, used or revoked) or a bad
            # client: no retry helps, the athlete has to connect again. Our words: the
            # provider's body went to the log.
            raise ProviderAuthError(
                "aiendurance refused the grant (invalid_grant: the code or refresh token "
                "is expired, used or revoked) (provider_auth_failed)",
                provider_status=exc.provider_status,
                provider="aiendurance",
            ) from exc
        raise
    finally:
        await http.aclose()
    try:
        lifetime = float(body.get("expires_in") or TOKEN_LIFETIME_S)
        return AIEnduranceCredentials(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            expires_at=context.clock.wall() + lifetime,
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise bad_answer("aiendurance") from exc


async def exchange_code(
    app: AIEnduranceApp, code: str, context: ProviderContext | None = None
) -> AIEnduranceCredentials:
    """The callback's `code` (valid 15 minutes) for an access and a refresh token."""
    return await _token(
        app,
        context or ProviderContext(),
        {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
    )


async def refresh(
    app: AIEnduranceApp, credentials: AIEnduranceCredentials, context: ProviderContext | None = None
) -> AIEnduranceCredentials:
    return await _token(
        app,
        context or ProviderContext(),
        {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token},
    )


async def revoke(app: AIEnduranceApp, token: str, context: ProviderContext | None = None) -> None:
    http = Http("aiendurance", context or ProviderContext(), app.api_base, {})
    try:
        await http.request(
            "POST",
            app.revoke_path,
            data={"token": token, "client_id": app.client_id, "client_secret": app.client_secret},
        )
    finally:
        await http.aclose()


class AIEnduranceProvider(Provider):
    """Reads an athlete's AI Endurance plan, and takes our workouts as FIT files.

    A push encodes the workout as a FIT file and sends it with `fit_partner_ping`: the
    file itself, base64, in `callback_url` (the reference's second option: nothing of ours
    has to be reachable), priority 1, under the file name `<idempotency key>.fit`. A retry
    pings with `overwrite_mode` true, so AI Endurance replaces rather than duplicates. The
    partner API can neither re-date nor delete a file it holds: a move is refused (501) and
    a delete removes the workout here only.

    Needs `context.apps["aiendurance"]` (an AIEnduranceApp). `on_refresh` is awaited with
    the new credentials after every refresh, for the caller to store them.
    """

    name = "aiendurance"
    Credentials = AIEnduranceCredentials
    Settings = AIEnduranceSettings

    def __init__(
        self,
        *args: Any,
        on_refresh: Callable[[AIEnduranceCredentials], Awaitable[None]] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        app = self.context.apps.get("aiendurance")
        if not isinstance(app, AIEnduranceApp):
            raise ProviderUnsupported(NOT_CONFIGURED, provider="aiendurance")
        self.app: AIEnduranceApp = app
        self.on_refresh = on_refresh
        self.http = Http("aiendurance", self.context, app.api_base, {})

    @classmethod
    def capabilities_of(cls, settings: Any) -> Capabilities:
        return AIENDURANCE

    @classmethod
    def unavailable(cls, context: ProviderContext) -> str | None:
        configured = isinstance(context.apps.get("aiendurance"), AIEnduranceApp)
        return None if configured else NOT_CONFIGURED

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _fresh(self) -> None:
        creds: AIEnduranceCredentials = self.credentials
        if creds.expires_at - self.context.clock.wall() <= REFRESH_MARGIN_S:
            self.credentials = await refresh(self.app, creds, self.context)
            if self.on_refresh is not None:
                await self.on_refresh(self.credentials)
        self.http.headers = {"Authorization": f"Bearer {self.credentials.access_token}"}

    async def future_workouts(self, start: dt.date | None = None) -> list[dict[str, Any]]:
        """The raw Future_Workout_Static objects (dated after `start` when given)."""
        params = {"startDate": start.isoformat()} if start else None
        try:
            return await self._get_workouts(params)
        except ProviderAuthError:
            # Expired early or revoked: refresh once; if that fails the athlete reconnects.
            self.credentials = self.credentials.model_copy(update={"expires_at": 0.0})
            return await self._get_workouts(params)

    async def _get_workouts(self, params: dict[str, str] | None) -> list[dict[str, Any]]:
        async def once(_again: bool) -> list[dict[str, Any]]:
            await self._fresh()
            return _listed(await self.http.request("GET", self.app.workouts_path, params=params))

        return await retry_inline(once, READ_RETRY, self.context.clock)

    async def import_workouts(self, start: dt.date | None = None) -> list[ImportedWorkout]:
        """The athlete's AI Endurance run and ride workouts as our templates."""
        out = []
        for raw in await self.future_workouts(start):
            imported = future_workout_to_template(raw)
            if imported is not None:
                out.append(imported)
        return out

    async def disconnect(self) -> None:
        """Revoke both tokens (the reference revokes either kind at one endpoint)."""
        for token in (self.credentials.refresh_token, self.credentials.access_token):
            await revoke(self.app, token, self.context)

    async def push(
        self,
        template: WorkoutTemplate,
        planned_date: dt.date,
        *,
        idempotency_key: str,
        reconcile: bool = False,
    ) -> PushResult:
        data, warnings = fit_file(template, planned_date, self.thresholds, AIENDURANCE)
        summary_id = f"{idempotency_key}.fit"
        await self.fit_partner_ping(
            [
                ActivityFile(
                    file_type="FIT",
                    activity_name=template.name,
                    priority=1,  # one workout the athlete should see now, not a bulk import
                    source=self.app.source,
                    overwrite_mode=reconcile,
                    start_time_in_seconds=str(int(file_time(planned_date).timestamp())),
                    callback_url=base64.b64encode(data).decode("ascii"),
                    summary_id=summary_id,
                )
            ]
        )
        return PushResult(
            provider_workout_id=summary_id,
            warnings=warnings,
            artifact=data,
            planned_date=planned_date,
        )

    async def fit_partner_ping(self, files: list[ActivityFile]) -> None:
        """Tell AI Endurance about FIT files (one try: the outbox owns retries)."""
        body = PartnerPing(client_id=self.app.client_id, activity_files=files).model_dump()
        try:
            await self._fresh()
            await self.http.request("POST", self.app.fit_ping_path, json=body)
        except ProviderAuthError:
            # Expired early or revoked: refresh once; if that fails the athlete reconnects.
            self.credentials = self.credentials.model_copy(update={"expires_at": 0.0})
            await self._fresh()
            await self.http.request("POST", self.app.fit_ping_path, json=body)

    async def move(self, provider_workout_id: str, new_date: dt.date) -> None:
        raise ProviderUnsupported(
            "AI Endurance's partner API cannot re-date a FIT file it holds; delete the "
            "workout and push it again on the new date"
        )

    async def delete(self, provider_workout_id: str) -> None:
        return None  # the partner API has no delete: the file stays in AI Endurance

    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        return [
            ProviderWorkout(
                provider_workout_id=w.source_id,
                planned_date=w.planned_date,
                name=w.template.name,
                raw=w.raw,
                external=True,  # AI Endurance's own plan: it takes no workouts from us
            )
            for w in await self.import_workouts(start)
            if w.planned_date is not None and start <= w.planned_date <= end
        ]


def _listed(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        for key in ("results", "workouts", "future_workouts"):
            if isinstance(body.get(key), list):
                items: list[dict[str, Any]] = body[key]
                return items
    return list(body or [])
