"""The SSE events of docs/http-api.md as pydantic payloads, and where they become SSE frames."""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard, get_args

from pydantic import BaseModel, ConfigDict, RootModel
from sse_starlette import ServerSentEvent

from coach.plans.models import WeekInfo

EventName = Literal[
    "progress", "workout", "weekly_info", "result", "error", "done", "reset", "reconnect", "item"
]


EVENT_NAMES: frozenset[str] = frozenset(get_args(EventName))


def _is_event_name(name: str) -> TypeGuard[EventName]:
    return name in EVENT_NAMES


class Progress(BaseModel):
    status: str
    message: str
    progress: int
    count: int | None = None
    total: int | None = None
    plan_id: uuid.UUID | None = None
    text: str | None = None  # draft stream: the piece of draft text just written


class PlanStreamResult(BaseModel):
    total_workouts: int
    weekly_info: dict[str, WeekInfo]
    plan_id: uuid.UUID
    warnings: list[str]


class StreamError(BaseModel):
    error: str


class Reset(BaseModel):
    """`reset`: the events after the client's position are no longer held; the stream goes
    on from `missing_to` (reload the plan to see what was missed)."""

    message: str
    missing_from: int
    missing_to: int


class Reconnect(BaseModel):
    """`reconnect`: this process is shutting down; reconnect (with Last-Event-ID) and the
    stream resumes on another one. Its id repeats the last event sent."""

    message: str
    last_event_id: int


class ShuttingDown(Exception):
    """A follower's stream ends because the process stops; `last_id` was sent last."""

    def __init__(self, last_id: int) -> None:
        super().__init__(f"shutting down after event {last_id}")
        self.last_id = last_id


class Done(BaseModel):
    """`done`: always the last event of a stream, with an empty object."""

    model_config = ConfigDict(extra="forbid")


class WeeklyInfoEvent(RootModel[dict[str, WeekInfo]]):
    """`weekly_info`: `{"<week>": WeekInfo}` once every workout of that week was sent."""


@dataclass(frozen=True)
class StreamEvent:
    event: EventName
    data: str  # JSON text

    @classmethod
    def of(cls, event: EventName, payload: BaseModel | dict[str, Any]) -> StreamEvent:
        if isinstance(payload, BaseModel):
            # Progress leaves out what does not apply (no count in a draft); every other
            # payload keeps its nulls so a workout event equals the plan's content item.
            text = payload.model_dump_json(exclude_none=isinstance(payload, Progress))
        else:
            text = _json(payload)
        return cls(event, text)

    @classmethod
    def parse(cls, name: str, data: str) -> StreamEvent:
        """An event read back from a log; a name this service never sends is refused."""
        if not _is_event_name(name):
            raise ValueError(f"unknown event {name!r}")
        return cls(name, data)

    @classmethod
    def reset(cls, after: int, base: int) -> StreamEvent:
        return cls.of(
            "reset",
            Reset(
                message=f"events {after + 1} to {base} are no longer kept; "
                "reload the plan to see them",
                missing_from=after + 1,
                missing_to=base,
            ),
        )

    def frame(self, seq: int, retry_ms: int | None = None) -> bytes:
        """The event as its SSE frame with id `seq`: sse-starlette's encoding, done once
        per event and id however many followers send it (they share the bytes)."""
        if len(self.data) > FRAME_CACHE_MAX_DATA:
            return _encode(self.event, self.data, seq, retry_ms)
        return _encoded(self.event, self.data, seq, retry_ms)


# Enough for the recent events of every run followed at once (a follower that lags further
# behind encodes its own copy again, the same bytes); large events (a batch stream's whole
# plan) are not kept, so the cache holds at most ~32 MiB.
FRAME_CACHE_SIZE = 2048
FRAME_CACHE_MAX_DATA = 16 * 1024


def _encode(event: str, data: str, seq: int, retry_ms: int | None) -> bytes:
    return ServerSentEvent(data=data, event=event, id=str(seq), retry=retry_ms).encode()


_encoded = functools.lru_cache(maxsize=FRAME_CACHE_SIZE)(_encode)


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


DONE = StreamEvent("done", "{}")


def error_events(message: str) -> list[StreamEvent]:
    return [StreamEvent.of("error", StreamError(error=message)), DONE]


def reconnect_event(last_id: int) -> StreamEvent:
    return StreamEvent.of(
        "reconnect",
        Reconnect(
            message="the service is restarting; reconnect with Last-Event-ID to resume",
            last_event_id=last_id,
        ),
    )
