"""Routes from endpoint descriptions: the one place where access is enforced.

Every request goes through the same steps, in the order the status codes imply: the key
(401), the role (403), the query and body (400), the organization the request names
(404 unless it is the caller's), the organization's plan feature (403). Only then does
the handler run, with the caller and the parsed query and body in a `Call`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coach.accounts import Caller
from coach.api.endpoint import AnyEndpoint, Call
from coach.api.security import (
    authenticate,
    require_access,
    require_feature,
    require_own_organization,
    token_caller,
)
from coach.api.validation import path_int, read_body, read_query


async def _organization_named(endpoint: AnyEndpoint, call: Call[object, object]) -> int:
    if endpoint.organization == "path":
        return path_int(call.request, "organization_id")
    source = call.body if endpoint.organization == "body" else call.query
    named: int | None = getattr(source, "organization_id", None)
    return named if named is not None else call.caller.organization_id


async def _body(request: Request, endpoint: AnyEndpoint) -> object:
    if endpoint.body is None:
        return None
    if not endpoint.body_required and request.headers.get("content-length", "0") == "0":
        if "transfer-encoding" not in request.headers:
            return endpoint.body()
    return await read_body(request, endpoint.body)


def guarded(endpoint: AnyEndpoint) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint's handler behind its access checks and its query and body parsing."""

    async def handle(request: Request) -> Response:
        member: Caller | None = None
        if endpoint.authenticated:
            token = request.query_params.get("token") if endpoint.stream_token else None
            if token is not None and "authorization" not in request.headers:
                member = await token_caller(request, endpoint.stream_token, token)
            else:
                member = await authenticate(request, terra_headers=endpoint.terra_headers)
            require_access(member, endpoint.access)
        query = read_query(request, endpoint.query) if endpoint.query is not None else None
        body = await _body(request, endpoint)
        call: Call[object, object] = Call(request, body, query, member)
        if endpoint.organization is not None:
            organization_id = await _organization_named(endpoint, call)
            require_own_organization(call.caller, organization_id)
        if endpoint.feature is not None:
            require_feature(call.caller, endpoint.feature)
        return await endpoint.handler(call)

    return handle


class ResourceRoute(Route):
    """Every method of one path in one route, so a 405 lists all of them in `Allow`.

    Links name a route by the handler's name (coach.api.links); any handler of the path
    names this route.
    """

    def __init__(self, path: str, endpoints: list[AnyEndpoint]) -> None:
        self._handlers = {e.method: guarded(e) for e in endpoints}
        if "GET" in self._handlers:
            self._handlers.setdefault("HEAD", self._handlers["GET"])
        self._names = {e.handler.__name__ for e in endpoints}
        super().__init__(
            path,
            self._dispatch,
            methods=[e.method for e in endpoints],
            name=endpoints[0].handler.__name__,
        )

    async def _dispatch(self, request: Request) -> Response:
        return await self._handlers[request.method](request)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return super().url_path_for(self.name if name in self._names else name, **path_params)


def routes(endpoints: list[AnyEndpoint]) -> list[Route]:
    """One route per path, in the order the paths first appear."""
    by_path: dict[str, list[AnyEndpoint]] = {}
    for endpoint in endpoints:
        by_path.setdefault(endpoint.path, []).append(endpoint)
    return [ResourceRoute(path, group) for path, group in by_path.items()]
