"""Terra's Planned Workouts API: a template per push, then a planned workout on the device."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.providers.base import (
    Capabilities,
    Provider,
    ProviderError,
    ProviderNotFound,
    ProviderWorkout,
    PushResult,
    find_marker,
    with_marker,
)
from coach.providers.capabilities import ICS, capabilities_for
from coach.providers.coerce import coerce
from coach.providers.http import Http
from coach.templates.models import CoercionWarning, WorkoutTemplate

# With no device named, Terra gets the template as it is and coerces on its side.
_TERRA_ANY = ICS.model_copy(update={"name": "terra"})
# Terra's objects as it sends them (the class's own `list` method shadows the builtin).
_Items = list[dict[str, Any]]


class TerraCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://api.tryterra.co"
    dev_id: str = Field(min_length=1)
    api_key: str = Field(min_length=1)
    user_id: str = Field(min_length=1, description="The athlete's Terra user id (UUID).")


class TerraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_provider: Literal["garmin", "wahoo", "coros"] | None = Field(
        default=None, description="The platform behind Terra; templates are coerced for it."
    )


class TerraProvider(Provider):
    """One Terra user. provider_workout_id is Terra's planned_workout_id."""

    name = "terra"
    Credentials = TerraCredentials
    Settings = TerraSettings

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        c = self.credentials
        self.http = Http(
            "terra", self.context, c.base_url, {"dev-id": c.dev_id, "x-api-key": c.api_key}
        )

    @classmethod
    def capabilities_of(cls, settings: TerraSettings) -> Capabilities:
        device = settings.device_provider
        return capabilities_for(device) if device else _TERRA_ANY

    async def aclose(self) -> None:
        await self.http.aclose()

    # --------------------------------------------------------------------- push

    async def push(
        self,
        template: WorkoutTemplate,
        planned_date: dt.date,
        *,
        idempotency_key: str,
        reconcile: bool = False,
    ) -> PushResult:
        caps = self.capabilities
        coerced, warnings = coerce(template, caps, thresholds=self.thresholds)
        body = coerced.model_dump(exclude_none=True)
        body["description"] = with_marker(
            coerced.description, idempotency_key, caps.text.description
        )
        workout_id = await self._template(body, idempotency_key, reconcile)
        planned, existed = await self._planned(workout_id, planned_date, reconcile)
        theirs = [_warning(w) for w in planned.get("coercion_warnings") or []]
        return PushResult(
            provider_workout_id=str(planned["planned_workout_id"]),
            warnings=warnings + [w for w in theirs if w not in warnings],
            raw=planned,
            existed=existed,
        )

    async def _template(self, body: dict[str, Any], key: str, reconcile: bool) -> int:
        if reconcile:
            # An earlier try may have created it before failing: find it by marker.
            found = await self._find_template(key)
            if found is not None:
                return found
        created = await self.http.request("POST", "/v2/workouts", json={"workout_template": body})
        return int(created["workout_id"])

    async def _find_template(self, key: str) -> int | None:
        listed = await self.http.request("GET", "/v2/workouts")
        for item in _items(listed, "workouts"):
            if find_marker(item.get("workout_template", {}).get("description")) == key:
                return int(item["workout_id"])
        return None

    async def _planned(
        self, workout_id: int, day: dt.date, reconcile: bool
    ) -> tuple[dict[str, Any], bool]:
        if reconcile:
            # The template is this push's own, so a planned workout using it on that date
            # can only be the one a failed try created.
            for item in await self._list_raw(day, day):
                if item.get("workout_id") == workout_id:
                    return item, True
        created: dict[str, Any] = await self.http.request(
            "POST",
            "/v2/plannedWorkouts",
            params={"user_id": self.credentials.user_id},
            json={"workout_id": workout_id, "planned_date": day.isoformat()},
        )
        return created, False

    # ------------------------------------------------------------ move, delete

    async def move(self, provider_workout_id: str, new_date: dt.date) -> None:
        await self.http.request(
            "PATCH",
            f"/v2/plannedWorkouts/{provider_workout_id}",
            json={"planned_date": new_date.isoformat()},
        )

    async def delete(self, provider_workout_id: str) -> None:
        try:
            planned = await self.http.request("GET", f"/v2/plannedWorkouts/{provider_workout_id}")
        except ProviderNotFound:
            return
        await self._delete(f"/v2/plannedWorkouts/{provider_workout_id}")
        # The template was made for this push alone; keep the account tidy.
        if planned and planned.get("workout_id") is not None:
            await self._delete(f"/v2/workouts/{planned['workout_id']}")

    async def _delete(self, path: str) -> None:
        try:
            await self.http.request("DELETE", path)
        except ProviderNotFound:
            pass  # gone already: a retried delete is done

    # --------------------------------------------------------------------- list

    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        return [
            ProviderWorkout(
                provider_workout_id=str(item["planned_workout_id"]),
                planned_date=dt.date.fromisoformat(item["planned_date"]),
                name=item.get("provider_workout_name") or "",
                raw=item,
            )
            for item in await self._list_raw(start, end)
        ]

    async def _list_raw(self, start: dt.date, end: dt.date) -> _Items:
        listed = await self.http.request(
            "GET",
            "/v2/plannedWorkouts",
            params={
                "user_id": self.credentials.user_id,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
            },
        )
        return _items(listed, "planned_workouts")


def _items(body: Any, key: str) -> _Items:
    # The reference shows no list bodies: accept our own /v2 shape ({key: [...]}) or a list.
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get(key), list):
        items: _Items = body[key]
        return items
    raise ProviderError(f"terra list answer has no {key!r} list", retryable=False)


def _warning(raw: dict[str, Any]) -> CoercionWarning:
    # Terra's newer docs write {path, message}; the reference writes {field, ..., reason}.
    return CoercionWarning(
        field=raw.get("field") or raw.get("path") or "",
        original_value=raw.get("original_value"),
        coerced_value=raw.get("coerced_value"),
        reason=raw.get("reason") or raw.get("message") or "",
    )
