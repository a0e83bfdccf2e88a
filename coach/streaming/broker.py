"""Runs' event streams, so any number of clients can follow a run and resume it.

A channel keeps every event of one run's stream, numbered from 1. Followers read from any
position and wait for more until the stream is finished. The `LocalBroker` keeps channels
in this process (the embedded default); `coach.streaming.redis_broker` keeps them in Redis
Streams, so a client follows a run from any process. Both keep finished channels for
`keep_seconds`, at most `max_finished` of them here (the oldest go first); after that a
finished run is replayed from the database instead. A kept channel costs about 80 KiB for
a 12-week plan and 340 KiB for a 52-week one (docs/streaming.md).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator
from typing import Protocol

import anyio

from coach.streaming.events import ShuttingDown, StreamEvent

# An event with its id in its run's stream.
Numbered = tuple[int, StreamEvent]


class Channel:
    """One run's events, held in this process. `base` is the id of the last event the
    channel does not hold (0 unless a log it mirrors was trimmed)."""

    def __init__(self, base: int = 0) -> None:
        self.base = base
        self.events: list[StreamEvent] = []
        self.finished_at: float | None = None
        self.closing = False
        self._changed = anyio.Event()

    @property
    def last_id(self) -> int:
        return self.base + len(self.events)

    def append(self, event: StreamEvent) -> int:
        self.events.append(event)
        self._wake()
        return self.last_id

    async def publish(self, event: StreamEvent) -> int:
        """Add the run's next event; its id."""
        return self.append(event)

    def end(self) -> None:
        self.finished_at = time.monotonic()
        self._wake()

    async def finish(self) -> None:
        """The run ended: followers get what is left, then their streams end."""
        self.end()

    def close_followers(self) -> None:
        """The process is shutting down: every follower stops (ShuttingDown)."""
        self.closing = True
        self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, anyio.Event()
        changed.set()

    async def follow(self, after: int = 0) -> AsyncGenerator[Numbered, None]:
        """The events after `after`, one by one, as they come, until the run ends (see
        `follow_batches`)."""
        async for batch in self.follow_batches(after):
            for item in batch:
                yield item

    async def follow_batches(self, after: int = 0) -> AsyncGenerator[list[Numbered], None]:
        """The events after `after`, as they come, until the run ends: each time, every
        event held that the follower has not had yet (so a follower woken once sends
        them in one write).

        Raises ShuttingDown when the process stops first (the client resumes elsewhere),
        and yields a `reset` event when the events right after `after` are no longer held.
        """
        position = after
        while True:
            if position < self.base:  # checked each time: a mirror learns its base late
                yield [(self.base, StreamEvent.reset(position, self.base))]
                position = self.base
            if position < self.last_id:
                start = position - self.base
                batch = list(enumerate(self.events[start:], start=position + 1))
                position = batch[-1][0]
                yield batch
                continue  # more may have come while the batch was sent
            if self.finished_at is not None:
                return
            if self.closing:
                raise ShuttingDown(position)
            await self._changed.wait()


class Broker(Protocol):
    """Where runs publish their events and where followers find them."""

    def open(self, run_id: uuid.UUID) -> Channel:
        """The channel a new run publishes on."""
        ...

    async def find(self, run_id: uuid.UUID) -> Channel | None:
        """The run's channel if its events are still held (here or in a shared log)."""
        ...

    def close_followers(self) -> None:
        """End every follower's stream in this process (shutting down)."""
        ...

    async def end_orphan(self, run_id: uuid.UUID, events: list[StreamEvent]) -> None:
        """End the shared stream of a run whose process died with `events`."""
        ...

    async def aclose(self) -> None: ...


class LocalBroker:
    def __init__(self, keep_seconds: float = 600.0, max_finished: int = 256) -> None:
        self.keep_seconds = keep_seconds
        self.max_finished = max_finished
        self._channels: dict[uuid.UUID, Channel] = {}

    def open(self, run_id: uuid.UUID) -> Channel:
        return self.adopt(run_id, Channel())

    def adopt(self, run_id: uuid.UUID, channel: Channel) -> Channel:
        """Keep `channel` as the run's (a channel of a kind of its own)."""
        self._purge()
        self._channels[run_id] = channel
        return channel

    async def end_orphan(self, run_id: uuid.UUID, events: list[StreamEvent]) -> None:
        """Nothing to do: a run of this process ends its own channel."""
        return None

    async def find(self, run_id: uuid.UUID) -> Channel | None:
        return self._channels.get(run_id)

    def close_followers(self) -> None:
        for channel in self._channels.values():
            channel.close_followers()

    async def aclose(self) -> None:
        return None

    def _purge(self) -> None:
        cutoff = time.monotonic() - self.keep_seconds
        finished = sorted(
            (channel.finished_at, run_id)
            for run_id, channel in self._channels.items()
            if channel.finished_at is not None
        )
        surplus = len(finished) - self.max_finished
        for index, (finished_at, run_id) in enumerate(finished):
            if index < surplus or finished_at < cutoff:
                del self._channels[run_id]
