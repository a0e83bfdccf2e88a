"""Organizations, members and API keys: creating, listing, revoking and rotating them, and
finding the member behind a key."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, func, select

from coach.db.tables import ROLES, ApiKey, Member, Organization, utcnow
from coach.errors import BadRequest, NotFound

KEY_PREFIX = "ck_"
COACH_AGENT_FEATURE = "coach_agent"


def hash_key(key: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Caller:
    """The member an authenticated request acts as."""

    member_id: int
    organization_id: int
    role: str
    features: tuple[str, ...]
    settings: dict[str, Any]
    # The key the request was made with (a stream token names the key that minted it).
    key_id: int = 0

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "coach")


def _dev_id_for(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "org"
    return f"{slug}-{secrets.token_hex(4)}"


def create_organization(
    session: Session, *, name: str, features: list[str], training_principle: str | None = None
) -> Organization:
    org = Organization(
        name=name,
        dev_id=_dev_id_for(name),
        features=sorted(set(features)),
        training_principle=training_principle,
    )
    session.add(org)
    session.flush()
    return org


def create_member(session: Session, *, organization_id: int, role: str, name: str) -> Member:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if session.get(Organization, organization_id) is None:
        raise LookupError(f"organization {organization_id} does not exist")
    member = Member(organization_id=organization_id, role=role, name=name)
    session.add(member)
    session.flush()
    return member


def create_key(session: Session, *, member_id: int) -> str:
    """Store a new key's hash and return the clear key: the only time it is ever shown."""
    key = new_key()
    session.add(ApiKey(member_id=member_id, key_hash=hash_key(key), prefix=key[:10]))
    session.flush()
    return key


def caller_for_key(session: Session, key: str) -> Caller | None:
    """The member behind a clear key, unless the key is unknown or revoked."""
    return _caller_where(session, col(ApiKey.key_hash) == hash_key(key))


def caller_for_key_id(session: Session, key_id: int) -> Caller | None:
    """The member behind the key with this id, unless it is unknown or revoked."""
    return _caller_where(session, col(ApiKey.id) == key_id)


def _caller_where(session: Session, condition: ColumnElement[bool]) -> Caller | None:
    row = session.exec(
        select(ApiKey, Member, Organization)
        .join(Member, col(Member.id) == col(ApiKey.member_id))
        .join(Organization, col(Organization.id) == col(Member.organization_id))
        .where(condition, col(ApiKey.revoked_at).is_(None))
    ).first()
    if row is None:
        return None
    api_key, member, org = row
    return Caller(
        member_id=member.id or 0,
        organization_id=org.id or 0,
        role=member.role,
        features=tuple(org.features),
        settings=dict(member.settings),
        key_id=api_key.id or 0,
    )


def dev_id_matches(session: Session, *, organization_id: int, dev_id: str) -> bool:
    org = session.get(Organization, organization_id)
    return org is not None and secrets.compare_digest(org.dev_id, dev_id)


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown of a key: never the key, nor its hash."""

    key_id: int
    prefix: str
    member_id: int
    member_name: str
    organization_id: int
    role: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def _info(key: ApiKey, member: Member) -> KeyInfo:
    return KeyInfo(
        key_id=key.id or 0,
        prefix=key.prefix,
        member_id=member.id or 0,
        member_name=member.name,
        organization_id=member.organization_id,
        role=member.role,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def list_keys(
    session: Session,
    *,
    organization_id: int | None = None,
    member_id: int | None = None,
    active_only: bool = False,
) -> list[KeyInfo]:
    """Keys by id; `organization_id` None: every organization's (the operator's view)."""
    query = select(ApiKey, Member).join(Member, col(Member.id) == col(ApiKey.member_id))
    if organization_id is not None:
        query = query.where(col(Member.organization_id) == organization_id)
    if member_id is not None:
        query = query.where(col(Member.id) == member_id)
    if active_only:
        query = query.where(col(ApiKey.revoked_at).is_(None))
    return [_info(key, member) for key, member in session.exec(query.order_by(col(ApiKey.id)))]


def get_key(session: Session, key_id: int, *, organization_id: int | None = None) -> KeyInfo:
    """The key; 404 when it does not exist or is another organization's (no probing)."""
    row = session.exec(
        select(ApiKey, Member)
        .join(Member, col(Member.id) == col(ApiKey.member_id))
        .where(col(ApiKey.id) == key_id)
    ).first()
    if row is None or (organization_id is not None and row[1].organization_id != organization_id):
        raise NotFound(f"key {key_id} not found")
    return _info(*row)


def get_member(session: Session, member_id: int, *, organization_id: int | None = None) -> Member:
    member = session.get(Member, member_id)
    if member is None or (
        organization_id is not None and member.organization_id != organization_id
    ):
        raise NotFound(f"member {member_id} not found")
    return member


def create_key_for(
    session: Session, *, member_id: int, organization_id: int | None = None
) -> tuple[KeyInfo, str]:
    """A new key for an existing member: its description and the clear key (shown once)."""
    get_member(session, member_id, organization_id=organization_id)
    key = create_key(session, member_id=member_id)
    created = session.exec(select(ApiKey).where(col(ApiKey.key_hash) == hash_key(key))).one()
    return get_key(session, created.id or 0), key


def _mark_revoked(session: Session, key_id: int) -> bool:
    """Revoke the key if it is active; False when it was revoked already (maybe just now)."""
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    )
    session.expire_all()
    return bool(result.rowcount)


def _active_admin_keys(session: Session, organization_id: int) -> int:
    # Locks the organization's row first, so two revocations cannot both see a second
    # admin key and leave none (SQLite serializes writers already).
    session.exec(
        select(Organization.id).where(col(Organization.id) == organization_id).with_for_update()
    ).first()
    return int(
        session.exec(
            select(func.count())
            .select_from(ApiKey)
            .join(Member, col(Member.id) == col(ApiKey.member_id))
            .where(
                col(Member.organization_id) == organization_id,
                col(Member.role) == "admin",
                col(ApiKey.revoked_at).is_(None),
            )
        ).one()
    )


def revoke_key(
    session: Session, key_id: int, *, organization_id: int | None = None, force: bool = False
) -> KeyInfo:
    """Revoke a key (again: a no-op). The organization's last active admin key is kept
    unless `force`: revoking it leaves nobody who can manage the organization's keys."""
    info = get_key(session, key_id, organization_id=organization_id)
    if info.revoked_at is not None:
        return info
    if (
        info.role == "admin"
        and not force
        and _active_admin_keys(session, info.organization_id) <= 1
    ):
        message = (
            f"key {key_id} is the organization's last active admin key: revoking it leaves "
            "no admin key. Rotate it instead, or revoke it with force (force=true, --force)"
        )
        raise BadRequest(message, [{"field": "force", "message": message}])
    _mark_revoked(session, key_id)
    return get_key(session, key_id)


def rotate_key(
    session: Session, key_id: int, *, organization_id: int | None = None
) -> tuple[KeyInfo, KeyInfo, str]:
    """Revoke an active key and give its member a new one: (the revoked key, the new key's
    description, the clear new key, shown once)."""
    info = get_key(session, key_id, organization_id=organization_id)
    if info.revoked_at is not None or not _mark_revoked(session, key_id):
        message = f"key {key_id} is revoked; create a new key for member {info.member_id}"
        raise BadRequest(message, [{"field": "key_id", "message": message}])
    created, key = create_key_for(session, member_id=info.member_id)
    return get_key(session, key_id), created, key
