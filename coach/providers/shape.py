"""The Shape calendar API: batched, rate-limited pushes that a retry never duplicates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coach.providers.base import (
    Capabilities,
    Limiter,
    Provider,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderWorkout,
    PushItem,
    PushResult,
    RateLimitDeferred,
    Thresholds,
    find_marker,
)
from coach.providers.capabilities import SHAPE
from coach.providers.coerce import coerce
from coach.providers.http import Http, bad_answer
from coach.providers.limiter import HOUR, MINUTE, account_key, store_for
from coach.providers.shape_format import to_activity
from coach.templates.models import CoercionWarning, WorkoutTemplate

BASE_URL = "https://shapecalendar.com/api/v1"  # COACH_SHAPE_BASE_URL
BATCH = 100  # the reference's batch endpoints take up to 100 items
PAGE = 200  # the list endpoint's largest page
# Shape's activities as it sends them (the class's own `list` method shadows the builtin).
_Activities = list[dict[str, Any]]


class ShapeCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=500, pattern=r"^shape_\S+$")


class ShapeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Below Shape's 30/min and 200/h: its window alignment is unknown to us.
    per_minute: int = Field(default=28, ge=1, le=30)
    per_hour: int = Field(default=190, ge=1, le=200)
    structured: bool = Field(default=True, description="Send interval steps (target=steps).")


class ShapeProvider(Provider):
    """One Shape token. provider_workout_id is the activity id."""

    name = "shape"
    Credentials = ShapeCredentials
    Settings = ShapeSettings
    batch_size = BATCH
    endpoint_setting = "COACH_SHAPE_BASE_URL"

    def __init__(self, *args: Any, limiter: Limiter | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        c, s = self.credentials, self.settings
        self.http = Http(
            "shape",
            self.context,
            self.context.endpoint("shape", BASE_URL),
            {"Authorization": f"Bearer {c.token}"},
        )
        # Every adapter on the same token shares one quota: the token is the account.
        self.limiter = limiter or store_for(self.context).limiter(
            account_key("shape", c.token), [(s.per_minute, MINUTE), (s.per_hour, HOUR)]
        )
        self.requests = 0

    @classmethod
    def capabilities_of(cls, settings: Any) -> Capabilities:
        return SHAPE

    @classmethod
    def preview_of(
        cls, template: WorkoutTemplate, settings: Any, thresholds: Thresholds | None = None
    ) -> tuple[WorkoutTemplate, list[CoercionWarning]]:
        """Coercion and Shape's conventions (steps, title), as a push would apply them."""
        coerced, _ = coerce(template, SHAPE, thresholds=thresholds)
        body, warnings = to_activity(
            template,
            dt.date.today(),
            "preview",
            structured=settings.structured,
            thresholds=thresholds,
        )
        return coerced.model_copy(update={"name": body["title"]}), warnings

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        """One rate-limited request; a 429 holds back everyone sharing the quota. A slot
        further away than the caller may wait sends nothing (RateLimitDeferred)."""
        wait = await self.limiter.acquire(self.context.max_wait_s)
        if wait > 0:
            raise RateLimitDeferred(
                f"shape: no request slot for {wait:.0f} s (provider_rate_limited)",
                retry_after=wait,
                provider="shape",
            )
        self.requests += 1
        try:
            return await self.http.request(method, path, **kw)
        except ProviderRateLimited as exc:
            pause = exc.retry_after if exc.retry_after is not None else MINUTE
            await self.limiter.pause(pause)
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
        return (await self.push_many([item], reconcile=reconcile))[0]

    async def push_many(
        self, items: Sequence[PushItem], *, reconcile: bool = False
    ) -> list[PushResult]:
        keys = [i.idempotency_key for i in items]
        if len(set(keys)) != len(keys):
            raise ValueError("idempotency keys must be unique within one push")
        results: dict[str, PushResult] = {}
        bodies: dict[str, tuple[PushItem, dict[str, Any], PushResult]] = {}
        for item in items:
            body, warnings = to_activity(
                item.template,
                item.planned_date,
                item.idempotency_key,
                structured=self.settings.structured,
                thresholds=self.thresholds,
            )
            bodies[item.idempotency_key] = (item, body, PushResult("", warnings))
        for start in range(0, len(items), BATCH):
            chunk = keys[start : start + BATCH]
            await self._push_chunk([bodies[k] for k in chunk], results, reconcile)
        return [results[k] for k in keys]

    async def _push_chunk(
        self,
        chunk: list[tuple[PushItem, dict[str, Any], PushResult]],
        results: dict[str, PushResult],
        reconcile: bool,
    ) -> None:
        pending = {item.idempotency_key: (item, body, res) for item, body, res in chunk}
        if reconcile:
            # An earlier try may have created some or all of them: take those found by
            # marker, and send only the rest.
            for act in await self._list_raw(*_span([i for i, _, _ in pending.values()])):
                key = find_marker(act.get("description"))
                if key in pending:
                    _, _, res = pending.pop(key)
                    results[key] = _done(res, act, existed=True)
            if not pending:
                return
        created = await self._create([b for _, b, _ in pending.values()])
        for act in created:
            key = find_marker(act.get("description"))
            if key in pending:
                _, _, res = pending.pop(key)
                results[key] = _done(res, act, existed=False)
        if pending:
            # Shape may hold them without having listed them: the retry reconciles.
            raise ProviderError(
                f"shape returned {len(created)} of {len(created) + len(pending)} activities "
                "(provider_bad_answer)",
                retryable=True,
                unknown=True,
                code="provider_bad_answer",
                provider="shape",
            )

    async def find(self, items: Sequence[PushItem]) -> dict[str, PushResult]:
        if not items:
            return {}
        keys = {i.idempotency_key for i in items}
        found: dict[str, PushResult] = {}
        for act in await self._list_raw(*_span(items)):
            key = find_marker(act.get("description"))
            if key in keys and key not in found:
                found[key] = _done(PushResult(""), act, existed=True)
        return found

    async def find_copies(self, items: Sequence[PushItem]) -> dict[str, list[PushResult]]:
        """Every activity carrying an item's marker: Shape takes no idempotency key, so a
        cut-off create that commits after its retry leaves a second one."""
        if not items:
            return {}
        keys = {i.idempotency_key for i in items}
        found: dict[str, list[PushResult]] = {}
        for act in await self._list_raw(*_span(items)):
            key = find_marker(act.get("description"))
            if key is not None and key in keys:
                found.setdefault(key, []).append(_done(PushResult(""), act, existed=True))
        return found

    async def _create(self, bodies: _Activities) -> _Activities:
        try:
            if len(bodies) == 1:
                return [(await self._call("POST", "/activities", json=bodies[0]))["activity"]]
            answer = await self._call("POST", "/activities/batch", json={"activities": bodies})
            return list(answer["activities"])
        except (KeyError, TypeError) as exc:
            raise bad_answer("shape") from exc

    # ------------------------------------------------------------ move, delete

    async def move(self, provider_workout_id: str, new_date: dt.date) -> None:
        await self.move_many([(provider_workout_id, new_date)])

    async def move_many(self, moves: Sequence[tuple[str, dt.date]]) -> None:
        # Setting a date is idempotent: a caller may simply try a failed move again.
        for start in range(0, len(moves), BATCH):
            chunk = moves[start : start + BATCH]
            if len(chunk) == 1:
                pid, day = chunk[0]
                await self._call("PATCH", f"/activities/{pid}", json={"date": day.isoformat()})
            else:
                await self._call(
                    "PATCH",
                    "/activities/batch",
                    json={
                        "activities": [{"id": pid, "date": day.isoformat()} for pid, day in chunk]
                    },
                )

    async def delete(self, provider_workout_id: str) -> None:
        try:
            await self._call("DELETE", f"/activities/{provider_workout_id}")
        except ProviderNotFound:
            return  # gone already, e.g. an earlier try deleted it

    async def delete_many(self, provider_workout_ids: Sequence[str]) -> None:
        ids = list(provider_workout_ids)
        for start in range(0, len(ids), BATCH):
            await self._call(
                "DELETE", "/activities/batch", json={"ids": ids[start : start + BATCH]}
            )

    # --------------------------------------------------------------------- list

    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        return [
            ProviderWorkout(
                provider_workout_id=str(a["id"]),
                planned_date=dt.date.fromisoformat(str(a["date"])[:10]),
                name=a.get("title") or "",
                raw=a,
                external=find_marker(a.get("description")) is None,
            )
            for a in await self._list_raw(start, end)
            if not a.get("completed")
        ]

    async def _list_raw(self, start: dt.date, end: dt.date) -> _Activities:
        out: _Activities = []
        offset = 0
        while True:
            params = {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "limit": PAGE,
                "offset": offset,
                "includePaired": "true",
            }
            page = await self._list_page(params)
            out.extend(page["activities"])
            offset += len(page["activities"])
            if not page["activities"] or offset >= int(page.get("total", 0)):
                return out

    async def _list_page(self, params: dict[str, Any]) -> dict[str, Any]:
        page = await self._call("GET", "/activities", params=params)
        if not isinstance(page, dict) or not isinstance(page.get("activities"), list):
            raise bad_answer("shape")
        return page


def _span(items: Sequence[PushItem]) -> tuple[dt.date, dt.date]:
    """The date range that covers every date the items may be on."""
    days = [day for item in items for day in item.dates()]
    return min(days), max(days)


def _done(res: PushResult, activity: dict[str, Any], *, existed: bool) -> PushResult:
    try:
        res.provider_workout_id = str(activity["id"])
        res.planned_date = dt.date.fromisoformat(str(activity["date"])[:10])
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_answer("shape") from exc
    res.raw = activity
    res.existed = existed
    return res
