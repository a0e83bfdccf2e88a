"""Storing generated plans: a row is written when generation starts and completed at the end."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import Session, col

from coach.db.tables import PlanRow, utcnow
from coach.plans.models import WeekInfo, Workout


def start_plan(
    session: Session,
    *,
    plan_id: uuid.UUID,
    organization_id: int,
    member_id: int,
    engine: str,
    request: dict[str, object],
    training_principle: str,
    runner_id: str,
) -> None:
    session.add(
        PlanRow(
            id=str(plan_id),
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


def finish_plan(
    session: Session,
    *,
    plan_id: uuid.UUID,
    workouts: list[Workout],
    weekly_info: dict[int, WeekInfo],
    warnings: list[str],
) -> None:
    row = session.get(PlanRow, str(plan_id))
    assert row is not None
    if row.status != "generating":
        # Failed meanwhile by another process that took this one's heartbeat for dead:
        # its followers were told so, and the stored answer stays the one they got.
        return
    row.status = "complete"
    row.content = [w.model_dump(mode="json") for w in workouts]
    row.weekly_info = {str(k): v.model_dump(mode="json") for k, v in sorted(weekly_info.items())}
    row.warnings = warnings
    row.finished_at = utcnow()
    session.add(row)


def fail_plan(session: Session, *, plan_id: uuid.UUID, error: str) -> None:
    row = session.get(PlanRow, str(plan_id))
    if row is None:
        return
    row.status = "failed"
    row.error = error
    row.finished_at = utcnow()
    session.add(row)


def beat(session: Session, *, runner_id: str) -> None:
    """Say that `runner_id` is still generating each of its plans."""
    session.execute(
        update(PlanRow)
        .where(col(PlanRow.status) == "generating", col(PlanRow.runner_id) == runner_id)
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _stale(cutoff: dt.datetime) -> ColumnElement[bool]:
    heartbeat = col(PlanRow.heartbeat_at)
    return and_(
        col(PlanRow.status) == "generating",
        or_(
            heartbeat < cutoff,
            # Plans started before heartbeats existed.
            and_(heartbeat.is_(None), col(PlanRow.created_at) < cutoff),
        ),
    )


def fail_stale(session: Session, *, stale_after_s: float, error: str) -> int:
    """Fail every generating plan whose heartbeat is older than `stale_after_s` (its
    process died); a compare-and-set, so of several processes one fails each plan."""
    cutoff = utcnow() - dt.timedelta(seconds=stale_after_s)
    result = session.connection().execute(
        update(PlanRow)
        .where(_stale(cutoff))
        .values(status="failed", error=error, finished_at=utcnow())
    )
    return result.rowcount


def is_stale(row: PlanRow, *, stale_after_s: float) -> bool:
    cutoff = utcnow() - dt.timedelta(seconds=stale_after_s)
    seen = row.heartbeat_at or row.created_at
    if seen.tzinfo is None:  # SQLite hands back naive UTC
        seen = seen.replace(tzinfo=dt.UTC)
    return row.status == "generating" and seen < cutoff


def get_plan(session: Session, plan_id: uuid.UUID) -> PlanRow | None:
    return session.get(PlanRow, str(plan_id))
