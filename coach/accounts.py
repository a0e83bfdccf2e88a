"""Organizations, members and API keys: creating them and finding the member behind a key."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from coach.db.tables import ROLES, ApiKey, Member, Organization

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
    row = session.exec(
        select(ApiKey, Member, Organization)
        .join(Member, col(Member.id) == col(ApiKey.member_id))
        .join(Organization, col(Organization.id) == col(Member.organization_id))
        .where(col(ApiKey.key_hash) == hash_key(key), col(ApiKey.revoked_at).is_(None))
    ).first()
    if row is None:
        return None
    _, member, org = row
    return Caller(
        member_id=member.id or 0,
        organization_id=org.id or 0,
        role=member.role,
        features=tuple(org.features),
        settings=dict(member.settings),
    )


def dev_id_matches(session: Session, *, organization_id: int, dev_id: str) -> bool:
    org = session.get(Organization, organization_id)
    return org is not None and secrets.compare_digest(org.dev_id, dev_id)
