"""Storing drafts: a row is written when a draft starts, its text when it is written."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from coach.db.tables import DraftRow, utcnow


def start_draft(
    session: Session,
    *,
    draft_id: uuid.UUID,
    organization_id: int,
    member_id: int,
    engine: str,
    request: dict[str, object],
    training_principle: str,
    runner_id: str,
) -> None:
    session.add(
        DraftRow(
            id=str(draft_id),
            organization_id=organization_id,
            member_id=member_id,
            status="generating",
            engine=engine,
            request=request,
            training_principle=training_principle,
            runner_id=runner_id,
            heartbeat_at=utcnow(),
        )
    )


def finish_draft(session: Session, *, draft_id: uuid.UUID, text: str) -> None:
    row = session.get(DraftRow, str(draft_id))
    if row is None or row.status != "generating":
        return  # failed meanwhile by a process that took this one for dead
    row.status, row.text, row.finished_at = "complete", text, utcnow()
    session.add(row)


def fail_draft(session: Session, *, draft_id: uuid.UUID, error: str) -> None:
    row = session.get(DraftRow, str(draft_id))
    if row is None:
        return
    row.status, row.error, row.finished_at = "failed", error, utcnow()
    session.add(row)


def get_draft(session: Session, draft_id: uuid.UUID) -> DraftRow | None:
    return session.get(DraftRow, str(draft_id))
