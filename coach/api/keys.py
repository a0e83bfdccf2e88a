"""`/v1/keys`: an admin lists, creates, revokes and rotates their organization's API keys."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.responses import Response

from coach.accounts import (
    KeyInfo,
    create_key_for,
    create_member,
    list_keys,
    revoke_key,
    rotate_key,
)
from coach.api.endpoint import Access, AnyEndpoint, Call, Endpoint
from coach.api.responses import model_response
from coach.api.validation import path_int
from coach.errors import BadRequest
from coach.types import DbId


class KeyView(BaseModel):
    """A key as it may be shown: never the key itself, nor its hash."""

    key_id: int
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    member_id: int
    member_name: str
    role: str = Field(description="admin, coach or athlete")
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class NewKey(KeyView):
    key: str = Field(description="The key itself: shown this once, never again.")


class KeyList(BaseModel):
    keys: list[KeyView]


class KeyListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: DbId | None = Field(default=None, description="Only this member's keys.")
    active: bool = Field(default=False, description="Leave revoked keys out.")


class KeyCreate(BaseModel):
    """A new key for a member of the organization (`member_id`), or a new member with its
    first key (`role`, `name`)."""

    model_config = ConfigDict(extra="forbid")

    member_id: DbId | None = None
    role: Literal["admin", "coach", "athlete"] | None = None
    name: str = Field(default="API member", min_length=1, max_length=200)


class RevokeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(
        default=False, description="Revoke the organization's last active admin key too."
    )


class RotatedKey(BaseModel):
    revoked: KeyView
    created: NewKey


def _view(info: KeyInfo) -> KeyView:
    return KeyView(
        key_id=info.key_id,
        prefix=info.prefix,
        member_id=info.member_id,
        member_name=info.member_name,
        role=info.role,
        created_at=info.created_at,
        revoked_at=info.revoked_at,
    )


def _new(info: KeyInfo, key: str) -> NewKey:
    return NewKey(**_view(info).model_dump(), key=key)


def _shown_once(response: Response) -> Response:
    # The answer holds a key: no cache along the way may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


async def list_org_keys(call: Call[None, KeyListQuery]) -> Response:
    organization_id = call.caller.organization_id
    infos = await call.services.db.run(
        lambda s: list_keys(
            s,
            organization_id=organization_id,
            member_id=call.query.member_id,
            active_only=call.query.active,
        )
    )
    return model_response(KeyList(keys=[_view(i) for i in infos]))


async def create_org_key(call: Call[KeyCreate, None]) -> Response:
    organization_id = call.caller.organization_id
    body = call.body
    if (body.member_id is None) == (body.role is None):
        raise BadRequest.field(
            "member_id", "send either member_id (an existing member) or role (a new member)"
        )

    def create(session: Session) -> tuple[KeyInfo, str]:
        member_id = body.member_id
        if member_id is None:
            assert body.role is not None  # KeyCreate asks for one of them
            member = create_member(
                session, organization_id=organization_id, role=body.role, name=body.name
            )
            member_id = member.id or 0
        return create_key_for(session, member_id=member_id, organization_id=organization_id)

    info, key = await call.services.db.run(create)
    return _shown_once(model_response(_new(info, key)))


async def revoke_org_key(call: Call[None, RevokeQuery]) -> Response:
    key_id = path_int(call.request, "key_id")
    organization_id = call.caller.organization_id
    info = await call.services.db.run(
        lambda s: revoke_key(s, key_id, organization_id=organization_id, force=call.query.force)
    )
    return model_response(_view(info))


async def rotate_org_key(call: Call[None, None]) -> Response:
    key_id = path_int(call.request, "key_id")
    organization_id = call.caller.organization_id
    revoked, created, key = await call.services.db.run(
        lambda s: rotate_key(s, key_id, organization_id=organization_id)
    )
    return _shown_once(
        model_response(RotatedKey(revoked=_view(revoked), created=_new(created, key)))
    )


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "GET",
        "/v1/keys",
        list_org_keys,
        "The organization's API keys (admin); never the keys themselves",
        "keys",
        query=KeyListQuery,
        response=KeyList,
        errors=(400, 401, 403),
        access=Access.ADMIN,
    ),
    Endpoint(
        "POST",
        "/v1/keys",
        create_org_key,
        "A new key for a member of the organization, or a new member with a key (admin)",
        "keys",
        body=KeyCreate,
        response=NewKey,
        errors=(400, 401, 403, 404, 413),
        access=Access.ADMIN,
    ),
    Endpoint(
        "DELETE",
        "/v1/keys/{key_id}",
        revoke_org_key,
        "Revoke a key of the organization (admin); it is refused at once",
        "keys",
        query=RevokeQuery,
        response=KeyView,
        access=Access.ADMIN,
    ),
    Endpoint(
        "POST",
        "/v1/keys/{key_id}/rotate",
        rotate_org_key,
        "Revoke a key and give its member a new one, shown once (admin)",
        "keys",
        response=RotatedKey,
        access=Access.ADMIN,
    ),
]
