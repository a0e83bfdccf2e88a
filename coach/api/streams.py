"""The SSE endpoints: draft, incremental plan, batch plan, and following a stored plan.

Handlers only yield `StreamEvent`s; `coach.api.sse` numbers them and hands them to
sse-starlette, which owns pings, disconnect detection and send timeouts. Auth, validation
and tenancy fail as plain HTTP errors before a stream starts; once it has started, every
failure is an `error` event followed by `done`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import aclosing

import anyio
from starlette.requests import Request
from starlette.responses import Response

from coach.accounts import COACH_AGENT_FEATURE
from coach.api.endpoint import Call, Endpoint
from coach.api.lookups import load_plan
from coach.api.sse import numbered_sse, sse_response
from coach.engines.base import DraftProgress, DraftText, EngineError, GenerationContext
from coach.errors import BadRequest
from coach.generation import build_context, echo, record_failure, record_finish, record_start
from coach.plans.models import WeekInfo, Workout
from coach.plans.requests import DraftResponse, GenerationRequest, PlanRequest
from coach.plans.store import get_plan
from coach.services import Services
from coach.streaming.broker import PlanChannel
from coach.streaming.events import DONE, Progress, StreamEvent, error_events
from coach.streaming.plan_events import PlanStreamTranslator, replay_events

log = logging.getLogger("coach.streams")

FOLLOW_POLL_SECONDS = 0.5


# Stored as the plan's error when the client that asked for it went away.
CANCELLED = "cancelled: the requesting client disconnected"


def _failure_reason(exc: BaseException) -> str:
    """What a failed generation stores as the plan's error: the engine's own words, or
    "internal error" (logged with its traceback) for anything unexpected."""
    if isinstance(exc, EngineError):
        return str(exc)
    log.error("stream failed", exc_info=exc)
    return "internal error"


def _failed(reason: str) -> list[StreamEvent]:
    """The end of a failed stream, the same live and replayed from the database."""
    return error_events(f"generation failed: {reason}")


def _numbered_after(
    events: Iterable[StreamEvent], after: int, first: int = 1
) -> Iterator[tuple[int, StreamEvent]]:
    """Number `events` from `first` and keep those after the client's Last-Event-ID."""
    for seq, event in enumerate(events, start=first):
        if seq > after:
            yield seq, event


async def generate_draft_stream(call: Call[GenerationRequest, None]) -> Response:
    body = call.body
    services = call.services
    ctx = await build_context(services, call.caller, body)

    async def events() -> AsyncIterator[StreamEvent]:
        yield StreamEvent.of(
            "progress",
            Progress(
                status="started", message="resolving principle and building the prompt", progress=0
            ),
        )
        pieces: list[str] = []
        percent = 0
        try:
            async with aclosing(services.engine.draft(ctx)) as draft:
                async for event in draft:
                    if isinstance(event, DraftProgress):
                        percent = event.progress
                        yield StreamEvent.of(
                            "progress",
                            Progress(status=event.status, message=event.message, progress=percent),
                        )
                    elif isinstance(event, DraftText):
                        pieces.append(event.text)
                        yield StreamEvent.of(
                            "progress",
                            Progress(
                                status="writing",
                                message="draft text",
                                progress=percent,
                                text=event.text,
                            ),
                        )
        except Exception as exc:
            for event in _failed(_failure_reason(exc)):
                yield event
            return
        yield StreamEvent.of(
            "result",
            DraftResponse(
                draft="".join(pieces), training_principle=ctx.principle.text, request=echo(body)
            ),
        )
        yield DONE

    return sse_response(events())


async def _plan_events(
    services: Services,
    translator: PlanStreamTranslator,
    ctx: GenerationContext,
    body: PlanRequest,
    channel: PlanChannel,
) -> AsyncIterator[tuple[int, StreamEvent]]:
    """Run the engine, publish every event to the plan's channel and yield it numbered."""
    plan_id = translator.plan_id
    try:
        try:
            async with aclosing(services.engine.plan(ctx)) as stream:
                async for engine_event in stream:
                    for event in translator.on_event(engine_event):
                        yield channel.publish(event), event
            await record_finish(services, plan_id, translator.plan)
        except Exception as exc:
            reason = _failure_reason(exc)
            await record_failure(services, plan_id, reason)
            for event in _failed(reason):
                yield channel.publish(event), event
            return
        except BaseException:
            # The client went away: the generation stops with it (the engine's upstream
            # requests were closed by aclosing); followers learn why.
            await record_failure(services, plan_id, CANCELLED)
            for event in _failed(CANCELLED):
                channel.publish(event)
            raise
        for event in (translator.result(), DONE):
            yield channel.publish(event), event
    finally:
        channel.finish()


async def _start_plan_stream(call: Call[PlanRequest, None], *, incremental: bool) -> Response:
    request, caller, body = call.request, call.caller, call.body
    services = call.services
    ctx = await build_context(services, caller, body)
    plan_id = await record_start(services, caller, body, ctx)
    translator = PlanStreamTranslator(plan_id, incremental=incremental)
    channel = request.app.state.broker.open(plan_id)
    if incremental:
        return numbered_sse(_plan_events(services, translator, ctx, body, channel))

    async def batch() -> AsyncIterator[tuple[int, StreamEvent]]:
        # The batch stream's result is the synchronous body; followers of the plan id
        # still see the incremental events on the channel.
        incremental_translator = PlanStreamTranslator(plan_id, incremental=True)
        seq = 0
        async with aclosing(
            _plan_events(services, incremental_translator, ctx, body, channel)
        ) as live:
            async for _, event in live:
                if event.event in ("workout", "weekly_info"):
                    continue
                if event.event == "result":
                    event = StreamEvent.of(
                        "result",
                        incremental_translator.plan.response(
                            plan_id=plan_id, principle_text=ctx.principle.text, request=body
                        ),
                    )
                seq += 1
                yield seq, event

    return numbered_sse(batch())


async def generate_plan_stream(call: Call[PlanRequest, None]) -> Response:
    return await _start_plan_stream(call, incremental=True)


async def generate_plan_stream_batch(call: Call[PlanRequest, None]) -> Response:
    return await _start_plan_stream(call, incremental=False)


def _last_event_id(request: Request) -> int:
    raw = request.headers.get("last-event-id", "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        raise BadRequest.field("Last-Event-ID", "must be the id of an event of this stream")
    return int(raw)


async def follow_plan_stream(call: Call[None, None]) -> Response:
    request = call.request
    row = await load_plan(request, call.caller)
    after = _last_event_id(request)
    services = call.services
    plan_id = uuid.UUID(row.id)

    async def stored() -> AsyncIterator[tuple[int, StreamEvent]]:
        current = row
        channel = request.app.state.broker.get(plan_id)
        if channel is not None:
            async for item in channel.follow(after):
                yield item
            return
        waited = 0.0
        while current.status == "generating":
            # Being generated by another process: poll the database until it is done.
            if waited > services.settings.llm_timeout_s * 4:
                # Numbered after the client's position: a resuming client gets them too.
                message = "plan is still generating elsewhere; try again later"
                for item in _numbered_after(error_events(message), after, first=after + 1):
                    yield item
                return
            await anyio.sleep(FOLLOW_POLL_SECONDS)
            waited += FOLLOW_POLL_SECONDS
            refreshed = await services.db.run(lambda s: get_plan(s, plan_id))
            assert refreshed is not None
            current = refreshed
        if current.status == "failed":
            # The events before the failure are not stored: the end of the stream is
            # numbered after the client's position, so one resuming a stream that failed
            # gets `error`, `done` with the ids the live stream gave them.
            ending = _failed(current.error or "unknown error")
            for item in _numbered_after(ending, after, first=after + 1):
                yield item
            return
        events = replay_events(
            plan_id,
            [Workout.model_validate(w) for w in current.content],
            {int(k): WeekInfo.model_validate(v) for k, v in current.weekly_info.items()},
            list(current.warnings),
        )
        for item in _numbered_after(events, after):
            yield item

    return numbered_sse(stored())


_STREAM_ERRORS = (400, 401, 403, 404, 413)

ENDPOINTS = [
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
        stream_events=("progress", "result", "error", "done"),
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
        stream_events=("workout", "progress", "weekly_info", "result", "error", "done"),
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
        stream_events=("progress", "result", "error", "done"),
    ),
    Endpoint(
        "GET",
        "/v1/coach/plans/{plan_id}/stream",
        follow_plan_stream,
        "Replay a plan's stream, following it while it is generated (Last-Event-ID resumes)",
        "coach",
        errors=(400, 401, 403, 404),
        stream_events=("workout", "progress", "weekly_info", "result", "error", "done"),
    ),
]
