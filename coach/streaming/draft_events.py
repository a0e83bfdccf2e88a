"""The draft stream's events of a stored draft: its text back whole, the result, done."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coach.plans.requests import DraftResponse, EchoedRequest
from coach.streaming.events import DONE, Progress, StreamEvent


def draft_replay_events(
    text: str, training_principle: str, request: dict[str, Any], finished_at: dt.datetime | None
) -> list[StreamEvent]:
    echoed = EchoedRequest.model_validate(
        {**request, "generated_at": finished_at or dt.datetime.now(dt.UTC)}
    )
    return [
        StreamEvent.of("progress", Progress(status="started", message="stored draft", progress=0)),
        StreamEvent.of(
            "progress", Progress(status="writing", message="draft text", progress=100, text=text)
        ),
        StreamEvent.of(
            "result",
            DraftResponse(draft=text, training_principle=training_principle, request=echoed),
        ),
        DONE,
    ]
