"""Shape calendar API emulator: Bearer shape_ tokens, batches of 100, 30/min and 200/h.

It also refuses (400) what the reference's "Creating workouts - conventions" rule out, so a
test pushing through it proves the adapter keeps them: a distance or duration in a title,
steps for strength or yoga, steps without an interval structure (a repeat group or an
interval step), a negative or non-numeric `load`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections import Counter, deque
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.faults import Faults, json_error

SPORTS = {"run", "bike", "swim", "hike", "yoga", "nordicski", "strength", "other"}
TARGETS = {"distance", "time", "pace", "steps"}
STEP_TYPES = {"warmup", "cooldown", "interval", "recovery", "repeat"}
END_CONDITIONS = {"lap.button", "time", "distance", "iterations", "heart.rate", "power", "open"}
TARGET_TYPES = {"no.target", "heart.rate", "pace", "power", "speed", "cadence"}
NUMBERS = ("distance", "duration", "speed", "heartRate", "power", "load", "elevationGain")
CREATE_FIELDS = {
    "date",
    "title",
    "sportType",
    "description",
    "completed",
    "target",
    "steps",
    *NUMBERS,
}
STEP_FIELDS = {
    "stepType",
    "displayName",
    "description",
    "endCondition",
    "endConditionValue",
    "targetType",
    "targetValueOne",
    "targetValueTwo",
    "zoneNumber",
    "secondaryTargetType",
    "secondaryTargetValueOne",
    "secondaryTargetValueTwo",
    "secondaryZoneNumber",
}
REPEAT_FIELDS = {"stepType", "numberOfIterations", "skipLastRestStep", "workoutSteps"}
_err = json_error("error")
# "Don't include distance/duration in the title" ("Easy 5k run" -> "Easy run"); the size of
# a repeat ("6x800m") and a pace ("4:30/km") are neither.
_TITLE_AMOUNT = re.compile(
    r"(?<![x×\d.,:/\w])(?:\d+(?:[.,]\d+)?\s*(?:km|k|mi|miles?|m|mins?|minutes?|h|hrs?|hours?|')"
    r"(?![a-z/])|\d{1,2}:\d{2}(?::\d{2})?(?!\s*[/\-–]|\d))",
    re.IGNORECASE,
)


class Invalid(ValueError):
    pass


class ShapeEmulator:
    """In-memory Shape. Inspect `activities`, `requests`, `rate_limited`, `calls`."""

    def __init__(
        self,
        tokens: set[str] | None = None,
        *,
        clock: Any = None,
        per_minute: int = 30,
        per_hour: int = 200,
    ) -> None:
        self.tokens = tokens or {"shape_test_token"}
        self.now = clock.now if clock is not None else time.monotonic
        self.wall = clock.wall if clock is not None else time.time
        self.per_minute, self.per_hour = per_minute, per_hour
        self.activities: dict[str, dict[str, Any]] = {}
        self.faults = Faults()
        self.requests = 0
        self.rate_limited = 0
        self.calls: Counter[str] = Counter()  # "POST /activities/batch" -> count
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._ids = 0

    # ------------------------------------------------------------------ plumbing

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v1/activities", self.list_, methods=["GET"]),
                Route("/api/v1/activities", self.create, methods=["POST"]),
                Route("/api/v1/activities/batch", self.create_batch, methods=["POST"]),
                Route("/api/v1/activities/batch", self.update_batch, methods=["PATCH"]),
                Route("/api/v1/activities/batch", self.delete_batch, methods=["DELETE"]),
                Route("/api/v1/activities/{id}", self.get, methods=["GET"]),
                Route("/api/v1/activities/{id}", self.update, methods=["PATCH"]),
                Route("/api/v1/activities/{id}", self.delete, methods=["DELETE"]),
            ]
        )

    def _gate(self, request: Request) -> Response | None:
        """Count, authenticate and rate-limit one request; a Response means refuse it."""
        with self._lock:
            self.requests += 1
            self.calls[f"{request.method} {request.url.path.removeprefix('/api/v1')}"] += 1
            auth = request.headers.get("authorization", "")
            token = auth.removeprefix("Bearer ").strip()
            if not auth.startswith("Bearer ") or token not in self.tokens:
                return _err(401, "missing or invalid token")
            now, hits = self.now(), self._hits.setdefault(token, deque())
            while hits and hits[0] <= now - 3600:
                hits.popleft()
            in_minute = [h for h in hits if h > now - 60]
            wait = 0.0
            if len(in_minute) >= self.per_minute:
                wait = in_minute[-self.per_minute] + 60 - now
            if len(hits) >= self.per_hour:
                wait = max(wait, hits[-self.per_hour] + 3600 - now)
            if wait > 0:
                self.rate_limited += 1
                return JSONResponse(
                    {"error": "rate limit exceeded"},
                    status_code=429,
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
            hits.append(now)
        return None

    async def _handle(self, request: Request, work: Any) -> Response:
        refused = self._gate(request)
        if refused is not None:
            return refused
        try:
            body = (
                await request.json()
                if request.method in ("POST", "PATCH", "DELETE") and (await request.body())
                else None
            )
        except ValueError:
            return _err(400, "body is not JSON")

        async def commit() -> Response:
            try:
                with self._lock:
                    return work(body)
            except Invalid as exc:
                return _err(400, str(exc))

        return await self.faults.run(request, commit, _err)

    # ------------------------------------------------------------------ validation

    def _validate(self, a: Any, *, partial: bool = False) -> dict[str, Any]:
        if not isinstance(a, dict):
            raise Invalid("an activity must be an object")
        unknown = set(a) - CREATE_FIELDS
        if unknown:
            raise Invalid(f"unknown fields: {', '.join(sorted(unknown))}")
        if not partial:
            for key in ("date", "title", "sportType"):
                if not a.get(key):
                    raise Invalid(f"{key} is required")
        if "date" in a:
            _date(a["date"])
        if "title" in a and not (isinstance(a["title"], str) and a["title"].strip()):
            raise Invalid("title must be a non-empty string")
        if "sportType" in a and a["sportType"] not in SPORTS:
            raise Invalid(f"sportType must be one of {sorted(SPORTS)}")
        if a.get("target") is not None and a["target"] not in TARGETS:
            raise Invalid(f"target must be one of {sorted(TARGETS)}")
        for key in NUMBERS:
            if a.get(key) is not None and not isinstance(a[key], int | float):
                raise Invalid(f"{key} must be a number")
        if a.get("load") is not None and a["load"] < 0:
            raise Invalid("load (training stress score) must be >= 0")
        if "title" in a and (found := _TITLE_AMOUNT.search(a["title"])):
            raise Invalid(f"convention: no distance or duration in a title ({found.group()!r})")
        if a.get("steps") is not None:
            if a.get("target") != "steps":
                raise Invalid("set target to steps when sending steps")
            if a.get("sportType") in ("strength", "yoga"):
                raise Invalid("convention: never steps for strength; use the description")
            _steps(a["steps"], depth=0)
            if not any(s.get("stepType") in ("repeat", "interval") for s in a["steps"]):
                raise Invalid("convention: steps only for workouts with an interval structure")
        return a

    def _new(self, a: dict[str, Any]) -> dict[str, Any]:
        self._ids += 1
        ms = int(self.wall() * 1000)
        activity = {
            "id": f"act_{self._ids:05d}",
            "description": None,
            "distance": None,
            "duration": None,
            "speed": None,
            "heartRate": None,
            "power": None,
            "load": None,
            "elevationGain": None,
            "completed": False,
            "target": None,
            "source": None,
            "externalId": None,
            **a,
            "createdAt": ms,
            "updatedAt": ms,
        }
        self.activities[activity["id"]] = activity
        return activity

    # ------------------------------------------------------------------ handlers

    async def list_(self, request: Request) -> Response:
        def work(_: Any) -> Response:
            q = request.query_params
            try:
                limit = int(q.get("limit", 50))
                offset = int(q.get("offset", 0))
                start = _date(q["from"]) if "from" in q else None
                end = _date(q["to"]) if "to" in q else None
            except (ValueError, Invalid) as exc:
                raise Invalid(f"bad query: {exc}") from None
            if not 1 <= limit <= 200 or offset < 0:
                raise Invalid("limit is 1..200 and offset >= 0")
            rows = sorted(self.activities.values(), key=lambda a: (str(a["date"]), a["id"]))
            rows = [
                a
                for a in rows
                if (start is None or _date(a["date"]) >= start)
                and (end is None or _date(a["date"]) <= end)
                and (q.get("sportType") in (None, a["sportType"]))
                and (q.get("completed") in (None, str(bool(a["completed"])).lower()))
                and (q.get("includePaired") == "true" or not a.get("completedActivityId"))
            ]
            return JSONResponse(
                {
                    "activities": rows[offset : offset + limit],
                    "total": len(rows),
                    "limit": limit,
                    "offset": offset,
                }
            )

        return await self._handle(request, work)

    async def get(self, request: Request) -> Response:
        def work(_: Any) -> Response:
            found = self.activities.get(request.path_params["id"])
            return JSONResponse({"activity": found}) if found else _err(404, "not found")

        return await self._handle(request, work)

    async def create(self, request: Request) -> Response:
        def work(body: Any) -> Response:
            return JSONResponse({"activity": self._new(self._validate(body))}, status_code=201)

        return await self._handle(request, work)

    async def create_batch(self, request: Request) -> Response:
        def work(body: Any) -> Response:
            items = _batch(body, "activities")
            checked = [self._validate(a) for a in items]  # all or nothing
            return JSONResponse({"activities": [self._new(a) for a in checked]}, status_code=201)

        return await self._handle(request, work)

    async def update(self, request: Request) -> Response:
        def work(body: Any) -> Response:
            found = self.activities.get(request.path_params["id"])
            if found is None:
                return _err(404, "not found")
            found.update(self._validate(body, partial=True), updatedAt=int(self.wall() * 1000))
            return JSONResponse({"activity": found})

        return await self._handle(request, work)

    async def update_batch(self, request: Request) -> Response:
        def work(body: Any) -> Response:
            items = _batch(body, "activities")
            changes = []
            for item in items:
                if not isinstance(item, dict) or "id" not in item:
                    raise Invalid("each activity needs an id")
                fields = {k: v for k, v in item.items() if k != "id"}
                changes.append((item["id"], self._validate(fields, partial=True)))
            updated = 0
            for pid, fields in changes:
                if pid in self.activities:
                    self.activities[pid].update(fields, updatedAt=int(self.wall() * 1000))
                    updated += 1
            return JSONResponse({"updated": updated})

        return await self._handle(request, work)

    async def delete(self, request: Request) -> Response:
        def work(_: Any) -> Response:
            if self.activities.pop(request.path_params["id"], None) is None:
                return _err(404, "not found")
            return JSONResponse({"deleted": True})

        return await self._handle(request, work)

    async def delete_batch(self, request: Request) -> Response:
        def work(body: Any) -> Response:
            ids = _batch(body, "ids")
            return JSONResponse(
                {"deleted": sum(self.activities.pop(str(i), None) is not None for i in ids)}
            )

        return await self._handle(request, work)


def _batch(body: Any, key: str) -> list[Any]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise Invalid(f"{key} must be a non-empty list")
    if len(items) > 100:
        raise Invalid("at most 100 items per batch")
    return items


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise Invalid(f"not an ISO date: {value!r}") from None


def _steps(steps: Any, depth: int) -> None:
    if not isinstance(steps, list) or not steps:
        raise Invalid("steps must be a non-empty list")
    for s in steps:
        if not isinstance(s, dict) or s.get("stepType") not in STEP_TYPES:
            raise Invalid(f"stepType must be one of {sorted(STEP_TYPES)}")
        if s["stepType"] == "repeat":
            if set(s) - REPEAT_FIELDS:
                raise Invalid(f"unknown repeat fields: {sorted(set(s) - REPEAT_FIELDS)}")
            n = s.get("numberOfIterations")
            if not isinstance(n, int) or n < 1:
                raise Invalid("numberOfIterations must be a whole number >= 1")
            if depth > 0:
                raise Invalid("repeat groups do not nest")
            _steps(s.get("workoutSteps"), depth + 1)
            continue
        if set(s) - STEP_FIELDS:
            raise Invalid(f"unknown step fields: {sorted(set(s) - STEP_FIELDS)}")
        if s.get("endCondition") not in END_CONDITIONS:
            raise Invalid(f"endCondition must be one of {sorted(END_CONDITIONS)}")
        if s["endCondition"] not in ("lap.button", "open") and not isinstance(
            s.get("endConditionValue"), int | float
        ):
            raise Invalid("endConditionValue is required for this endCondition")
        for key in ("targetType", "secondaryTargetType"):
            if s.get(key) is not None and s[key] not in TARGET_TYPES:
                raise Invalid(f"{key} must be one of {sorted(TARGET_TYPES)}")
