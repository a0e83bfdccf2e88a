"""Turning a stored plan into a push job: a template and a queued planned workout per day.

Everything is written in one transaction before any provider is called. The idempotency
key of a planned workout is derived from plan, connection, week and day, so pushing the
same plan to the same connection again can never create a second copy on the provider:
it returns the existing job (and re-queues its failed rows).
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from coach.db.tables import PlannedWorkoutRow, PlanRow, PushJobRow, WorkoutTemplateRow, utcnow
from coach.errors import CoachError
from coach.plans.models import Workout
from coach.templates.convert import workout_to_template


class PlanNotDated(CoachError, ValueError):
    status = 400

    """The plan was generated without a start_date, so its workouts have no dates."""


def workout_key(plan_id: str, connection_id: int, workout: Workout) -> str:
    return f"{plan_id}-c{connection_id}-w{workout.week}d{workout.day}"


def start_job(
    session: Session, *, plan: PlanRow, user_id: str, connection_id: int, organization_id: int
) -> tuple[PushJobRow, bool]:
    """The job pushing `plan` to the connection; True when it was created just now."""
    existing = session.exec(
        select(PushJobRow).where(
            col(PushJobRow.plan_id) == plan.id, col(PushJobRow.connection_id) == connection_id
        )
    ).first()
    if existing is not None:
        failed = session.exec(
            select(PlannedWorkoutRow).where(
                col(PlannedWorkoutRow.push_job_id) == existing.id,
                col(PlannedWorkoutRow.status) == "failed",
            )
        ).all()
        for row in failed:
            row.status, row.attempts, row.next_attempt_at = "queued", 0, None
            session.add(row)
        if failed:
            existing.status, existing.finished_at = "running", None
            session.add(existing)
        return existing, False

    workouts = [Workout.model_validate(w) for w in plan.content]
    if any(w.date is None for w in workouts):
        raise PlanNotDated("the plan has no dates; generate it with a start_date to push it")
    sport = plan.request.get("sport", "running")
    job = PushJobRow(
        id=str(uuid.uuid4()),
        organization_id=organization_id,
        plan_id=plan.id,
        user_id=user_id,
        connection_id=connection_id,
        status="running",
        total=len(workouts),
    )
    session.add(job)
    for workout in workouts:
        template = workout_to_template(workout, sport=sport)
        template_row = WorkoutTemplateRow(
            organization_id=organization_id,
            name=template.name,
            sport=template.sport,
            template=template.model_dump(mode="json", exclude_none=True),
        )
        session.add(template_row)
        session.flush()
        assert workout.date is not None
        session.add(
            PlannedWorkoutRow(
                organization_id=organization_id,
                user_id=user_id,
                connection_id=connection_id,
                workout_id=template_row.id or 0,
                planned_date=workout.date,
                status="queued",
                idempotency_key=workout_key(plan.id, connection_id, workout),
                push_job_id=job.id,
                plan_id=plan.id,
            )
        )
    if not workouts:
        job.status, job.finished_at = "complete", utcnow()
    session.flush()
    return job, True
