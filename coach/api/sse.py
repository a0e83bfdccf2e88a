"""The one place events become an SSE response: ids, pings, send timeouts.

Handlers yield `StreamEvent`s (or batches of numbered ones, when they follow or resume a
stream; a batch goes out in one write); sse-starlette
owns pings, disconnect detection and send timeouts.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask

from coach.api.endpoint import Call
from coach.quotas import Lease
from coach.streaming.broker import Numbered
from coach.streaming.events import ShuttingDown, StreamEvent, reconnect_event

PING_SECONDS = 15
# What a client that gets `reconnect` waits before it reconnects (EventSource's `retry`).
RECONNECT_MS = 1000
# A client that stops reading for this long is dropped instead of holding the stream open.
SEND_TIMEOUT_SECONDS = 30


class StreamQuery(BaseModel):
    """The query of a GET stream a browser's EventSource follows."""

    model_config = ConfigDict(extra="forbid")

    token: str | None = Field(
        default=None,
        max_length=1000,
        description="A stream token (POST /v1/stream-tokens) instead of a key, for clients "
        "that cannot send headers.",
    )


async def stream_lease(call: Call[Any, Any]) -> Lease:
    """One of the caller's organization's open streams (429 at its limit); take it before
    starting any work the stream would show."""
    return await call.services.quotas.take(call.caller.organization_id, "streams")


def numbered_sse(
    call: Call[Any, Any], events: AsyncGenerator[list[Numbered], None], lease: Lease
) -> EventSourceResponse:
    """An SSE response of events that carry their own ids; `lease` is given back when the
    stream ends, however it ends. Each batch of events is sent in one write, its frames
    encoded once however many followers send them (`StreamEvent.frame`).

    When the process shuts down, a follower's stream ends with a `reconnect` event (and a
    short `retry`), so the client resumes on another process with Last-Event-ID.
    """
    services = call.services

    async def frames() -> AsyncGenerator[bytes, None]:
        try:
            async with aclosing(events) as batches:
                async for batch in batches:
                    yield b"".join([event.frame(seq) for seq, event in batch])
        except ShuttingDown as stop:
            yield reconnect_event(stop.last_id).frame(stop.last_id, retry_ms=RECONNECT_MS)
        finally:
            await lease.release()

    return EventSourceResponse(
        frames(),
        ping=PING_SECONDS,
        send_timeout=SEND_TIMEOUT_SECONDS,
        # One process-wide event, set by sse-starlette when the server shuts down; the
        # service then ends every follower with `reconnect` (coach.app).
        shutdown_event=services.shutdown,
        shutdown_grace_period=services.settings.shutdown_grace_s,
        # Also after a response whose body never started (releasing twice is harmless).
        background=BackgroundTask(lease.release),
    )


def sse_response(
    call: Call[Any, Any], events: AsyncGenerator[StreamEvent, None], lease: Lease
) -> EventSourceResponse:
    """An SSE response numbering `events` from 1."""
    return numbered_sse(call, _numbered(events), lease)


async def _numbered(
    events: AsyncGenerator[StreamEvent, None],
) -> AsyncGenerator[list[Numbered], None]:
    seq = 0
    try:
        async with aclosing(events) as stream:
            async for event in stream:
                seq += 1
                yield [(seq, event)]
    except ShuttingDown as stop:
        raise ShuttingDown(seq) from stop
