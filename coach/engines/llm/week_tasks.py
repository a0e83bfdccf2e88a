"""Runs the weeks' writers concurrently, a limited number at once, reporting on one stream."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from coach.engines.base import EngineError
from coach.engines.llm.convert import WeekSpec
from coach.engines.llm.messages import Report, WeekFailed, WeekFinished, WeekMessage

log = logging.getLogger(__name__)

WriteWeek = Callable[[WeekSpec, Report], Awaitable[None]]


@asynccontextmanager
async def run_weeks(
    specs: list[WeekSpec], write: WriteWeek, concurrency: int
) -> AsyncIterator[MemoryObjectReceiveStream[WeekMessage]]:
    """Start `write` for every week, at most `concurrency` at once, and yield the stream of
    their messages. Each week ends with WeekFinished or WeekFailed. Leaving the block, for
    whatever reason, cancels the weeks still running and waits until they have stopped (so
    their upstream requests are closed)."""
    send, receive = anyio.create_memory_object_stream[WeekMessage](math.inf)
    limiter = anyio.CapacityLimiter(concurrency)
    stopped: BaseException | None = None
    with receive:
        async with anyio.create_task_group() as group:
            with send:
                for spec in specs:
                    name = f"week-{spec.week}"
                    group.start_soon(_week, spec, write, limiter, send.clone(), name=name)
            try:
                yield receive
            except BaseException as exc:
                # Re-raised below, after the weeks have stopped: raised in here the task
                # group would wrap it (the caller's EngineError, or the GeneratorExit of a
                # plan being closed) in an exception group.
                stopped = exc
            group.cancel_scope.cancel()
    if stopped is not None:
        raise stopped


async def _week(
    spec: WeekSpec,
    write: WriteWeek,
    limiter: anyio.CapacityLimiter,
    send: MemoryObjectSendStream[WeekMessage],
) -> None:
    # Never raises: an exception escaping a task would cancel the task that reads the plan.
    with send:
        try:
            async with limiter:
                await write(spec, send.send_nowait)
            send.send_nowait(WeekFinished(spec.week))
        except EngineError as exc:
            if not exc.message.startswith(f"week {spec.week}:"):
                exc = EngineError(f"week {spec.week}: {exc.message}", exc.details)
            send.send_nowait(WeekFailed(spec.week, exc))
        except Exception as exc:  # a bug in one week must end the plan, not hang it
            log.exception("week %s failed", spec.week)
            send.send_nowait(WeekFailed(spec.week, EngineError(f"week {spec.week}: {exc}")))
