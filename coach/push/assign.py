"""Pushing an assignment: the plan's current revision to one connection, only what changed.

One transaction per connection, before any provider is called. The rows the connection
has for the assignment are compared with the revision's workouts (coach.push.diff); the
job gets one item per workout that needs the provider: a new workout is a `create` (a
queued row), a changed one an `update` (a `move` of the row when only its date changed,
else a `replace`: the old copy is removed, the new one created), one no longer in the
plan a `delete`, and one whose earlier push failed a `retry`. Unchanged workouts are
left alone (the job counts them). The rows go through the outbox like every push: the
worker creates, moves and removes them by their idempotency markers, and the job settles
when none of its items is waiting.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from sqlmodel import Session, col, select

from coach.db.tables import (
    AssignmentRow,
    ConnectionRow,
    PlannedWorkoutRow,
    PlanRow,
    PushJobItemRow,
    PushJobRow,
    utcnow,
)
from coach.plans.models import Workout
from coach.push.diff import Held, Wanted, diff
from coach.push.jobs import content_hash, requeue, template_row_for
from coach.push.outbox import FAILED, PUSHED, QUEUED, request_delete, request_move, settle_job
from coach.templates.convert import workout_to_template


def planned_date(start_date: dt.date, week: int, day: int) -> dt.date:
    """The date of a plan day for an athlete who starts the plan on `start_date`."""
    return start_date + dt.timedelta(days=(week - 1) * 7 + day - 1)


def wanted_workouts(plan: PlanRow, start_date: dt.date) -> list[Wanted]:
    sport = plan.request.get("sport", "running")
    out = []
    for data in plan.content:
        workout = Workout.model_validate(data)
        template = workout_to_template(workout, sport=sport).model_dump(
            mode="json", exclude_none=True
        )
        out.append(
            Wanted(
                week=workout.week,
                day=workout.day,
                planned_date=planned_date(start_date, workout.week, workout.day),
                content_hash=content_hash(template),
                template=template,
            )
        )
    return out


def _held(row: PlannedWorkoutRow) -> Held:
    return Held(
        row_id=row.id or 0,
        week=row.plan_week or 0,
        day=row.plan_day or 0,
        planned_date=row.planned_date,
        content_hash=row.content_hash or "",
        failed=row.status == FAILED,
    )


def push_assignment(
    session: Session,
    *,
    assignment: AssignmentRow,
    plan: PlanRow,
    connection: ConnectionRow,
    deadline_s: float,
) -> PushJobRow:
    """The job that brings the connection to the plan's current revision."""
    # Pushes of one assignment take turns (its row is locked until the commit).
    session.exec(
        select(AssignmentRow).where(col(AssignmentRow.id) == assignment.id).with_for_update()
    ).one()
    connection_id = connection.id or 0
    rows = {
        r.id or 0: r
        for r in session.exec(
            select(PlannedWorkoutRow)
            .where(
                col(PlannedWorkoutRow.assignment_id) == assignment.id,
                col(PlannedWorkoutRow.connection_id) == connection_id,
                col(PlannedWorkoutRow.status).in_((QUEUED, PUSHED, FAILED)),
            )
            .order_by(col(PlannedWorkoutRow.id))
            .with_for_update()
        ).all()
    }
    changes = diff(wanted_workouts(plan, assignment.start_date), [_held(r) for r in rows.values()])
    job = PushJobRow(
        id=str(uuid.uuid4()),
        organization_id=assignment.organization_id,
        plan_id=plan.id,
        user_id=assignment.user_id,
        connection_id=connection_id,
        status="running",
        assignment_id=assignment.id,
        revision=plan.revision,
        unchanged=len(changes.unchanged),
    )
    session.add(job)
    session.flush()
    now = utcnow()
    deadline = now + dt.timedelta(seconds=deadline_s)
    earlier_jobs: set[str] = set()
    items: list[PushJobItemRow] = []

    keys: Counter[str] = Counter()

    def key_for(w: Wanted) -> str:
        """Unique, also for two workouts on one day: the marker names the row."""
        key = f"{assignment.id}-c{connection_id}-j{job.id[:8]}-w{w.week}d{w.day}"
        keys[key] += 1
        return key if keys[key] == 1 else f"{key}-{keys[key]}"

    def new_row(w: Wanted) -> PlannedWorkoutRow:
        template = template_row_for(
            session,
            assignment.organization_id,
            w.template,
            str(w.template.get("name", "workout")),
            str(w.template.get("sport", "running")),
        )
        row = PlannedWorkoutRow(
            organization_id=assignment.organization_id,
            user_id=assignment.user_id,
            connection_id=connection_id,
            workout_id=template.id or 0,
            template=w.template,
            planned_date=w.planned_date,
            status=QUEUED,
            idempotency_key=key_for(w),
            push_job_id=job.id,
            plan_id=plan.id,
            deadline_at=deadline,
            assignment_id=assignment.id,
            plan_week=w.week,
            plan_day=w.day,
            content_hash=w.content_hash,
        )
        session.add(row)
        session.flush()
        return row

    def take_over(row: PlannedWorkoutRow) -> None:
        """The row's work is this job's now (the worker settles the job it names)."""
        if row.push_job_id and row.push_job_id != job.id:
            earlier_jobs.add(row.push_job_id)
        row.push_job_id = job.id
        session.add(row)

    def item(
        row_id: int,
        action: str,
        at: Wanted | Held,
        method: str | None = None,
        replaces_id: int | None = None,
    ) -> None:
        items.append(
            PushJobItemRow(
                job_id=job.id,
                planned_workout_id=row_id,
                replaces_id=replaces_id,
                action=action,
                method=method,
                week=at.week,
                day=at.day,
            )
        )

    # The request's changes are left to the worker: nothing here holds a row.
    def remove(row_id: int) -> None:
        request_delete(session, row_id, token="", lease_s=0.0, deadline_s=deadline_s, take=False)

    for w in changes.creates:
        item(new_row(w).id or 0, "create", w)
    for w, h in changes.replaces:
        remove(h.row_id)
        take_over(rows[h.row_id])
        item(new_row(w).id or 0, "update", w, method="replace", replaces_id=h.row_id)
    for w, h in changes.moves:
        request_move(
            session,
            h.row_id,
            w.planned_date,
            token="",
            lease_s=0.0,
            deadline_s=deadline_s,
            take=False,
        )
        row = rows[h.row_id]
        take_over(row)
        row.plan_week, row.plan_day = w.week, w.day
        item(h.row_id, "update", w, method="move")
    for w, h in changes.retries:
        row = rows[h.row_id]
        take_over(row)
        row.planned_date = w.planned_date
        requeue(row, deadline_s)
        item(h.row_id, "retry", w)
    for h in changes.deletes:
        remove(h.row_id)
        take_over(rows[h.row_id])
        item(h.row_id, "delete", h)
    for entry in items:
        session.add(entry)
    job.total = len(items)
    assignment.revision = plan.revision
    assignment.pushed_at = now
    session.add(assignment)
    session.add(job)
    session.flush()
    for job_id in sorted(earlier_jobs | {job.id}):
        settle_job(session, job_id)
    return job
