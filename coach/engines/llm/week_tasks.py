"""Runs the weeks' writers concurrently, a limited number at once (adaptive, see
coach.engines.llm.adaptive), reporting on one stream.

A week the LLM server turned away (429) before it had reported anything is sent again, at
the lowered limit after a short pause, up to `retries` times. Server errors and timeouts
lower the limit too but end the week, as before: the SDK has retried those already
(`COACH_LLM_MAX_RETRIES`), and a stalled server must not hold the plan for longer."""

from __future__ import annotations

import logging
import math
import time
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

# write(spec, report, sent): `sent()` is called as each of the week's requests goes out
# (once it holds a slot of the LLM budget), so time spent waiting for the budget does not
# read as a slow server.
WriteWeek = Callable[[WeekSpec, Report, Callable[[], None]], Awaitable[None]]


# Pause before a turned-away week is sent again: this, doubling with each retry.
RETRY_PAUSE_S = 0.25


@asynccontextmanager
async def run_weeks(
    specs: list[WeekSpec], write: WriteWeek, ceiling: int, retries: int = 0
) -> AsyncIterator[MemoryObjectReceiveStream[WeekMessage]]:
    """Start `write` for every week, `ceiling` at once to begin with (fewer while the
    server pushes back, never more), and yield the stream of their messages. Each week
    ends with WeekFinished or WeekFailed. Leaving the block, for whatever reason, cancels
    the weeks still running and waits until they have stopped (so their upstream requests
    are closed)."""
    send, receive = anyio.create_memory_object_stream[WeekMessage](math.inf)
    limiter = AdaptiveLimit(ceiling)
    stopped: BaseException | None = None
    with receive:
        async with anyio.create_task_group() as group:
            with send:
                for spec in specs:
                    name = f"week-{spec.week}"
                    group.start_soon(_week, spec, write, limiter, retries, send.clone(), name=name)
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
    retries: int,
    send: MemoryObjectSendStream[WeekMessage],
) -> None:
    # Never raises: an exception escaping a task would cancel the task that reads the plan.
    with send:
        attempt = 0
        while True:
            reported, failure = await _attempt(spec, write, limiter, send)
            if failure is None:
                send.send_nowait(WeekFinished(spec.week))
                return
            if reported or not _turned_away(failure) or attempt == retries:
                break
            log.info("week %s: %s; sending it again", spec.week, failure.message)
            await anyio.sleep(RETRY_PAUSE_S * 2**attempt)
            attempt += 1
        if not failure.message.startswith(f"week {spec.week}:"):
            failure = EngineError(f"week {spec.week}: {failure.message}", failure.details)
        send.send_nowait(WeekFailed(spec.week, failure))


async def _attempt(
    spec: WeekSpec,
    write: WriteWeek,
    limiter: AdaptiveLimit,
    send: MemoryObjectSendStream[WeekMessage],
) -> tuple[bool, EngineError | None]:
    """Write the week once, holding a place of the limit: whether it reported anything,
    and how it failed (None: it finished)."""
    reported = False
    started = 0.0
    try:
        async with limiter.slot() as started:
            waiting, timed = True, False

            def sent() -> None:
                nonlocal started, waiting
                if waiting:  # the week's first request: its first workout is timed
                    started, waiting = time.monotonic(), False

            def report(message: WeekMessage) -> None:
                nonlocal reported, timed
                if not timed and isinstance(message, WeekWorkout):
                    timed = True
                    limiter.responded(started)
                reported = True
                send.send_nowait(message)

            await write(spec, report, sent)
        return reported, None
    except EngineError as exc:
        if _overloaded(exc):
            limiter.overloaded(started)
        return reported, exc
    except Exception as exc:  # a bug in one week must end the plan, not hang it
        log.exception("week %s failed", spec.week)
        return True, EngineError(f"week {spec.week}: {exc}")


def _overloaded(exc: EngineError) -> bool:
    """A failure that says the server has more than it can take (coach.engines.llm.client's
    messages): a 429, a server error, a timeout."""
    return any(sign in exc.message for sign in ("HTTP 429", "HTTP 5", "timed out"))


def _turned_away(exc: EngineError) -> bool:
    """The server said it has too much at once (429): worth sending again at fewer."""
    return "HTTP 429" in exc.message
