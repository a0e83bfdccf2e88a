"""Pushing a whole plan: `POST /v1/coach/plans/{plan_id}/push`, job status and its SSE."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import AsyncGenerator
from typing import Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from coach.accounts import Caller
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import athlete_for, choose_connection, plan_for
from coach.api.responses import model_response
from coach.api.security import owned
from coach.api.sse import StreamQuery, sse_response, stream_lease
from coach.api.validation import path_uuid
from coach.db.tables import PlannedWorkoutRow, PushJobRow
from coach.errors import BadRequest
from coach.push.jobs import PlanNotDated, start_job
from coach.push.outbox import CHECKS_PENDING, DUPLICATES_REMOVED, item_states, job_counts
from coach.services import Services, services_of
from coach.streaming.events import DONE, Done, Progress, ShuttingDown, StreamEvent
from coach.types import DbId

POLL_SECONDS = 0.5


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
    connection_id: DbId | None = None


class JobAccepted(BaseModel):
    job_id: uuid.UUID


class PushActions(BaseModel):
    """An assignment's push: how many workouts got each action."""

    created: int
    updated: int
    deleted: int
    retried: int
    unchanged: int = Field(description="Workouts the connection already had as they are.")


class PushJobItem(BaseModel):
    """What an assignment's push did to one workout of the plan."""

    planned_workout_id: int
    week: int
    day: int
    planned_date: dt.date
    action: Literal["create", "update", "delete", "retry"]
    method: Literal["move", "replace"] | None = Field(
        default=None,
        description="update: `move` (only its date changed: moved on the provider) or "
        "`replace` (its content changed: the old copy removed, a new one created).",
    )
    replaces: int | None = Field(
        default=None, description="replace: the planned workout removed for this one."
    )
    state: Literal["waiting", "done", "failed"]
    last_error: str | None = None


class PushJob(BaseModel):
    job_id: uuid.UUID
    plan_id: uuid.UUID
    user_id: uuid.UUID
    connection_id: int
    status: Literal["running", "complete", "failed"]
    total: int
    pushed: int = Field(description="Done (an assignment's job: items done, whatever the action).")
    failed: int
    queued: int = Field(description="Waiting (an assignment's job: items still waiting).")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    assignment_id: uuid.UUID | None = Field(
        default=None, description="Set for the jobs of an assignment (they push differences)."
    )
    revision: int | None = Field(default=None, description="The plan revision pushed.")
    actions: PushActions | None = None
    items: list[PushJobItem] = Field(
        default_factory=list, description="An assignment's job: one per workout it changed."
    )
    duplicates_removed: int = Field(
        default=0,
        description="Late copies of the job's workouts found on the provider and removed: "
        "a call cut off or unanswered may commit after its retry made the workout again.",
    )
    checks_pending: int = Field(
        default=0,
        description="Workouts pushed after an unanswered call whose provider is still to be "
        "looked at again for such late copies (the job is complete after the first look).",
    )


_ACTION_COUNT = {"create": "created", "update": "updated", "delete": "deleted", "retry": "retried"}


def assignment_items(session: Session, job: PushJobRow) -> list[PushJobItem] | None:
    """An assignment's job's items, each with where it stands; None for other jobs."""
    if job.assignment_id is None:
        return None
    states = item_states(session, job.id)
    rows = {
        r.id: r
        for r in session.exec(
            select(PlannedWorkoutRow).where(
                col(PlannedWorkoutRow.id).in_([i.planned_workout_id for i, _ in states])
            )
        ).all()
    }
    items = []
    for item, state in states:
        row = rows[item.planned_workout_id]
        items.append(
            PushJobItem.model_validate(
                {
                    "planned_workout_id": item.planned_workout_id,
                    "week": item.week,
                    "day": item.day,
                    "planned_date": row.planned_date,
                    "action": item.action,
                    "method": item.method,
                    "replaces": item.replaces_id,
                    "state": state,
                    "last_error": row.last_error if state == "failed" else None,
                }
            )
        )
    return items


def job_view(
    job: PushJobRow, counts: dict[str, int], items: list[PushJobItem] | None = None
) -> PushJob:
    """A job as clients read it: `counts` by row status; an assignment's job with its
    `items` (assignment_items), whose states it counts instead."""
    view: dict[str, object] = {
        "job_id": job.id,
        "plan_id": job.plan_id,
        "user_id": job.user_id,
        "connection_id": job.connection_id,
        "status": job.status,
        "total": job.total,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "pushed": counts.get("pushed", 0),
        "failed": counts.get("failed", 0),
        "queued": counts.get("queued", 0),
        "duplicates_removed": counts.get(DUPLICATES_REMOVED, 0),
        "checks_pending": counts.get(CHECKS_PENDING, 0),
    }
    if job.assignment_id is not None and items is not None:
        states = Counter(i.state for i in items)
        actions = Counter(_ACTION_COUNT[i.action] for i in items)
        view |= {
            "pushed": states["done"],
            "failed": states["failed"],
            "queued": states["waiting"],
            "assignment_id": job.assignment_id,
            "revision": job.revision,
            "actions": {
                **{k: actions[k] for k in _ACTION_COUNT.values()},
                "unchanged": job.unchanged,
            },
            "items": items,
        }
    # Validated, not cast: a status the table holds but the contract lacks is a bug to see.
    return PushJob.model_validate(view)


def load_job_view(session: Session, job: PushJobRow) -> PushJob:
    """One job's view, its counts (or items) read now."""
    return job_view(job, job_counts(session, job.id), assignment_items(session, job))


async def start_push(
    services: Services, caller: Caller, plan_id: uuid.UUID, body: PushRequest
) -> JobAccepted:
    """Queue every workout of the caller's complete, dated plan on an athlete's connection
    (the one named, else the athlete's only one); the job that pushes them."""
    plan = await plan_for(services, caller, plan_id)
    if plan.status != "complete":
        raise BadRequest.field("plan_id", f"the plan is {plan.status}, not complete")
    athlete = await athlete_for(services, caller, body.user_id)
    connection = await choose_connection(services, athlete, body.connection_id)

    def create(session: Session) -> PushJobRow:
        job, _ = start_job(
            session,
            plan=plan,
            user_id=athlete.user_id,
            connection_id=connection.id or 0,
            organization_id=caller.organization_id,
            deadline_s=services.settings.push_deadline_s,
        )
        return job

    try:
        job = await services.db.run(create)
    except PlanNotDated as exc:
        raise BadRequest.field("plan_id", str(exc)) from exc
    return JobAccepted(job_id=uuid.UUID(job.id))


async def push_plan(call: Call[PushRequest, None]) -> Response:
    plan_id = path_uuid(call.request, "plan_id")
    accepted = await start_push(call.services, call.caller, plan_id, call.body)
    return model_response(accepted, status=202)


async def job_for(services: Services, caller: Caller, job_id: uuid.UUID) -> PushJob:
    """The caller's organization's push job `job_id`, with its counts; 404 otherwise."""

    def load(session: Session) -> PushJob:
        job = owned(session.get(PushJobRow, str(job_id)), caller, f"push job {job_id}")
        return load_job_view(session, job)

    return await services.db.run(load)


async def _load_job(request: Request, caller: Caller) -> PushJob:
    return await job_for(services_of(request), caller, path_uuid(request, "job_id"))


async def get_job(call: Call[None, None]) -> Response:
    return model_response(await _load_job(call.request, call.caller))


def _progress_message(view: PushJob) -> str:
    counts = f"{view.pushed} pushed, {view.failed} failed, {view.queued} waiting"
    if view.actions is None:
        return counts
    a = view.actions
    return (
        f"revision {view.revision}: {a.created} created, {a.updated} updated, "
        f"{a.deleted} deleted, {a.retried} retried, {a.unchanged} unchanged; "
        + counts.replace("pushed", "done")
    )


async def job_events(call: Call[None, StreamQuery]) -> Response:
    request, caller = call.request, call.caller
    first = await _load_job(request, caller)

    async def events() -> AsyncGenerator[StreamEvent, None]:
        view, last = first, None
        settled: set[int] = set()
        while True:
            for item in view.items:
                if item.state != "waiting" and item.planned_workout_id not in settled:
                    settled.add(item.planned_workout_id)
                    yield StreamEvent.of("item", item)
            done = view.pushed + view.failed
            if (done, view.status) != last:
                last = (done, view.status)
                percent = 100 if view.total == 0 else int(100 * done / view.total)
                yield StreamEvent.of(
                    "progress",
                    Progress(
                        status=view.status,
                        message=_progress_message(view),
                        count=done,
                        total=view.total,
                        progress=percent,
                    ),
                )
            if view.status != "running":
                yield StreamEvent.of("result", view)
                yield DONE
                return
            await anyio.sleep(POLL_SECONDS)
            if call.services.shutdown.is_set():
                raise ShuttingDown(0)  # numbered by the SSE response
            view = await _load_job(request, caller)

    return sse_response(call, events(), await stream_lease(call))


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v1/coach/plans/{plan_id}/push",
        push_plan,
        "Push every workout of a plan to an athlete's connection, as a durable job",
        "push",
        body=PushRequest,
        response=JobAccepted,
        status=202,
        errors=(400, 401, 403, 404, 413),
    ),
    Endpoint(
        "GET",
        "/v1/coach/push-jobs/{job_id}",
        get_job,
        "A push job's status and counts",
        "push",
        response=PushJob,
    ),
    Endpoint(
        "GET",
        "/v1/coach/push-jobs/{job_id}/events",
        job_events,
        "A push job's progress as server-sent events",
        "push",
        query=StreamQuery,
        errors=(400, 401, 403, 404, 429),
        stream_token="job",
        stream_events={
            "progress": Progress,
            "item": PushJobItem,
            "result": PushJob,
            "done": Done,
        },
    ),
]
