"""An endpoint's description: handler plus the pydantic models the OpenAPI schema is built from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = (400, 401, 403, 404)
    authenticated: bool = True
    # SSE endpoints name the events they send; the schema documents them.
    stream_events: tuple[str, ...] = field(default=())
    media_type: str = "application/json"
