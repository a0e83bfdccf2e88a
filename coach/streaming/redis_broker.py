"""Runs' event streams in Redis Streams, so a client follows a run from any process.

Each run's stream is one Redis Stream whose entry ids are `0-<event id>`: the SSE id is
the entry id, and `Last-Event-ID: N` resumes with a read after `0-N`. The process
generating a run appends every event (capped with `MAXLEN ~`, kept `keep_s` after the
run ends, a day at most while it runs) and an end marker. Another process that has a
follower for the run mirrors the stream into a local channel with one blocking XREAD
loop, shared by all of its followers of that run: no polling, one Redis connection per
followed run and process. Pub/sub alone would lose events a reader misses; the stream is
the log, and a reader always asks for what comes after the last entry it has.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import anyio
from anyio.abc import TaskGroup
from redis.asyncio import Redis
from redis.exceptions import RedisError

from coach.streaming.broker import Channel, LocalBroker
from coach.streaming.events import StreamEvent

log = logging.getLogger("coach.streaming")

# A running stream's key outlives a process that died without ending it, for a while.
OPEN_TTL_S = 24 * 3600
# Below the client's socket timeout (redis-py: 5 s by default), so a quiet stream is not an error.
BLOCK_MS = 2000
READ_COUNT = 500
_END = "end"


class RedisChannel(Channel):
    """The channel of a run generated here: held locally for this process's followers,
    and appended to the run's Redis Stream for every other process's."""

    def __init__(self, redis: Redis, key: str, *, keep_s: float, max_events: int) -> None:
        super().__init__()
        self.redis = redis
        self.key = key
        self.keep_s = keep_s
        self.max_events = max_events

    async def publish(self, event: StreamEvent) -> int:
        """The shared log first, then this process's followers: every process's followers
        get the event at about the same time, rather than other processes' only once this
        one has sent it to all of its own. (One publisher at a time: the run's task.)"""
        seq = self.last_id + 1
        try:
            await append_event(self.redis, self.key, seq, event, max_events=self.max_events)
        finally:
            self.append(event)  # also when Redis failed: this process's followers see it
        return seq

    async def finish(self) -> None:
        self.end()
        await end_stream(self.redis, self.key, self.last_id + 1, keep_s=self.keep_s)


async def append_event(
    redis: Redis, key: str, seq: int, event: StreamEvent, *, max_events: int
) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.xadd(
            key,
            {"e": event.event, "d": event.data},
            id=f"0-{seq}",
            maxlen=max_events,
            approximate=True,
        )
        if seq == 1:
            pipe.expire(key, OPEN_TTL_S)
        await pipe.execute()


async def end_stream(redis: Redis, key: str, seq: int, *, keep_s: float) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.xadd(key, {_END: "1"}, id=f"0-{seq}")
        pipe.expire(key, max(1, int(keep_s)))
        await pipe.execute()


class RedisBroker:
    """Runs generated here publish to Redis; runs generated elsewhere are mirrored."""

    def __init__(
        self,
        redis: Redis,
        *,
        readers: Redis | None = None,
        prefix: str = "coach",
        keep_seconds: float = 600.0,
        max_finished: int = 256,
        max_events: int = 10_000,
    ) -> None:
        self.redis = redis
        # The mirrors' blocking reads each hold a connection: a client of their own.
        self.readers = readers or redis
        self.prefix = prefix
        self.keep_seconds = keep_seconds
        self.max_events = max_events
        # Channels of runs generated here, and mirrors of runs generated elsewhere.
        self._local = LocalBroker(keep_seconds=keep_seconds, max_finished=max_finished)
        self._mirrors = LocalBroker(keep_seconds=keep_seconds, max_finished=max_finished)
        self._tasks: TaskGroup | None = None

    def attach(self, tasks: TaskGroup) -> None:
        """The task group the mirrors' readers run in (the service's)."""
        self._tasks = tasks

    def key(self, run_id: uuid.UUID) -> str:
        return f"{self.prefix}:stream:{run_id}"

    def open(self, run_id: uuid.UUID) -> Channel:
        channel = RedisChannel(
            self.redis, self.key(run_id), keep_s=self.keep_seconds, max_events=self.max_events
        )
        self._local.adopt(run_id, channel)
        return channel

    async def find(self, run_id: uuid.UUID) -> Channel | None:
        channel = await self._local.find(run_id) or await self._mirrors.find(run_id)
        if channel is not None:
            return channel
        oldest = _entries(await self.redis.xrange(self.key(run_id), count=1))
        if not oldest:
            return None
        mirror = self._mirrors.open(run_id)
        # Where the log starts: what comes before it was trimmed (COACH_STREAM_LOG_MAX_EVENTS).
        mirror.base = oldest[0][0] - 1
        assert self._tasks is not None, "attach() the broker to the service's task group"
        self._tasks.start_soon(self._mirror, run_id, mirror, name=f"mirror-{run_id}")
        return mirror

    async def end_orphan(self, run_id: uuid.UUID, events: list[StreamEvent]) -> None:
        """End the stream of a run whose process died: append `events` after its last
        entry, then the end marker (followers everywhere get them)."""
        key = self.key(run_id)
        newest: Any = await self.redis.xrevrange(key, count=1)
        entries = _entries(newest)
        if not entries:
            return
        seq, fields = entries[0]
        if _END in fields:
            return
        for event in events:
            seq += 1
            await append_event(self.redis, key, seq, event, max_events=self.max_events)
        await end_stream(self.redis, key, seq + 1, keep_s=self.keep_seconds)

    def close_followers(self) -> None:
        self._local.close_followers()
        self._mirrors.close_followers()

    async def aclose(self) -> None:
        await self.redis.aclose()
        if self.readers is not self.redis:
            await self.readers.aclose()

    async def _mirror(self, run_id: uuid.UUID, mirror: Channel) -> None:
        key = self.key(run_id)
        last = mirror.base
        while mirror.finished_at is None:
            try:
                found = await self.readers.xread(
                    {key: f"0-{last}"}, count=READ_COUNT, block=BLOCK_MS
                )
            except RedisError:
                log.warning("reading run %s's stream failed; retrying", run_id, exc_info=True)
                await anyio.sleep(1)
                continue
            if not found:
                if not await self.redis.exists(key):
                    mirror.end()  # expired: followers fall back to the database
                continue
            # RESP3 answers {key: entries}, RESP2 [[key, entries]].
            stream = next(iter(found.values())) if isinstance(found, dict) else found[0][1]
            for seq, fields in _entries(stream):
                if _END in fields:
                    mirror.end()
                    break
                if not mirror.events and seq > mirror.base + 1:
                    mirror.base = seq - 1  # trimmed again before the first read
                mirror.append(StreamEvent.parse(fields["e"], fields["d"]))
                last = seq


def _entries(raw: Any) -> list[tuple[int, dict[str, str]]]:
    """Stream entries as (event id, fields), whatever bytes or str the client returns."""
    return [
        (int(_text(entry_id).split("-", 1)[1]), {_text(k): _text(v) for k, v in fields.items()})
        for entry_id, fields in raw or []
    ]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
