"""The SSE events of docs/http-api.md as pydantic payloads, and where they become SSE frames."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, RootModel
from sse_starlette import ServerSentEvent

from coach.plans.models import WeekInfo

EventName = Literal["progress", "workout", "weekly_info", "result", "error", "done"]


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

    def frame(self, seq: int) -> ServerSentEvent:
        return ServerSentEvent(data=self.data, event=self.event, id=str(seq))


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


DONE = StreamEvent("done", "{}")


def error_events(message: str) -> list[StreamEvent]:
    return [StreamEvent.of("error", StreamError(error=message)), DONE]
