"""The planned-workout outbox: rows are written before any provider call, then claimed.

A worker claims due rows of one connection with a lease (on PostgreSQL under
`FOR UPDATE SKIP LOCKED`, so several workers never claim the same row), pushes them and
records the result. A row stays `in_flight` from its first claim until it is pushed: a
worker that died, or an attempt that failed, may have reached the provider, so the next
attempt has the adapter look for what is there (the idempotency key) before creating.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, func, select

from coach.db.tables import (
    AthleteRow,
    ConnectionRow,
    PlannedWorkoutRow,
    PushJobRow,
    WorkoutTemplateRow,
    utcnow,
)


@dataclass
class Claim:
    connection: ConnectionRow
    athlete: AthleteRow | None
    rows: list[PlannedWorkoutRow]
    templates: dict[int, WorkoutTemplateRow]
    # Rows tried before (a failed attempt, a worker that stopped): they may be on the
    # provider already, so their push reconciles first.
    in_flight: frozenset[int]
    token: str  # carried by the claimed rows until another claim takes them


def _due(now: dt.datetime) -> ColumnElement[bool]:
    return (
        (col(PlannedWorkoutRow.status) == "queued")
        & or_(
            col(PlannedWorkoutRow.next_attempt_at).is_(None),
            col(PlannedWorkoutRow.next_attempt_at) <= now,
        )
        & or_(
            col(PlannedWorkoutRow.lease_until).is_(None), col(PlannedWorkoutRow.lease_until) < now
        )
    )


def claim(session: Session, *, lease_s: float, limit_for: Callable[[str], int]) -> Claim | None:
    """Lease the oldest due row and up to `limit_for(provider)` due rows of its connection.

    The rows read are only candidates: each is taken by an UPDATE that re-checks the due
    condition, and only the rows that UPDATE changed (carrying this claim's token) are
    ours. On PostgreSQL `SKIP LOCKED` also keeps concurrent claims from waiting on
    each other.
    """
    now = utcnow()
    first = session.exec(
        select(PlannedWorkoutRow)
        .where(_due(now))
        .order_by(col(PlannedWorkoutRow.planned_date), col(PlannedWorkoutRow.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if first is None:
        return None
    connection = session.get(ConnectionRow, first.connection_id)
    assert connection is not None
    candidates = list(
        session.exec(
            select(PlannedWorkoutRow)
            .where(_due(now), col(PlannedWorkoutRow.connection_id) == first.connection_id)
            .order_by(col(PlannedWorkoutRow.planned_date), col(PlannedWorkoutRow.id))
            .limit(limit_for(connection.provider))
            .with_for_update(skip_locked=True)
        ).all()
    )
    was_in_flight = {r.id: r.in_flight for r in candidates}
    token = uuid.uuid4().hex
    session.execute(
        update(PlannedWorkoutRow)
        .where(col(PlannedWorkoutRow.id).in_(list(was_in_flight)), _due(now))
        .values(
            lease_until=now + dt.timedelta(seconds=lease_s),
            in_flight=True,
            claim_token=token,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    rows = list(
        session.exec(
            select(PlannedWorkoutRow)
            .where(col(PlannedWorkoutRow.claim_token) == token)
            .order_by(col(PlannedWorkoutRow.planned_date), col(PlannedWorkoutRow.id))
        ).all()
    )
    if not rows:
        return None
    athlete = session.get(AthleteRow, connection.user_id)
    ids = {r.workout_id for r in rows}
    templates = {
        t.id or 0: t
        for t in session.exec(
            select(WorkoutTemplateRow).where(col(WorkoutTemplateRow.id).in_(ids))
        ).all()
    }
    in_flight = frozenset(r.id for r in rows if r.id is not None and was_in_flight.get(r.id))
    return Claim(connection, athlete, rows, templates, in_flight, token)


def record_pushed(
    session: Session,
    row_id: int,
    *,
    provider_workout_id: str,
    warnings: list[dict[str, object]],
    artifact: bytes | None,
) -> None:
    row = session.get(PlannedWorkoutRow, row_id)
    assert row is not None
    row.status = "pushed"
    row.provider_workout_id = provider_workout_id
    row.coercion_warnings = warnings
    row.artifact = artifact
    row.in_flight = False
    row.lease_until = None
    row.claim_token = None
    row.last_error = None
    row.attempts += 1
    row.updated_at = utcnow()
    session.add(row)


def record_failure(
    session: Session,
    row_id: int,
    *,
    error: str,
    retry_in: float | None,
    hold: bool = False,
    now: dt.datetime | None = None,
) -> None:
    """One failed attempt. `retry_in` None: the row has failed for good (the RetryPolicy
    said so). Else it is due again in `retry_in` seconds: released to any worker, or kept
    by a caller that makes the next attempt itself (`hold`, the claim stays). Rows that
    failed in one call pass one `now`, so they come due together and go out as one batch.

    The row stays in flight: the attempt may have reached the provider.
    """
    row = session.get(PlannedWorkoutRow, row_id)
    assert row is not None
    now = now or utcnow()
    row.attempts += 1
    row.last_error = error
    row.updated_at = now
    if retry_in is None:
        row.status = "failed"
    else:
        # Also for a held row: if its holder dies, whoever takes it over keeps the wait.
        row.next_attempt_at = now + dt.timedelta(seconds=retry_in)
    if retry_in is None or not hold:
        row.lease_until = None
        row.claim_token = None
    session.add(row)


def job_counts(session: Session, job_id: str) -> dict[str, int]:
    rows = session.exec(
        select(PlannedWorkoutRow.status, func.count())
        .where(col(PlannedWorkoutRow.push_job_id) == job_id)
        .group_by(col(PlannedWorkoutRow.status))
    ).all()
    return {status: count for status, count in rows}


def settle_job(session: Session, job_id: str) -> None:
    """Mark a job finished once none of its rows is waiting any more."""
    job = session.get(PushJobRow, job_id)
    if job is None or job.status != "running":
        return
    counts = job_counts(session, job_id)
    if counts.get("queued", 0):
        return
    job.status = "failed" if counts.get("failed", 0) else "complete"
    job.finished_at = utcnow()
    session.add(job)
