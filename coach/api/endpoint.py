"""An endpoint's description: who may call it, what it reads, and the models it answers with.

The description is the single source of an endpoint's rules: `coach.api.routing` enforces
its access, reads its query and body into the declared models, and hands the handler a
`Call`; the OpenAPI document is built from the same fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from coach.accounts import Caller
from coach.errors import Unauthorized
from coach.services import Services, services_of
from coach.tokens import Kind as StreamKind


class Access(StrEnum):
    """Who may call an endpoint."""

    PUBLIC = "public"  # no key (the URL or a signed state is the secret, or nothing is)
    MEMBER = "member"  # any member's key, athletes included
    STAFF = "staff"  # a coach's or an admin's key
    ADMIN = "admin"  # an admin's key


B = TypeVar("B")
Q = TypeVar("Q")


@dataclass(frozen=True)
class Call(Generic[B, Q]):
    """One request as a handler receives it: already authorized, query and body parsed."""

    request: Request
    body: B
    query: Q
    member: Caller | None

    @property
    def caller(self) -> Caller:
        """The authenticated member (every endpoint but the public ones has one)."""
        if self.member is None:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
        return self.member

    @property
    def services(self) -> Services:
        return services_of(self.request)


Handler = Callable[[Call[B, Q]], Awaitable[Response]]

# Where an endpoint finds the organization it acts on; the caller must belong to it.
OrganizationSource = Literal["body", "query", "path"]


@dataclass(frozen=True)
class Endpoint(Generic[B, Q]):
    method: str
    path: str
    handler: Handler[B, Q]
    summary: str
    tag: str
    body: type[B] | None = None
    # False: a request without a body gets the body model's defaults.
    body_required: bool = True
    query: type[Q] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # Also answers 302 with a Location (the same body), when the request asks to be sent on.
    redirects: bool = False
    errors: tuple[int, ...] = (400, 401, 403, 404)
    access: Access = Access.STAFF
    # GET streams a browser's EventSource follows: `?token=` (a stream token for the
    # resource the path names) is taken instead of a key.
    stream_token: StreamKind | None = None
    # A plan feature the caller's organization must have (e.g. "coach_agent").
    feature: str | None = None
    # The organization named in the request (its `organization_id`); None: the caller's own.
    organization: OrganizationSource | None = None
    # SSE endpoints name the events they send and each event's data model; OpenAPI
    # documents them, and tests hold every event sent to its model.
    stream_events: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    media_type: str = "application/json"
    # The answer carries the resource's revision as `ETag`.
    etag: bool = False
    # A write that must name the revision it changes in `If-Match` (the handler checks it
    # once it has the resource, so an unknown id is still a 404): 428 without it, 412
    # when the revision is no longer current, 409 when the resource cannot be edited now.
    if_match: bool = False

    @property
    def authenticated(self) -> bool:
        return self.access is not Access.PUBLIC

    @property
    def terra_headers(self) -> bool:
        """The Terra-shaped `/v2` endpoints also take `dev-id` + `x-api-key`."""
        return self.path.startswith("/v2/")


AnyEndpoint = Endpoint[Any, Any]
