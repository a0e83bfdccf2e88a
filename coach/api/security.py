"""Who is calling: API keys from `Authorization: Bearer` (or Terra-style headers on /v2),
and the role, feature and tenancy checks that turn into 401, 403 and 404.

Handlers never call these: `coach.api.routing` applies them from each endpoint's
declaration. `owned` is the one check left to handlers, because only they load the row.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlmodel import Session
from starlette.requests import Request

from coach.accounts import Caller, caller_for_key, caller_for_key_id, dev_id_matches
from coach.api.endpoint import Access
from coach.errors import Forbidden, NotFound, Unauthorized
from coach.services import services_of
from coach.tokens import Kind as StreamKind


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authenticate(request: Request, *, terra_headers: bool) -> Caller:
    """The caller behind the request's key; 401 when there is none or it is unknown.

    `terra_headers`: the endpoint also takes Terra's `dev-id` + `x-api-key` pair.
    """
    key = _bearer(request)
    dev_id = None
    if key is None and terra_headers:
        key = request.headers.get("x-api-key") or None
        dev_id = request.headers.get("dev-id")
        if key is not None and not dev_id:
            raise Unauthorized("send dev-id together with x-api-key")
    if key is None:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")

    def lookup(session: Session) -> Caller | None:
        caller = caller_for_key(session, key)
        if (
            caller is not None
            and dev_id is not None
            and not dev_id_matches(session, organization_id=caller.organization_id, dev_id=dev_id)
        ):
            return None
        return caller

    caller = await services_of(request).db.run(lookup)
    if caller is None:
        raise Unauthorized("invalid API key")
    return caller


# The path parameter each kind of stream token names.
TOKEN_PARAMETERS = {"plan": "plan_id", "draft": "draft_id", "job": "job_id"}


async def token_caller(request: Request, kind: StreamKind | None, token: str) -> Caller:
    """The caller a stream token stands for: the member of the key that minted it, for the
    one stream it names; 401 for any other stream, an expired token or a revoked key."""
    services = services_of(request)
    grant = services.stream_tokens.verify(token)
    if kind is None or grant.kind != kind:
        raise Unauthorized("the stream token is for another kind of stream")
    if grant.resource_id != request.path_params.get(TOKEN_PARAMETERS[kind], "").lower():
        raise Unauthorized("the stream token is for another stream")
    caller = await services.db.run(lambda s: caller_for_key_id(s, grant.key_id))
    if caller is None:
        raise Unauthorized("the key that issued this stream token was revoked")
    return caller


def require_access(caller: Caller, access: Access) -> None:
    """403 when the key's role is below what the endpoint needs."""
    if access is Access.STAFF and not caller.is_staff:
        raise Forbidden(f"this needs a coach or admin key; the key's role is {caller.role}")
    if access is Access.ADMIN and caller.role != "admin":
        raise Forbidden(f"this needs an admin key; the key's role is {caller.role}")


def require_feature(caller: Caller, feature: str) -> None:
    if feature not in caller.features:
        raise Forbidden(f"the organization's plan lacks the '{feature}' feature")


def require_own_organization(caller: Caller, organization_id: int) -> None:
    """404 for any organization but the caller's own: another tenant's and one that does
    not exist answer alike, so organization ids cannot be probed."""
    if organization_id != caller.organization_id:
        raise NotFound(f"organization {organization_id} not found")


class _OrganizationOwned(Protocol):
    organization_id: int


Owned = TypeVar("Owned", bound=_OrganizationOwned)


def owned(row: Owned | None, caller: Caller, what: str) -> Owned:
    """The row when it is the caller's organization's; 404 otherwise, whether it does not
    exist or is another tenant's (the same answer, so ids cannot be probed)."""
    if row is None or row.organization_id != caller.organization_id:
        raise NotFound(f"{what} not found")
    return row
