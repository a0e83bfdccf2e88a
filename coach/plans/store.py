"""Storing generated plans: a row is written when generation starts and completed at the end."""

from __future__ import annotations

import uuid

from sqlmodel import Session

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


def get_plan(session: Session, plan_id: uuid.UUID) -> PlanRow | None:
    return session.get(PlanRow, str(plan_id))
