"""Reading SSE responses in tests with httpx2's own SSE parser."""

from __future__ import annotations

import json
from typing import Any

import httpx2


def read_stream(
    http: httpx2.Client, method: str, path: str, **kwargs: Any
) -> list[httpx2.ServerSentEvent]:
    with http.stream(method, path, **kwargs) as response:
        assert response.status_code == 200, response.read().decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(httpx2.EventSource(response))


def names(events: list[httpx2.ServerSentEvent]) -> list[str]:
    return [e.event for e in events]


def data(event: httpx2.ServerSentEvent) -> Any:
    return json.loads(event.data)
