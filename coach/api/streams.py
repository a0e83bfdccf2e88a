"""The SSE endpoints: draft, incremental plan, batch plan, and following a stored plan.

Handlers only yield `StreamEvent`s; `coach.api.sse` numbers them and hands them to
sse-starlette, which owns pings, disconnect detection and send timeouts. Auth, validation
and tenancy fail as plain HTTP errors before a stream starts; once it has started, every
failure is an `error` event followed by `done`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator
from contextlib import aclosing
from typing import Any, TypeVar

import anyio
from pydantic import BaseModel
from sqlmodel import Session
from starlette.responses import Response

from coach.accounts import COACH_AGENT_FEATURE
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import load_draft, load_plan
from coach.api.sse import StreamQuery, numbered_sse, stream_lease
from coach.api.validation import last_event_id
from coach.db.liveness import fail_stale, is_stale
from coach.db.tables import DraftRow, PlanRow
from coach.generation.context import build_context
from coach.generation.runs import CANCELLED, INTERRUPTED, Run, failed_events
from coach.plans.draft_store import get_draft
from coach.plans.models import WeekInfo, Workout
from coach.plans.requests import DraftResponse, GenerationRequest, PlanRequest, PlanResponse
from coach.plans.store import get_plan
from coach.quotas import Lease
from coach.services import Services
from coach.streaming.broker import Numbered
from coach.streaming.draft_events import draft_replay_events
from coach.streaming.events import (
    Done,
    PlanStreamResult,
    Progress,
    StreamError,
    StreamEvent,
    WeeklyInfoEvent,
)
from coach.streaming.plan_events import replay_events

FOLLOW_POLL_SECONDS = 0.5

R = TypeVar("R", bound=Run)


def _numbered_after(
    events: Iterable[StreamEvent], after: int, first: int = 1
) -> Iterator[tuple[int, StreamEvent]]:
    """Number `events` from `first` and keep those after the client's Last-Event-ID."""
    for seq, event in enumerate(events, start=first):
        if seq > after:
            yield seq, event


async def attached(run: Run, shutdown: anyio.Event) -> AsyncGenerator[list[Numbered], None]:
    """The run's stream for the client that started it: when that client goes away the
    generation stops with it (the engine's upstream requests are closed) and followers
    learn why. A stream ended by the process shutting down leaves the run to finish in
    the shutdown's grace period (the client resumes it elsewhere)."""
    try:
        async for batch in run.channel.follow_batches(0):
            yield batch
    finally:
        if not shutdown.is_set():
            run.cancel(CANCELLED)  # no-op once the run has ended


async def new_run_stream(
    call: Call[Any, Any], start: Callable[[], Awaitable[R]]
) -> tuple[R, Lease]:
    """Take one of the organization's streams, then start the run it shows (a refused
    stream starts nothing; a refused run gives the stream back)."""
    lease = await stream_lease(call)
    try:
        return await start(), lease
    except BaseException:
        await lease.release()
        raise


async def generate_draft_stream(call: Call[GenerationRequest, None]) -> Response:
    services = call.services
    ctx = await build_context(services, call.caller, call.body)

    run, lease = await new_run_stream(
        call, functools.partial(services.runner.start_draft, call.caller, ctx)
    )
    return numbered_sse(call, attached(run, services.shutdown), lease)


async def generate_plan_stream(call: Call[PlanRequest, None]) -> Response:
    services = call.services
    ctx = await build_context(services, call.caller, call.body)
    run, lease = await new_run_stream(
        call, functools.partial(services.runner.start_plan, call.caller, ctx)
    )
    return numbered_sse(call, attached(run, services.shutdown), lease)


async def generate_plan_stream_batch(call: Call[PlanRequest, None]) -> Response:
    services = call.services
    ctx = await build_context(services, call.caller, call.body)
    run, lease = await new_run_stream(
        call, functools.partial(services.runner.start_plan, call.caller, ctx)
    )

    async def batch() -> AsyncGenerator[list[Numbered], None]:
        # The batch stream's result is the synchronous body; followers of the plan id
        # still see the incremental events on the channel.
        seq = 0
        async with aclosing(attached(run, services.shutdown)) as live:
            async for events in live:
                kept = []
                for _, event in events:
                    if event.event in ("workout", "weekly_info"):
                        continue
                    if event.event == "result":
                        event = StreamEvent.of("result", run.response())
                    seq += 1
                    kept.append((seq, event))
                if kept:
                    yield kept

    return numbered_sse(call, batch(), lease)


Row = TypeVar("Row", PlanRow, DraftRow)


def _follow(
    services: Services,
    first: Row,
    after: int,
    load: Callable[[Session, uuid.UUID], Row | None],
    replay: Callable[[Row, int], Iterable[Numbered]],
) -> AsyncGenerator[list[Numbered], None]:
    """A run's stream from the client's position: live from this process's channel, else
    (another process generates it, or it ended long ago) from the database."""
    run_id = uuid.UUID(first.id)

    async def reload() -> Row:
        row = await services.db.run(lambda s: load(s, run_id))
        assert row is not None  # plans and drafts are never deleted
        return row

    async def events() -> AsyncGenerator[list[Numbered], None]:
        channel = await services.runner.broker.find(run_id)
        # A finished run whose log no longer holds the client's position is replayed
        # from the database, whole; a running one's stream says what is missing (`reset`).
        if channel is not None and (after >= channel.base or first.status == "generating"):
            async for batch in channel.follow_batches(after):
                yield batch
            return
        current = first
        stale_after_s = services.settings.plan_stale_after_s
        while current.status == "generating":
            # Being generated by another process: poll the database until it is done. If
            # that process died, its heartbeat stops and the run is failed (by whichever
            # live process notices first), which ends this stream too.
            await anyio.sleep(FOLLOW_POLL_SECONDS)
            current = await reload()
            if is_stale(current, stale_after_s=stale_after_s):
                await services.db.run(
                    lambda s: fail_stale(s, stale_after_s=stale_after_s, error=INTERRUPTED)
                )
                current = await reload()
        if current.status == "failed":
            # The events before the failure are not stored: the end of the stream is
            # numbered after the client's position, so one resuming a stream that failed
            # gets `error`, `done` with the ids the live stream gave them.
            ending = failed_events(current.error or "unknown error")
            yield list(_numbered_after(ending, after, first=after + 1))
            return
        # The whole replay in one write (empty when the client has had every event).
        replayed = list(replay(current, after))
        if replayed:
            yield replayed

    return events()


def _plan_replay(row: PlanRow, after: int) -> Iterable[tuple[int, StreamEvent]]:
    """A stored plan's stream is the live one, event for event: ids line up."""
    events = replay_events(
        uuid.UUID(row.id),
        [Workout.model_validate(w) for w in row.content],
        {int(k): WeekInfo.model_validate(v) for k, v in row.weekly_info.items()},
        list(row.warnings),
    )
    return _numbered_after(events, after)


def _draft_replay(row: DraftRow, after: int) -> Iterable[tuple[int, StreamEvent]]:
    """A stored draft's text comes back whole. The live stream sent it in pieces, so a
    client resuming one gets its `result` (the whole draft) and `done`, numbered after
    its position."""
    events = draft_replay_events(row.text, row.training_principle, row.request, row.finished_at)
    if after == 0:
        return _numbered_after(events, 0)
    return _numbered_after(events[-2:], after, first=after + 1)


async def follow_plan_stream(call: Call[None, StreamQuery]) -> Response:
    row = await load_plan(call.request, call.caller)
    after = last_event_id(call.request)
    events = _follow(call.services, row, after, get_plan, _plan_replay)
    return numbered_sse(call, events, await stream_lease(call))


async def follow_draft_stream(call: Call[None, StreamQuery]) -> Response:
    row = await load_draft(call.request, call.caller)
    after = last_event_id(call.request)
    events = _follow(call.services, row, after, get_draft, _draft_replay)
    return numbered_sse(call, events, await stream_lease(call))


DRAFT_STREAM_EVENTS: dict[str, type[BaseModel]] = {
    "progress": Progress,
    "result": DraftResponse,
    "error": StreamError,
    "done": Done,
}
PLAN_STREAM_EVENTS: dict[str, type[BaseModel]] = {
    "workout": Workout,
    "progress": Progress,
    "weekly_info": WeeklyInfoEvent,
    "result": PlanStreamResult,
    "error": StreamError,
    "done": Done,
}

_STREAM_ERRORS = (400, 401, 403, 404, 413, 429)

ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v1/coach/generate-draft/stream",
        generate_draft_stream,
        "Stream the draft's progress, its text as written, then the result",
        "coach",
        body=GenerationRequest,
        errors=_STREAM_ERRORS,
        organization="body",
        feature=COACH_AGENT_FEATURE,
        stream_events=DRAFT_STREAM_EVENTS,
    ),
    Endpoint(
        "POST",
        "/v1/coach/generate-plan/stream",
        generate_plan_stream,
        "Stream each workout the moment it is ready",
        "coach",
        body=PlanRequest,
        errors=_STREAM_ERRORS,
        organization="body",
        feature=COACH_AGENT_FEATURE,
        stream_events=PLAN_STREAM_EVENTS,
    ),
    Endpoint(
        "POST",
        "/v1/coach/generate-plan/stream/batch",
        generate_plan_stream_batch,
        "Stream progress, then the whole plan as one result",
        "coach",
        body=PlanRequest,
        errors=_STREAM_ERRORS,
        organization="body",
        feature=COACH_AGENT_FEATURE,
        stream_events={
            "progress": Progress,
            "result": PlanResponse,
            "error": StreamError,
            "done": Done,
        },
    ),
    Endpoint(
        "GET",
        "/v1/coach/plans/{plan_id}/stream",
        follow_plan_stream,
        "Replay a plan's stream, following it while it is generated (Last-Event-ID resumes)",
        "coach",
        query=StreamQuery,
        errors=(400, 401, 403, 404, 429),
        stream_token="plan",
        stream_events=PLAN_STREAM_EVENTS,
    ),
    Endpoint(
        "GET",
        "/v1/coach/drafts/{draft_id}/stream",
        follow_draft_stream,
        "Replay a draft's stream, following it while it is written (Last-Event-ID resumes)",
        "coach",
        query=StreamQuery,
        errors=(400, 401, 403, 404, 429),
        stream_token="draft",
        stream_events=DRAFT_STREAM_EVENTS,
    ),
]
