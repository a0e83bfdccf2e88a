"""The lists an editor browses: plans, athletes with their connections, push jobs.

Each is the caller's organization's only, newest first, in pages of one shape
(coach.api.pagination); connections are listed without their credentials.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator
from sqlmodel import Session, col, select
from starlette.responses import Response

from coach.api.athletes import AthleteView, ConnectionView, athlete_view, connection_view
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.pagination import PageQuery, keyset_page, page_size
from coach.api.push_jobs import PushJob, assignment_items, job_view
from coach.api.responses import model_response
from coach.db.tables import AthleteRow, ConnectionRow, PlanRow, PushJobRow
from coach.plans.models import Sport
from coach.plans.requests import ExperienceLevel
from coach.push.outbox import jobs_counts

PlanStatus = Literal["generating", "complete", "failed"]


class PlanListQuery(PageQuery):
    user_id: uuid.UUID | None = Field(
        default=None, description="Only plans pushed to this athlete."
    )
    status: PlanStatus | None = None
    created_after: AwareDatetime | None = Field(
        default=None, description="Only plans started after this time (with its offset)."
    )
    created_before: AwareDatetime | None = Field(
        default=None, description="Only plans started before this time (with its offset)."
    )

    @field_validator("created_after", "created_before", mode="before")
    @classmethod
    def _iso(cls, value: object) -> object:
        # Only ISO 8601: a query is text, and pydantic would read "0.5" as a Unix time.
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(
                    "an ISO 8601 date-time with an offset, e.g. 2026-12-01T10:00Z"
                ) from exc
        return value

    @field_validator("created_after", "created_before")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        # Stored times are UTC; SQLite compares them as text.
        return value.astimezone(dt.UTC) if value is not None else None


class PlanSummary(BaseModel):
    plan_id: uuid.UUID
    status: PlanStatus
    revision: int
    weeks: int
    sport: Sport
    experience_level: ExperienceLevel
    start_date: dt.date | None
    member_id: int = Field(description="The coach who started it.")
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class PlanList(BaseModel):
    items: list[PlanSummary]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last.")


class AthleteWithConnections(AthleteView):
    connections: list[ConnectionView] = Field(description="Active ones; never credentials.")


class AthleteList(BaseModel):
    items: list[AthleteWithConnections]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last.")


class PushJobListQuery(PageQuery):
    plan_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    status: Literal["running", "complete", "failed"] | None = None


class PushJobList(BaseModel):
    items: list[PushJob]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last.")


def _plan_summary(row: PlanRow) -> PlanSummary:
    request = row.request
    return PlanSummary.model_validate(
        {
            "plan_id": row.id,
            "status": row.status,
            "revision": row.revision,
            "weeks": request.get("weeks"),
            "sport": request.get("sport", "running"),
            "experience_level": request.get("experience_level"),
            "start_date": request.get("start_date"),
            "member_id": row.member_id,
            "error": row.error,
            "created_at": row.created_at,
            "finished_at": row.finished_at,
        }
    )


async def list_plans(call: Call[None, PlanListQuery]) -> Response:
    query, organization_id = call.query, call.caller.organization_id
    size = page_size(query, call.services.settings)

    def load(session: Session) -> PlanList:
        statement = select(PlanRow).where(col(PlanRow.organization_id) == organization_id)
        if query.status is not None:
            statement = statement.where(col(PlanRow.status) == query.status)
        if query.created_after is not None:
            statement = statement.where(col(PlanRow.created_at) > query.created_after)
        if query.created_before is not None:
            statement = statement.where(col(PlanRow.created_at) < query.created_before)
        if query.user_id is not None:
            pushed = select(PushJobRow.plan_id).where(
                col(PushJobRow.organization_id) == organization_id,
                col(PushJobRow.user_id) == str(query.user_id),
            )
            statement = statement.where(col(PlanRow.id).in_(pushed))
        rows, cursor = keyset_page(
            session, statement, model=PlanRow, key="id", query=query, size=size
        )
        return PlanList(items=[_plan_summary(r) for r in rows], next_cursor=cursor)

    return model_response(await call.services.db.run(load))


async def list_athletes(call: Call[None, PageQuery]) -> Response:
    query, organization_id, request = call.query, call.caller.organization_id, call.request
    size = page_size(query, call.services.settings)

    def load(session: Session) -> tuple[list[AthleteRow], list[ConnectionRow], str | None]:
        statement = select(AthleteRow).where(col(AthleteRow.organization_id) == organization_id)
        rows, cursor = keyset_page(
            session, statement, model=AthleteRow, key="user_id", query=query, size=size
        )
        connections = session.exec(
            select(ConnectionRow)
            .where(
                col(ConnectionRow.user_id).in_([r.user_id for r in rows]),
                col(ConnectionRow.disconnected_at).is_(None),
            )
            .order_by(col(ConnectionRow.id))
        ).all()
        return list(rows), list(connections), cursor

    athletes, connections, cursor = await call.services.db.run(load)
    items = [
        AthleteWithConnections(
            **athlete_view(a).model_dump(),
            connections=[
                connection_view(request, c) for c in connections if c.user_id == a.user_id
            ],
        )
        for a in athletes
    ]
    return model_response(AthleteList(items=items, next_cursor=cursor))


async def list_push_jobs(call: Call[None, PushJobListQuery]) -> Response:
    query, organization_id = call.query, call.caller.organization_id
    size = page_size(query, call.services.settings)

    def load(session: Session) -> PushJobList:
        statement = select(PushJobRow).where(col(PushJobRow.organization_id) == organization_id)
        if query.plan_id is not None:
            statement = statement.where(col(PushJobRow.plan_id) == str(query.plan_id))
        if query.user_id is not None:
            statement = statement.where(col(PushJobRow.user_id) == str(query.user_id))
        if query.status is not None:
            statement = statement.where(col(PushJobRow.status) == query.status)
        rows, cursor = keyset_page(
            session, statement, model=PushJobRow, key="id", query=query, size=size
        )
        counts = jobs_counts(session, [r.id for r in rows])
        items = [job_view(r, counts.get(r.id, {}), assignment_items(session, r)) for r in rows]
        return PushJobList(items=items, next_cursor=cursor)

    return model_response(await call.services.db.run(load))


_LIST_ERRORS = (400, 401, 403)

ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "GET",
        "/v1/coach/plans",
        list_plans,
        "The organization's plans, newest first (filter by athlete, status, time)",
        "coach",
        query=PlanListQuery,
        response=PlanList,
        errors=_LIST_ERRORS,
    ),
    Endpoint(
        "GET",
        "/v1/athletes",
        list_athletes,
        "The organization's athletes with their connections (never credentials), newest first",
        "athletes",
        query=PageQuery,
        response=AthleteList,
        errors=_LIST_ERRORS,
    ),
    Endpoint(
        "GET",
        "/v1/coach/push-jobs",
        list_push_jobs,
        "The organization's push jobs, newest first (filter by plan, athlete, status)",
        "push",
        query=PushJobListQuery,
        response=PushJobList,
        errors=_LIST_ERRORS,
    ),
]
