"""Assigning a plan to athletes: `POST/GET /v1/coach/plans/{plan_id}/assignments`.

An assignment is a plan, an athlete and the date the athlete starts it. Posting one
pushes the plan's current revision to the athlete's connections; posting it again for
the same athlete (after edits, or with a new start date) pushes only what changed
(coach.push.assign). Each push is a job per connection, followed like any push job.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.responses import Response

from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import load_athlete, load_plan
from coach.api.pagination import PageQuery, keyset_page, page_size
from coach.api.preconditions import if_match_revision
from coach.api.push_jobs import PushJob, load_job_view
from coach.api.responses import model_response
from coach.db.tables import AssignmentRow, ConnectionRow, PlanRow, PushJobRow
from coach.errors import BadRequest, Conflict
from coach.plans.revisions import check_editable
from coach.providers import registry as providers
from coach.push.assign import push_assignment
from coach.types import DbId

# A plan's last day must still be a date (52 weeks on).
LAST_START_DATE = dt.date(9998, 12, 31)


class AssignmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
    start_date: dt.date = Field(
        le=LAST_START_DATE,
        description="The athlete's day 1 of the plan (week 1, day 1); YYYY-MM-DD.",
    )
    connection_id: DbId | None = Field(
        default=None,
        description="Push through this connection only; by default through every active "
        "connection of the athlete that takes planned workouts.",
    )


class Assignment(BaseModel):
    assignment_id: uuid.UUID
    plan_id: uuid.UUID
    user_id: uuid.UUID
    start_date: dt.date
    revision: int = Field(description="The plan revision the last push sent.")
    created_at: dt.datetime
    pushed_at: dt.datetime | None
    jobs: list[PushJob] = Field(
        description="The push jobs: those this request started (POST), else the latest one "
        "of each connection."
    )


class AssignmentList(BaseModel):
    items: list[Assignment]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: none.")


def _targets(session: Session, user_id: str, connection_id: int | None) -> list[ConnectionRow]:
    rows = session.exec(
        select(ConnectionRow)
        .where(
            col(ConnectionRow.user_id) == user_id,
            col(ConnectionRow.disconnected_at).is_(None),
        )
        .order_by(col(ConnectionRow.id))
    ).all()
    if connection_id is not None:
        named = [r for r in rows if r.id == connection_id]
        if not named:
            raise BadRequest.field("connection_id", "not an active connection of the athlete")
        return named
    usable = [r for r in rows if providers.capabilities(r.provider, r.settings).can_plan_workouts]
    if not usable:
        raise BadRequest.field(
            "user_id", "the athlete has no active connection that takes planned workouts"
        )
    return usable


def _view(session: Session, row: AssignmentRow, jobs: list[PushJobRow]) -> Assignment:
    return Assignment.model_validate(
        {
            "assignment_id": row.id,
            "plan_id": row.plan_id,
            "user_id": row.user_id,
            "start_date": row.start_date,
            "revision": row.revision,
            "created_at": row.created_at,
            "pushed_at": row.pushed_at,
            "jobs": [load_job_view(session, job) for job in jobs],
        }
    )


def _latest_jobs(session: Session, assignment_id: str) -> list[PushJobRow]:
    jobs = session.exec(
        select(PushJobRow)
        .where(col(PushJobRow.assignment_id) == assignment_id)
        .order_by(col(PushJobRow.created_at).desc(), col(PushJobRow.id))
    ).all()
    latest: dict[int, PushJobRow] = {}
    for job in jobs:
        latest.setdefault(job.connection_id, job)
    return [latest[c] for c in sorted(latest)]


async def assign_plan(call: Call[AssignmentRequest, None]) -> Response:
    request, caller, body = call.request, call.caller, call.body
    services = call.services
    plan = await load_plan(request, caller)
    # Optional here: with it, only that revision is pushed.
    expected = if_match_revision(request) if "if-match" in request.headers else None
    athlete = await load_athlete(request, caller, body.user_id)
    deadline_s = services.settings.push_deadline_s

    def assign(session: Session) -> tuple[Assignment, bool]:
        current = session.get(PlanRow, plan.id)
        assert current is not None  # plans are never deleted
        if expected is not None:
            check_editable(current, expected)  # 412: the editor shows another revision
        elif current.status != "complete":
            raise Conflict(f"plan {plan.id} is {current.status}; only a complete plan is assigned")
        connections = _targets(session, athlete.user_id, body.connection_id)
        row = session.exec(
            select(AssignmentRow).where(
                col(AssignmentRow.plan_id) == plan.id,
                col(AssignmentRow.user_id) == athlete.user_id,
            )
        ).first()
        created = row is None
        if row is None:
            row = AssignmentRow(
                id=str(uuid.uuid4()),
                organization_id=caller.organization_id,
                plan_id=plan.id,
                user_id=athlete.user_id,
                member_id=caller.member_id,
                start_date=body.start_date,
            )
            session.add(row)
            session.flush()
        else:
            row.start_date = body.start_date
            session.add(row)
        jobs = [
            push_assignment(
                session, assignment=row, plan=current, connection=c, deadline_s=deadline_s
            )
            for c in connections
        ]
        return _view(session, row, jobs), created

    try:
        view, created = await services.db.run(assign)
    except IntegrityError:
        # Another request assigned the plan to this athlete meanwhile: push on theirs.
        view, created = await services.db.run(assign)
    return model_response(view, status=201 if created else 200)


async def list_assignments(call: Call[None, PageQuery]) -> Response:
    plan = await load_plan(call.request, call.caller)
    query = call.query
    size = page_size(query, call.services.settings)

    def load(session: Session) -> AssignmentList:
        statement = select(AssignmentRow).where(col(AssignmentRow.plan_id) == plan.id)
        rows, cursor = keyset_page(
            session, statement, model=AssignmentRow, key="id", query=query, size=size
        )
        return AssignmentList(
            items=[_view(session, r, _latest_jobs(session, r.id)) for r in rows],
            next_cursor=cursor,
        )

    return model_response(await call.services.db.run(load))


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v1/coach/plans/{plan_id}/assignments",
        assign_plan,
        "Assign a plan to an athlete from a start date and push it (again: only what changed)",
        "push",
        body=AssignmentRequest,
        response=Assignment,
        status=201,
        errors=(400, 401, 403, 404, 409, 412, 413),
    ),
    Endpoint(
        "GET",
        "/v1/coach/plans/{plan_id}/assignments",
        list_assignments,
        "A plan's assignments, with each connection's latest push job",
        "push",
        query=PageQuery,
        response=AssignmentList,
    ),
]
