"""Rows a process is generating (plans, drafts): its heartbeat on them, and failing those
whose process died. Compare-and-set updates, so of several live processes one fails each."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import Session, col

from coach.db.tables import DraftRow, PlanRow, utcnow

GeneratedRow = PlanRow | DraftRow
GENERATED = (PlanRow, DraftRow)


def beat(session: Session, *, runner_id: str) -> None:
    """Say that `runner_id` is still generating each of its plans and drafts."""
    for table in GENERATED:
        session.execute(
            update(table)
            .where(col(table.status) == "generating", col(table.runner_id) == runner_id)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def _stale(table: type[GeneratedRow], cutoff: dt.datetime) -> ColumnElement[bool]:
    heartbeat = col(table.heartbeat_at)
    return and_(
        col(table.status) == "generating",
        or_(
            heartbeat < cutoff,
            # Rows started before heartbeats existed.
            and_(heartbeat.is_(None), col(table.created_at) < cutoff),
        ),
    )


def fail_stale(session: Session, *, stale_after_s: float, error: str) -> list[uuid.UUID]:
    """Fail every plan and draft being generated whose heartbeat is older than
    `stale_after_s` (its process died); their ids."""
    cutoff = utcnow() - dt.timedelta(seconds=stale_after_s)
    failed: list[uuid.UUID] = []
    for table in GENERATED:
        result = session.connection().execute(
            update(table)
            .where(_stale(table, cutoff))
            .values(status="failed", error=error, finished_at=utcnow())
            .returning(col(table.id))
        )
        failed += [uuid.UUID(run_id) for run_id in result.scalars()]
    return failed


def is_stale(row: GeneratedRow, *, stale_after_s: float) -> bool:
    cutoff = utcnow() - dt.timedelta(seconds=stale_after_s)
    seen = row.heartbeat_at or row.created_at  # aware UTC on every database (db/utc.py)
    return row.status == "generating" and seen < cutoff
