"""Plans being generated in this process, so other clients can follow them and resume.

A channel keeps every event of one plan stream, numbered from 1. Followers read from any
position and wait for more until the stream is finished. Finished channels are kept for
`keep_seconds`, and at most `max_finished` of them (the oldest go first); after that a
finished plan is replayed from the database instead. A kept channel costs about 80 KiB for
a 12-week plan and 340 KiB for a 52-week one (docs/streaming.md).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import anyio

from coach.streaming.events import StreamEvent


class PlanChannel:
    def __init__(self) -> None:
        self.events: list[StreamEvent] = []
        self.finished_at: float | None = None
        self._changed = anyio.Event()

    def publish(self, event: StreamEvent) -> int:
        self.events.append(event)
        self._wake()
        return len(self.events)

    def finish(self) -> None:
        self.finished_at = time.monotonic()
        self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, anyio.Event()
        changed.set()

    async def follow(self, after: int = 0) -> AsyncIterator[tuple[int, StreamEvent]]:
        position = after
        while True:
            while position < len(self.events):
                position += 1
                yield position, self.events[position - 1]
            if self.finished_at is not None:
                return
            await self._changed.wait()


class PlanBroker:
    def __init__(self, keep_seconds: float = 600.0, max_finished: int = 256) -> None:
        self.keep_seconds = keep_seconds
        self.max_finished = max_finished
        self._channels: dict[uuid.UUID, PlanChannel] = {}

    def open(self, plan_id: uuid.UUID) -> PlanChannel:
        self._purge()
        channel = self._channels[plan_id] = PlanChannel()
        return channel

    def get(self, plan_id: uuid.UUID) -> PlanChannel | None:
        return self._channels.get(plan_id)

    def _purge(self) -> None:
        cutoff = time.monotonic() - self.keep_seconds
        finished = sorted(
            (channel.finished_at, plan_id)
            for plan_id, channel in self._channels.items()
            if channel.finished_at is not None
        )
        surplus = len(finished) - self.max_finished
        for index, (finished_at, plan_id) in enumerate(finished):
            if index < surplus or finished_at < cutoff:
                del self._channels[plan_id]
