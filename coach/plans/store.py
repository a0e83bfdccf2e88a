"""Storing generated plans: a row is written when generation starts and completed at the end."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from coach.db.tables import PlanRow, utcnow
from coach.plans.models import WeekInfo, Workout
from coach.plans.revisions import dump_weekly_info, dump_workouts, record_generated


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
    row.revision = 1
    row.content = dump_workouts(workouts)
    row.weekly_info = dump_weekly_info(weekly_info)
    row.warnings = warnings
    row.finished_at = utcnow()
    session.add(row)
    record_generated(session, row)


def fail_plan(session: Session, *, plan_id: uuid.UUID, error: str) -> None:
    row = session.get(PlanRow, str(plan_id))
    if row is None:
        return
    row.status = "failed"
    row.error = error
    row.finished_at = utcnow()
    session.add(row)


def get_plan(session: Session, plan_id: uuid.UUID) -> PlanRow | None:
    return session.get(PlanRow, str(plan_id))


def request_cancel(session: Session, *, plan_id: uuid.UUID) -> None:
    """Ask whichever process generates the plan to stop (it checks on its heartbeat)."""
    row = session.get(PlanRow, str(plan_id))
    if row is not None and row.status == "generating" and row.cancel_requested_at is None:
        row.cancel_requested_at = utcnow()
        session.add(row)


def cancel_requested(session: Session, *, runner_id: str) -> list[uuid.UUID]:
    """The plans `runner_id` generates that a coach asked to cancel."""
    rows = session.exec(
        select(PlanRow.id).where(
            col(PlanRow.runner_id) == runner_id,
            col(PlanRow.status) == "generating",
            col(PlanRow.cancel_requested_at).is_not(None),
        )
    ).all()
    return [uuid.UUID(plan_id) for plan_id in rows]
