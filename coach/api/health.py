"""`GET /healthz`: the service answers and its database is reachable."""

from __future__ import annotations

import logging
from typing import Literal

import anyio.to_thread
from pydantic import BaseModel
from starlette.responses import Response

from coach import __version__
from coach.api.endpoint import Access, AnyEndpoint, Call, Endpoint
from coach.api.responses import model_response

log = logging.getLogger("coach.health")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    engine: str
    version: str


async def healthz(call: Call[None, None]) -> Response:
    services = call.services
    database: Literal["ok", "unreachable"]
    try:
        await anyio.to_thread.run_sync(services.db.ping)
        database = "ok"
    except Exception as exc:  # any driver error means the same thing to a load balancer
        log.warning("database ping failed: %s", exc)
        database = "unreachable"
    body = Health(
        status="ok" if database == "ok" else "degraded",
        database=database,
        engine=services.settings.engine,
        version=__version__,
    )
    return model_response(body, status=200 if database == "ok" else 503)


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "GET",
        "/healthz",
        healthz,
        "Liveness and database reachability",
        "service",
        response=Health,
        errors=(503,),
        access=Access.PUBLIC,
    ),
]
