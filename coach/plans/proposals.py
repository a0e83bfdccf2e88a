"""Stored edit proposals: a plan as it would be after an edit, kept until it is applied
or expires. Proposing writes nothing to the plan; applying saves the stored content as
the plan's next revision (coach.plans.revisions), so what is applied is what was shown."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel import Session, col, delete

from coach.db.tables import ProposalRow, utcnow


def save_proposal(
    session: Session,
    *,
    organization_id: int,
    plan_id: uuid.UUID,
    member_id: int,
    revision: int,
    summary: str,
    changes: list[dict[str, Any]],
    content: list[dict[str, Any]],
    weekly_info: dict[str, Any],
    ttl_s: float,
) -> ProposalRow:
    """Store a proposal (and drop the expired ones of every plan)."""
    now = utcnow()
    session.execute(delete(ProposalRow).where(col(ProposalRow.expires_at) < now))
    row = ProposalRow(
        id=str(uuid.uuid4()),
        organization_id=organization_id,
        plan_id=str(plan_id),
        member_id=member_id,
        revision=revision,
        summary=summary,
        changes=changes,
        content=content,
        weekly_info=weekly_info,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_s),
    )
    session.add(row)
    session.flush()
    return row


def live_proposal(session: Session, proposal_id: uuid.UUID) -> ProposalRow | None:
    """The proposal, unless it does not exist or has expired."""
    row = session.get(ProposalRow, str(proposal_id))
    if row is None or row.expires_at < utcnow():
        return None
    return row


def drop_proposal(session: Session, proposal_id: uuid.UUID) -> None:
    session.execute(delete(ProposalRow).where(col(ProposalRow.id) == str(proposal_id)))
