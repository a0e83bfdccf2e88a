"""The one place events become an SSE response: ids, pings, send timeouts.

Handlers yield `StreamEvent`s (or numbered ones, when they resume a stream); sse-starlette
owns pings, disconnect detection and send timeouts.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from sse_starlette import EventSourceResponse, ServerSentEvent

from coach.streaming.events import StreamEvent

PING_SECONDS = 15
# A client that stops reading for this long is dropped instead of holding the stream open.
SEND_TIMEOUT_SECONDS = 30


def numbered_sse(events: AsyncGenerator[tuple[int, StreamEvent], None]) -> EventSourceResponse:
    """An SSE response of events that carry their own ids."""

    async def frames() -> AsyncGenerator[ServerSentEvent, None]:
        async with aclosing(events) as numbered:
            async for seq, event in numbered:
                yield event.frame(seq)

    return EventSourceResponse(frames(), ping=PING_SECONDS, send_timeout=SEND_TIMEOUT_SECONDS)


def sse_response(events: AsyncGenerator[StreamEvent, None]) -> EventSourceResponse:
    """An SSE response numbering `events` from 1."""
    return numbered_sse(_numbered(events))


async def _numbered(
    events: AsyncGenerator[StreamEvent, None],
) -> AsyncGenerator[tuple[int, StreamEvent], None]:
    seq = 0
    async with aclosing(events) as stream:
        async for event in stream:
            seq += 1
            yield seq, event
