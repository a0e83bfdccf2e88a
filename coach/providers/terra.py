"""Terra's Planned Workouts API: a template per push, then a planned workout on the device."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.providers.base import (
    Capabilities,
    Provider,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderWorkout,
    PushItem,
    PushResult,
    RateLimitDeferred,
    find_marker,
    with_marker,
)
from coach.providers.capabilities import ICS, capabilities_for
from coach.providers.coerce import coerce
from coach.providers.http import Http, bad_answer
from coach.providers.limiter import account_key, store_for
from coach.templates.models import CoercionWarning, WorkoutTemplate

BASE_URL = "https://api.tryterra.co"  # COACH_TERRA_BASE_URL
# With no device named, Terra gets the template as it is and coerces on its side.
_TERRA_ANY = ICS.model_copy(update={"name": "terra"})
# Terra's objects as it sends them (the class's own `list` method shadows the builtin).
_Items = list[dict[str, Any]]


class TerraCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dev_id: str = Field(min_length=1, max_length=200)
    api_key: str = Field(min_length=1, max_length=500)
    user_id: str = Field(
        min_length=1, max_length=200, description="The athlete's Terra user id (UUID)."
    )


class TerraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_provider: Literal["garmin", "wahoo", "coros"] | None = Field(
        default=None, description="The platform behind Terra; templates are coerced for it."
    )


class TerraProvider(Provider):
    """One Terra user. provider_workout_id is Terra's planned_workout_id.

    Terra documents no rate limits, so there is no client-side window; a 429 pauses every
    connection of the same developer key (the account Terra limits) for its Retry-After.
    """

    name = "terra"
    Credentials = TerraCredentials
    Settings = TerraSettings
    endpoint_setting = "COACH_TERRA_BASE_URL"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        c = self.credentials
        self.http = Http(
            "terra",
            self.context,
            self.context.endpoint("terra", BASE_URL),
            {"dev-id": c.dev_id, "x-api-key": c.api_key},
        )
        self.limiter = store_for(self.context).limiter(
            account_key("terra", c.dev_id, c.api_key), []
        )

    @classmethod
    def capabilities_of(cls, settings: TerraSettings) -> Capabilities:
        device = settings.device_provider
        return capabilities_for(device) if device else _TERRA_ANY

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        wait = await self.limiter.acquire(self.context.max_wait_s)
        if wait > 0:
            raise RateLimitDeferred(
                f"terra: rate-limited for {wait:.0f} s more (provider_rate_limited)",
                retry_after=wait,
                provider="terra",
            )
        try:
            return await self.http.request(method, path, **kw)
        except ProviderRateLimited as exc:
            if exc.retry_after is not None:
                await self.limiter.pause(exc.retry_after)
            raise

    # --------------------------------------------------------------------- push

    async def push(
        self,
        template: WorkoutTemplate,
        planned_date: dt.date,
        *,
        idempotency_key: str,
        reconcile: bool = False,
    ) -> PushResult:
        item = PushItem(template, planned_date, idempotency_key)
        return await self.push_item(item, reconcile=reconcile)

    async def push_item(self, item: PushItem, *, reconcile: bool = False) -> PushResult:
        """The template, then the planned workout; each step only when it is missing.

        `item.progress["template_id"]` keeps the template across attempts, so a retry
        after the second request failed does not make or look for the template again.
        """
        caps = self.capabilities
        coerced, warnings = coerce(item.template, caps, thresholds=self.thresholds)
        key = item.idempotency_key
        workout_id = _int(item.progress.get("template_id"))
        # Whether the template may have a planned workout already (it existed before).
        known = workout_id is not None
        if workout_id is None and reconcile:
            # An earlier try may have created it before failing: find it by marker.
            workout_id = (await self._templates_by_key({key})).get(key)
            known = workout_id is not None
        if workout_id is None:
            body = coerced.model_dump(exclude_none=True)
            body["description"] = with_marker(coerced.description, key, caps.text.description)
            created = await self._call("POST", "/v2/workouts", json={"workout_template": body})
            workout_id = _int(created.get("workout_id") if isinstance(created, dict) else None)
            if workout_id is None:
                raise bad_answer("terra")
        item.progress["template_id"] = workout_id
        planned: dict[str, Any] | None = None
        if reconcile and known:
            # The template is this push's own, so a planned workout using it can only be
            # the one a failed try created (on any date it may have been sent for).
            planned = (await self._planned_by_template({workout_id}, item.dates())).get(workout_id)
        existed = planned is not None
        if planned is None:
            answer = await self._call(
                "POST",
                "/v2/plannedWorkouts",
                params={"user_id": self.credentials.user_id},
                json={"workout_id": workout_id, "planned_date": item.planned_date.isoformat()},
            )
            if not isinstance(answer, dict):
                raise bad_answer("terra")
            planned = answer
        theirs = [_warning(w) for w in planned.get("coercion_warnings") or []]
        return _result(planned, warnings + [w for w in theirs if w not in warnings], existed)

    async def find(self, items: Sequence[PushItem]) -> dict[str, PushResult]:
        if not items:
            return {}
        keys = {i.idempotency_key for i in items}
        templates = {
            i.idempotency_key: wid
            for i in items
            if (wid := _int(i.progress.get("template_id"))) is not None
        }
        missing = keys - set(templates)
        if missing:
            templates.update(await self._templates_by_key(missing))
        if not templates:
            return {}
        days = [d for i in items for d in i.dates()]
        planned = await self._planned_by_template(set(templates.values()), days)
        return {
            key: _result(planned[wid], [], True) for key, wid in templates.items() if wid in planned
        }

    async def find_copies(self, items: Sequence[PushItem]) -> dict[str, list[PushResult]]:
        """Every planned workout made from a template carrying an item's marker: Terra has
        no idempotency key, so a cut-off call that commits late leaves a second one."""
        if not items:
            return {}
        templates = await self._all_templates_by_key({i.idempotency_key for i in items})
        for item in items:
            if (wid := _int(item.progress.get("template_id"))) is not None:
                templates.setdefault(item.idempotency_key, set()).add(wid)
        wanted = {wid for ids in templates.values() for wid in ids}
        if not wanted:
            return {}
        days = [d for i in items for d in i.dates()]
        planned = await self._list_raw(min(days), max(days))
        return {
            key: [
                _result(p, [], True)
                for p in planned
                if not _external(p) and _int(p.get("workout_id")) in ids
            ]
            for key, ids in templates.items()
        }

    async def delete_copies(self, provider_workout_ids: Sequence[str]) -> None:
        # Only the planned workouts: their template is the kept workout's too.
        for pid in provider_workout_ids:
            await self._delete(f"/v2/plannedWorkouts/{pid}")

    async def _templates_by_key(self, keys: set[str]) -> dict[str, int]:
        found = await self._all_templates_by_key(keys)
        return {key: min(ids) for key, ids in found.items()}

    async def _all_templates_by_key(self, keys: set[str]) -> dict[str, set[int]]:
        """The templates carrying each marker (more than one when a cut-off call to make
        the template committed late)."""
        listed = await self._call("GET", "/v2/workouts")
        found: dict[str, set[int]] = {}
        for item in _items(listed, "workouts"):
            template = item.get("workout_template")
            key = find_marker(template.get("description") if isinstance(template, dict) else None)
            workout_id = _int(item.get("workout_id"))
            if key in keys and workout_id is not None:
                found.setdefault(key, set()).add(workout_id)
        return found

    async def _planned_by_template(
        self, workout_ids: set[int], days: Sequence[dt.date]
    ) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for item in await self._list_raw(min(days), max(days)):
            workout_id = _int(item.get("workout_id"))
            if workout_id in workout_ids and workout_id is not None:
                found.setdefault(workout_id, item)
        return found

    # ------------------------------------------------------------ move, delete

    async def move(self, provider_workout_id: str, new_date: dt.date) -> None:
        await self._call(
            "PATCH",
            f"/v2/plannedWorkouts/{provider_workout_id}",
            json={"planned_date": new_date.isoformat()},
        )

    async def delete(self, provider_workout_id: str) -> None:
        try:
            planned = await self._call("GET", f"/v2/plannedWorkouts/{provider_workout_id}")
        except ProviderNotFound:
            return
        await self._delete(f"/v2/plannedWorkouts/{provider_workout_id}")
        # The template was made for this push alone; keep the account tidy.
        workout_id = _int(planned.get("workout_id")) if isinstance(planned, dict) else None
        if workout_id is not None:
            await self._delete(f"/v2/workouts/{workout_id}")

    async def _delete(self, path: str) -> None:
        try:
            await self._call("DELETE", path)
        except ProviderNotFound:
            pass  # gone already: a retried delete is done

    # --------------------------------------------------------------------- list

    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        """Terra's list holds both its own planned workouts and the device platform's
        (`external_only`, `planned_workout_id` 0): those go by the platform's id."""
        out = []
        for item in await self._list_raw(start, end):
            if _external(item):
                try:
                    pid = str(item["provider_workout_id"])
                    day = dt.date.fromisoformat(str(item["planned_date"]))
                except (KeyError, ValueError) as exc:
                    raise bad_answer("terra") from exc
            else:
                result = _result(item, [], True)
                assert result.planned_date is not None
                pid, day = result.provider_workout_id, result.planned_date
            out.append(
                ProviderWorkout(
                    provider_workout_id=pid,
                    planned_date=day,
                    name=item.get("provider_workout_name") or "",
                    raw=item,
                    external=_external(item),
                )
            )
        return out

    async def _list_raw(self, start: dt.date, end: dt.date) -> _Items:
        listed = await self._call(
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
    items: Any = body.get(key) if isinstance(body, dict) else body
    if isinstance(items, list):
        return [i for i in items if isinstance(i, dict)]
    raise bad_answer("terra")


def _external(item: dict[str, Any]) -> bool:
    """A workout made on the device platform: Terra lists it with external_only (and
    planned_workout_id 0)."""
    return item.get("external_only") is True or item.get("planned_workout_id") == 0


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _result(planned: dict[str, Any], warnings: list[CoercionWarning], existed: bool) -> PushResult:
    """A Terra planned workout as our result; an answer without its id or date is unreadable."""
    try:
        provider_workout_id = str(planned["planned_workout_id"])
        day = dt.date.fromisoformat(str(planned["planned_date"]))
    except (KeyError, ValueError) as exc:
        raise bad_answer("terra") from exc
    return PushResult(
        provider_workout_id=provider_workout_id,
        warnings=warnings,
        raw=planned,
        existed=existed,
        planned_date=day,
    )


def _warning(raw: dict[str, Any]) -> CoercionWarning:
    # Terra's newer docs write {path, message}; the reference writes {field, ..., reason}.
    return CoercionWarning(
        field=raw.get("field") or raw.get("path") or "",
        original_value=raw.get("original_value"),
        coerced_value=raw.get("coerced_value"),
        reason=raw.get("reason") or raw.get("message") or "",
    )
