"""Organizations with members and keys, made straight in the database a live server uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from coach.accounts import COACH_AGENT_FEATURE, create_key, create_member, create_organization
from coach.db.database import Database


@dataclass(frozen=True)
class Tenant:
    organization_id: int
    dev_id: str
    admin_key: str
    coach_key: str
    athlete_key: str


def make_tenant(
    db: Database,
    *,
    features: tuple[str, ...] = (COACH_AGENT_FEATURE,),
    principle: str | None = None,
) -> Tenant:
    def create(session):  # type: ignore[no-untyped-def]
        org = create_organization(
            session,
            name=f"Club {uuid.uuid4().hex[:6]}",
            features=list(features),
            training_principle=principle,
        )
        keys = {}
        for role in ("admin", "coach", "athlete"):
            member = create_member(session, organization_id=org.id, role=role, name=role)
            keys[role] = create_key(session, member_id=member.id)
        return Tenant(org.id, org.dev_id, keys["admin"], keys["coach"], keys["athlete"])

    return db.call(create)
