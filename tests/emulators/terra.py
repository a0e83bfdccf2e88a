"""Terra Planned Workouts API emulator: dev-id/x-api-key, templates, planned workouts."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from typing import Any

import anyio
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coach.providers.base import ProviderUnsupported
from coach.providers.capabilities import BY_NAME
from coach.providers.coerce import coerce
from coach.templates.models import WorkoutTemplate, WorkoutTemplateRequest
from tests.emulators.faults import Faults


def _err(status: int, message: str, details: list[Any] | None = None) -> JSONResponse:
    # The reference shows no error body; Terra's API answers {"status": "error", "message"}.
    body: dict[str, Any] = {"status": "error", "message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


class TerraEmulator:
    """In-memory Terra. `users` maps a user id to the device provider behind it.

    A user whose provider Terra cannot plan for (e.g. "fitbit") gets 501 on push.
    """

    def __init__(
        self,
        users: dict[str, str],
        *,
        dev_id: str = "dev-test",
        api_key: str = "key-test",
        api_keys: set[str] | None = None,
        clock: Any = None,
    ) -> None:
        self.users = users
        self.connections = {u: i for i, u in enumerate(users, start=1)}
        self.dev_id, self.api_key = dev_id, api_key
        self.api_keys = api_keys or {api_key}
        self.wall = clock.wall if clock is not None else time.time
        self.templates: dict[int, dict[str, Any]] = {}
        self.planned: dict[int, dict[str, Any]] = {}
        # Workouts made on the device platform itself (provider-native), listed with ours.
        self.native: list[dict[str, Any]] = []
        self.faults = Faults()
        self.requests = 0
        self.calls: Counter[str] = Counter()
        # Added to every answer, so a test can stop a pushing worker half-way.
        self.latency_s = 0.0
        self._lock = threading.Lock()
        self._ids = Counter[str]()

    def app(self) -> Starlette:
        pw = "/v2/plannedWorkouts"
        return Starlette(
            routes=[
                Route("/v2/workouts", self.create_template, methods=["POST"]),
                Route("/v2/workouts", self.list_templates, methods=["GET"]),
                Route("/v2/workouts/{id:int}", self.get_template, methods=["GET"]),
                Route("/v2/workouts/{id:int}", self.delete_template, methods=["DELETE"]),
                Route(pw, self.create_planned, methods=["POST"]),
                Route(pw, self.list_planned, methods=["GET"]),
                Route(f"{pw}/connection/{{cid:int}}", self.list_connection, methods=["GET"]),
                Route(
                    f"{pw}/connection/{{cid:int}}/provider/{{pid}}",
                    self.by_provider,
                    methods=["GET", "DELETE"],
                ),
                Route(f"{pw}/{{id:int}}", self.get_planned, methods=["GET"]),
                Route(f"{pw}/{{id:int}}", self.patch_planned, methods=["PATCH"]),
                Route(f"{pw}/{{id:int}}", self.delete_planned, methods=["DELETE"]),
            ]
        )

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    async def _handle(self, request: Request, work: Any) -> Response:
        with self._lock:
            self.requests += 1
            self.calls[f"{request.method} {request.url.path}"] += 1
        if (
            request.headers.get("dev-id") != self.dev_id
            or request.headers.get("x-api-key") not in self.api_keys
        ):
            return _err(401, "invalid dev-id or x-api-key")
        body: Any = None
        if request.method in ("POST", "PATCH") and await request.body():
            try:
                body = await request.json()
            except ValueError:
                return _err(400, "body is not JSON")

        async def commit() -> Response:
            with self._lock:
                return work(body)

        if self.latency_s:
            await anyio.sleep(self.latency_s)
        return await self.faults.run(request, commit, _err)

    # ------------------------------------------------------------------ templates

    async def create_template(self, request: Request) -> Response:
        def work(body: Any) -> Response:
            try:
                parsed = WorkoutTemplateRequest.model_validate(body)
            except ValidationError as exc:
                details = [
                    {"field": ".".join(map(str, e["loc"])), "message": e["msg"]}
                    for e in exc.errors()
                ]
                return _err(400, "invalid workout template", details)
            wid = self._next("workout")
            self.templates[wid] = {
                "workout_id": wid,
                "workout_template": parsed.workout_template.model_dump(exclude_none=True),
            }
            return JSONResponse(self.templates[wid])

        return await self._handle(request, work)

    async def list_templates(self, request: Request) -> Response:
        return await self._handle(
            request, lambda _: JSONResponse({"workouts": list(self.templates.values())})
        )

    async def get_template(self, request: Request) -> Response:
        def work(_: Any) -> Response:
            found = self.templates.get(request.path_params["id"])
            return JSONResponse(found) if found else _err(404, "workout not found")

        return await self._handle(request, work)

    async def delete_template(self, request: Request) -> Response:
        def work(_: Any) -> Response:
            if self.templates.pop(request.path_params["id"], None) is None:
                return _err(404, "workout not found")
            return JSONResponse({"status": "success"})

        return await self._handle(request, work)

    # ------------------------------------------------------------- planned workouts

    async def create_planned(self, request: Request) -> Response:
        def work(body: Any) -> Response:
            user = request.query_params.get("user_id")
            if user not in self.users:
                return _err(404, "user not found")
            if not isinstance(body, dict) or not isinstance(body.get("workout_id"), int):
                return _err(400, "workout_id (integer) is required")
            try:
                day = dt.date.fromisoformat(str(body.get("planned_date")))
            except ValueError:
                return _err(400, "planned_date must be YYYY-MM-DD")
            template = self.templates.get(body["workout_id"])
            if template is None:
                return _err(404, "workout template not found")
            provider = self.users[user]
            if provider not in ("garmin", "wahoo", "coros"):
                return _err(501, f"{provider} does not support planned workouts")
            try:
                _, warnings = coerce(
                    WorkoutTemplate.model_validate(template["workout_template"]), BY_NAME[provider]
                )
            except ProviderUnsupported as exc:
                return _err(502, f"{provider} rejected the workout: {exc.message}")
            pid, now = self._next("planned"), int(self.wall())
            self.planned[pid] = {
                "planned_workout_id": pid,
                "workout_id": body["workout_id"],
                "connection_id": self.connections[user],
                "user_id": user,
                "planned_date": day.isoformat(),
                "provider_workout_id": f"{provider}-{pid:06d}",
                "provider_name": provider,
                "provider_workout_name": template["workout_template"]["name"],
                "synced_at": now,
                "coercion_applied": bool(warnings),
                "coercion_warnings": [w.model_dump() for w in warnings] or None,
                "external_only": False,
                "created_date": now,
                "updated_date": now,
            }
            return JSONResponse(self._public(self.planned[pid]))

        return await self._handle(request, work)

    @staticmethod
    def _public(planned: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in planned.items() if k != "user_id"}

    def add_native(self, user: str, day: dt.date, name: str) -> dict[str, Any]:
        """A workout the athlete made on the device platform: Terra lists it with
        external_only, planned_workout_id 0 and no template."""
        provider, now = self.users[user], int(self.wall())
        native = {
            "planned_workout_id": 0,
            "workout_id": None,
            "connection_id": self.connections[user],
            "user_id": user,
            "planned_date": day.isoformat(),
            "provider_workout_id": f"{provider}-native-{self._next('native'):04d}",
            "provider_name": provider,
            "provider_workout_name": name,
            "synced_at": None,
            "coercion_applied": False,
            "coercion_warnings": None,
            "external_only": True,
            "created_date": now,
            "updated_date": now,
        }
        self.native.append(native)
        return native

    def _listing(self, request: Request, keep: Any) -> Response:
        """Terra's and the platform's workouts in the window: the reference's defaults are
        30 days ago to today."""
        q = request.query_params
        today = dt.datetime.fromtimestamp(self.wall(), dt.UTC).date()
        try:
            start = dt.date.fromisoformat(q.get("start_date") or str(today - dt.timedelta(days=30)))
            end = dt.date.fromisoformat(q.get("end_date") or str(today))
        except ValueError:
            return _err(400, "dates must be YYYY-MM-DD")
        rows = [
            self._public(p)
            for p in [*self.planned.values(), *self.native]
            if keep(p) and start <= dt.date.fromisoformat(p["planned_date"]) <= end
        ]
        return JSONResponse({"planned_workouts": rows})

    async def list_planned(self, request: Request) -> Response:
        def work(_: Any) -> Response:
            user = request.query_params.get("user_id")
            if user not in self.users:
                return _err(404, "user not found")
            return self._listing(request, lambda p: p["user_id"] == user)

        return await self._handle(request, work)

    async def list_connection(self, request: Request) -> Response:
        cid = request.path_params["cid"]
        return await self._handle(
            request, lambda _: self._listing(request, lambda p: p["connection_id"] == cid)
        )

    def _find(self, request: Request) -> dict[str, Any] | None:
        params = request.path_params
        if "id" in params:
            return self.planned.get(params["id"])
        return next(
            (
                p
                for p in self.planned.values()
                if p["connection_id"] == params["cid"] and p["provider_workout_id"] == params["pid"]
            ),
            None,
        )

    async def get_planned(self, request: Request) -> Response:
        def work(_: Any) -> Response:
            found = self._find(request)
            return JSONResponse(self._public(found)) if found else _err(404, "not found")

        return await self._handle(request, work)

    async def patch_planned(self, request: Request) -> Response:
        def work(body: Any) -> Response:
            found = self._find(request)
            if found is None:
                return _err(404, "planned workout not found")
            try:
                day = dt.date.fromisoformat(str((body or {}).get("planned_date")))
            except ValueError:
                return _err(400, "planned_date must be YYYY-MM-DD")
            found.update(planned_date=day.isoformat(), updated_date=int(self.wall()))
            return JSONResponse(self._public(found))

        return await self._handle(request, work)

    async def delete_planned(self, request: Request) -> Response:
        def work(_: Any) -> Response:
            found = self._find(request)
            if found is None:
                return _err(404, "planned workout not found")
            del self.planned[found["planned_workout_id"]]
            return JSONResponse({"status": "success"})

        return await self._handle(request, work)

    async def by_provider(self, request: Request) -> Response:
        if request.method == "DELETE":
            return await self.delete_planned(request)
        return await self.get_planned(request)
