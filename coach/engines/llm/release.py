"""Releases the weeks' workouts in plan order: week 1 as it arrives, later weeks buffered."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import AsyncGenerator, Sequence

from anyio import EndOfStream
from anyio.streams.memory import MemoryObjectReceiveStream

from coach.engines.base import EngineError, PlanEvent, PlanWarning, WeekDone, WorkoutReady
from coach.engines.llm.checks import week_warnings
from coach.engines.llm.convert import WeekSpec
from coach.engines.llm.messages import (
    WeekFailed,
    WeekFinished,
    WeekMessage,
    WeekWarning,
    WeekWorkout,
)
from coach.plans.models import WeekInfo, Workout


async def in_plan_order(
    specs: list[WeekSpec],
    messages: MemoryObjectReceiveStream[WeekMessage],
    before: Sequence[Workout] = (),
) -> AsyncGenerator[PlanEvent, None]:
    """The plan's events from the weeks' messages; the first failing week fails the plan.

    Weeks without draft lines have no writer and only get their WeekDone. `before`: the
    plan's workouts ahead of the first spec (a week written again), for the rules that
    look across weeks.
    """
    buffers: dict[int, deque[WeekMessage]] = defaultdict(deque)
    plan: list[Workout] = list(before)
    for spec in specs:
        released: list[Workout] = []
        while spec.draft.lines:
            if not buffers[spec.week]:
                message = await _receive(messages)
                buffers[message.week].append(message)
                continue
            message = buffers[spec.week].popleft()
            if isinstance(message, WeekFinished):
                break
            if isinstance(message, WeekWarning):
                yield PlanWarning(message.message)
                continue
            assert isinstance(message, WeekWorkout)  # WeekFailed never gets buffered
            released.append(message.workout)
            plan.append(message.workout)
            yield WorkoutReady(message.workout)
        info = WeekInfo(
            phase=spec.phase,
            focus=spec.focus,
            total_distance=sum(w.distance for w in released),
        )
        yield WeekDone(spec.week, info)
        # Rules the draft breaks (hard days back to back, also across the week before,
        # quality days, ...) are the coach's call: warnings, never changed sessions.
        for warning in week_warnings(plan, spec):
            yield PlanWarning(warning)


async def _receive(messages: MemoryObjectReceiveStream[WeekMessage]) -> WeekMessage:
    try:
        message = await messages.receive()
    except EndOfStream:
        # Every week reports its end, so this is a bug; fail rather than wait forever.
        raise EngineError("the weeks stopped without finishing the plan") from None
    if isinstance(message, WeekFailed):
        raise message.error
    return message
