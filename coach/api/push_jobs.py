"""Pushing a whole plan: `POST /v1/coach/plans/{plan_id}/push`, job status and its SSE."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncGenerator
from typing import Literal

import anyio
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from coach.accounts import Caller
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import choose_connection, load_athlete, load_plan
from coach.api.responses import model_response
from coach.api.security import owned
from coach.api.sse import StreamQuery, sse_response, stream_lease
from coach.api.validation import path_uuid
from coach.db.tables import PushJobRow
from coach.errors import BadRequest
from coach.push.jobs import PlanNotDated, start_job
from coach.push.outbox import job_counts
from coach.services import services_of
from coach.streaming.events import DONE, Done, Progress, ShuttingDown, StreamEvent
from coach.types import DbId

POLL_SECONDS = 0.5


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
    connection_id: DbId | None = None


class JobAccepted(BaseModel):
    job_id: uuid.UUID


class PushJob(BaseModel):
    job_id: uuid.UUID
    plan_id: uuid.UUID
    user_id: uuid.UUID
    connection_id: int
    status: Literal["running", "complete", "failed"]
    total: int
    pushed: int
    failed: int
    queued: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


def _job_view(session: Session, job: PushJobRow) -> PushJob:
    counts = job_counts(session, job.id)
    # Validated, not cast: a status the table holds but the contract lacks is a bug to see.
    return PushJob.model_validate(
        {
            "job_id": job.id,
            "plan_id": job.plan_id,
            "user_id": job.user_id,
            "connection_id": job.connection_id,
            "status": job.status,
            "total": job.total,
            "pushed": counts.get("pushed", 0),
            "failed": counts.get("failed", 0),
            "queued": counts.get("queued", 0),
            "created_at": job.created_at,
            "finished_at": job.finished_at,
        }
    )


async def push_plan(call: Call[PushRequest, None]) -> Response:
    request, caller, body = call.request, call.caller, call.body
    plan = await load_plan(request, caller)
    if plan.status != "complete":
        raise BadRequest.field("plan_id", f"the plan is {plan.status}, not complete")
    athlete = await load_athlete(request, caller, body.user_id)
    connection = await choose_connection(request, athlete, body.connection_id)

    def create(session: Session) -> PushJobRow:
        job, _ = start_job(
            session,
            plan=plan,
            user_id=athlete.user_id,
            connection_id=connection.id or 0,
            organization_id=caller.organization_id,
            deadline_s=services_of(request).settings.push_deadline_s,
        )
        return job

    try:
        job = await services_of(request).db.run(create)
    except PlanNotDated as exc:
        raise BadRequest.field("plan_id", str(exc)) from exc
    return model_response(JobAccepted(job_id=uuid.UUID(job.id)), status=202)


async def _load_job(request: Request, caller: Caller) -> PushJob:
    job_id = path_uuid(request, "job_id")

    def load(session: Session) -> PushJob:
        job = owned(session.get(PushJobRow, str(job_id)), caller, f"push job {job_id}")
        return _job_view(session, job)

    return await services_of(request).db.run(load)


async def get_job(call: Call[None, None]) -> Response:
    return model_response(await _load_job(call.request, call.caller))


async def job_events(call: Call[None, StreamQuery]) -> Response:
    request, caller = call.request, call.caller
    first = await _load_job(request, caller)

    async def events() -> AsyncGenerator[StreamEvent, None]:
        view, last = first, None
        while True:
            done = view.pushed + view.failed
            if (done, view.status) != last:
                last = (done, view.status)
                percent = 100 if view.total == 0 else int(100 * done / view.total)
                yield StreamEvent.of(
                    "progress",
                    Progress(
                        status=view.status,
                        message=f"{view.pushed} pushed, {view.failed} failed, "
                        f"{view.queued} waiting",
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
        stream_events={"progress": Progress, "result": PushJob, "done": Done},
    ),
]
