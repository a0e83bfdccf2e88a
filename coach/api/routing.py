"""Routes from endpoint descriptions: the one place where access is enforced.

Every request goes through the same steps, in the order the status codes imply: the key
(401), the role (403), the query and body (400), the organization the request names
(404 unless it is the caller's), the organization's plan feature (403). Only then does
the handler run, with the caller and the parsed query and body in a `Call`.
"""

from __future__ import annotations

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
)
from coach.api.validation import path_int, read_body, read_query


async def _organization_named(endpoint: AnyEndpoint, call: Call[object, object]) -> int:
    if endpoint.organization == "path":
        return path_int(call.request, "organization_id")
    source = call.body if endpoint.organization == "body" else call.query
    named: int | None = getattr(source, "organization_id", None)
    return named if named is not None else call.caller.organization_id


def route(endpoint: AnyEndpoint) -> Route:
    async def guarded(request: Request) -> Response:
        member: Caller | None = None
        if endpoint.authenticated:
            member = await authenticate(request, terra_headers=endpoint.terra_headers)
            require_access(member, endpoint.access)
        query = read_query(request, endpoint.query) if endpoint.query is not None else None
        body = await read_body(request, endpoint.body) if endpoint.body is not None else None
        call: Call[object, object] = Call(request, body, query, member)
        if endpoint.organization is not None:
            organization_id = await _organization_named(endpoint, call)
            require_own_organization(call.caller, organization_id)
        if endpoint.feature is not None:
            require_feature(call.caller, endpoint.feature)
        return await endpoint.handler(call)

    # Named for the handler, so links can name it (coach.api.links).
    return Route(endpoint.path, guarded, methods=[endpoint.method], name=endpoint.handler.__name__)
