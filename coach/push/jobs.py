"""Turning a stored plan into a push job: a template and a queued planned workout per day.

Everything is written in one transaction before any provider is called. The idempotency
key of a planned workout is derived from plan, connection, week and day, so pushing the
same plan to the same connection again can never create a second copy on the provider:
it returns the existing job (and re-queues its failed rows).

The templates a push makes are found again by their content: pushing the plan to more
connections, or another plan with the same workouts, adds nothing to the library. Each
planned workout also keeps the template it pushes, so deleting a template later changes
neither a push still to come nor the calendar feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from sqlmodel import Session, col, select

from coach.db.tables import PlannedWorkoutRow, PlanRow, PushJobRow, WorkoutTemplateRow, utcnow
from coach.errors import CoachError
from coach.plans.models import Workout
from coach.push.outbox import FAILED, PUSHED, QUEUED, settle_job
from coach.templates.convert import workout_to_template


class PlanNotDated(CoachError, ValueError):
    status = 400

    """The plan was generated without a start_date, so its workouts have no dates."""


def workout_key(plan_id: str, connection_id: int, workout: Workout) -> str:
    return f"{plan_id}-c{connection_id}-w{workout.week}d{workout.day}"


def content_hash(template: dict[str, Any]) -> str:
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def template_row_for(
    session: Session, organization_id: int, template: dict[str, Any], name: str, sport: str
) -> WorkoutTemplateRow:
    """The organization's template with this content that a push made, else a new one."""
    digest = content_hash(template)
    found = session.exec(
        select(WorkoutTemplateRow)
        .where(
            col(WorkoutTemplateRow.organization_id) == organization_id,
            col(WorkoutTemplateRow.content_hash) == digest,
        )
        .order_by(col(WorkoutTemplateRow.id))
    ).first()
    if found is not None and found.template == template:
        return found
    row = WorkoutTemplateRow(
        organization_id=organization_id,
        name=name,
        sport=sport,
        template=template,
        content_hash=digest,
    )
    session.add(row)
    session.flush()
    return row


def requeue(row: PlannedWorkoutRow, deadline_s: float) -> None:
    """A failed row asked for again. One the provider has (a move or a removal that failed)
    goes back to `pushed`, whose pending move is then due; the others are pushed again,
    looking first for what an earlier attempt may have left there."""
    now = utcnow()
    row.status = PUSHED if row.provider_workout_id is not None else QUEUED
    row.attempts, row.next_attempt_at = 0, None
    row.deadline_at = now + dt.timedelta(seconds=deadline_s)
    progress = dict(row.progress or {})
    progress.pop("verify", None)
    row.progress = progress or None
    row.updated_at = now


def start_job(
    session: Session,
    *,
    plan: PlanRow,
    user_id: str,
    connection_id: int,
    organization_id: int,
    deadline_s: float = 86400.0,
) -> tuple[PushJobRow, bool]:
    """The job pushing `plan` to the connection; True when it was created just now."""
    existing = session.exec(
        select(PushJobRow).where(
            col(PushJobRow.plan_id) == plan.id,
            col(PushJobRow.connection_id) == connection_id,
            col(PushJobRow.assignment_id).is_(None),  # an assignment's jobs are its own
        )
    ).first()
    if existing is not None:
        failed = session.exec(
            select(PlannedWorkoutRow)
            .where(
                col(PlannedWorkoutRow.push_job_id) == existing.id,
                col(PlannedWorkoutRow.status) == FAILED,
            )
            .order_by(col(PlannedWorkoutRow.id))
            .with_for_update()
        ).all()
        for row in failed:
            requeue(row, deadline_s)
            session.add(row)
        if failed:
            existing.status, existing.finished_at = "running", None
            session.add(existing)
            session.flush()
            settle_job(session, existing.id)  # rows the provider has need no worker
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
    deadline = utcnow() + dt.timedelta(seconds=deadline_s)
    for workout in workouts:
        template = workout_to_template(workout, sport=sport)
        data = template.model_dump(mode="json", exclude_none=True)
        template_row = template_row_for(
            session, organization_id, data, template.name, template.sport
        )
        assert workout.date is not None
        session.add(
            PlannedWorkoutRow(
                organization_id=organization_id,
                user_id=user_id,
                connection_id=connection_id,
                workout_id=template_row.id or 0,
                template=data,
                planned_date=workout.date,
                status=QUEUED,
                idempotency_key=workout_key(plan.id, connection_id, workout),
                push_job_id=job.id,
                plan_id=plan.id,
                deadline_at=deadline,
            )
        )
    if not workouts:
        job.status, job.finished_at = "complete", utcnow()
    session.flush()
    return job, True
