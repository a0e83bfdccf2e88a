"""Runs the weeks' writers concurrently, a limited number at once (adaptive, see
coach.engines.llm.adaptive), reporting on one stream."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from coach.engines.base import EngineError
from coach.engines.llm.adaptive import AdaptiveLimit
from coach.engines.llm.convert import WeekSpec
from coach.engines.llm.messages import (
    Report,
    WeekFailed,
    WeekFinished,
    WeekMessage,
    WeekWorkout,
)

log = logging.getLogger(__name__)

WriteWeek = Callable[[WeekSpec, Report], Awaitable[None]]


@asynccontextmanager
async def run_weeks(
    specs: list[WeekSpec], write: WriteWeek, concurrency: int, ceiling: int | None = None
) -> AsyncIterator[MemoryObjectReceiveStream[WeekMessage]]:
    """Start `write` for every week, `concurrency` at once to begin with (up to `ceiling`
    as the server keeps up; without one, never more), and yield the stream of their
    messages. Each week ends with WeekFinished or WeekFailed. Leaving the block, for
    whatever reason, cancels the weeks still running and waits until they have stopped (so
    their upstream requests are closed)."""
    send, receive = anyio.create_memory_object_stream[WeekMessage](math.inf)
    limiter = AdaptiveLimit(concurrency, ceiling or concurrency)
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
    limiter: AdaptiveLimit,
    send: MemoryObjectSendStream[WeekMessage],
) -> None:
    # Never raises: an exception escaping a task would cancel the task that reads the plan.
    with send:
        started = 0.0
        try:
            async with limiter.slot() as started:
                first = True

                def report(message: WeekMessage) -> None:
                    nonlocal first
                    if first and isinstance(message, WeekWorkout):
                        first = False
                        limiter.responded(started)
                    send.send_nowait(message)

                await write(spec, report)
            send.send_nowait(WeekFinished(spec.week))
        except EngineError as exc:
            if _overloaded(exc):
                limiter.overloaded(started)
            if not exc.message.startswith(f"week {spec.week}:"):
                exc = EngineError(f"week {spec.week}: {exc.message}", exc.details)
            send.send_nowait(WeekFailed(spec.week, exc))
        except Exception as exc:  # a bug in one week must end the plan, not hang it
            log.exception("week %s failed", spec.week)
            send.send_nowait(WeekFailed(spec.week, EngineError(f"week {spec.week}: {exc}")))


def _overloaded(exc: EngineError) -> bool:
    """A failure that says the server has more than it can take (coach.engines.llm.client's
    messages): a 429, a server error, a timeout."""
    return any(sign in exc.message for sign in ("HTTP 429", "HTTP 5", "timed out"))
