"""The interface every plan engine implements, and the domain events it yields.

An engine yields events; the HTTP layer either streams them (SSE) or drains them into one
response, so the synchronous and streaming endpoints share a single code path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from coach.engines.events import (
    DraftEvent,
    DraftProgress,
    DraftText,
    PlanEvent,
    PlanTotal,
    PlanWarning,
    WeekDone,
    WorkoutReady,
    week_events,
)
from coach.errors import CoachError
from coach.plans.models import Workout
from coach.plans.requests import GenerationRequest, PlanRequest
from coach.principles import ResolvedPrinciple

# The events live in coach.engines.events; engines import them from here with the contract.
__all__ = [
    "DraftContext",
    "DraftEvent",
    "DraftProgress",
    "DraftText",
    "EngineError",
    "GenerationContext",
    "PlanContext",
    "PlanEngine",
    "PlanEvent",
    "PlanTotal",
    "PlanWarning",
    "WeekDone",
    "WeekRequest",
    "WorkoutReady",
]


R = TypeVar("R", bound=GenerationRequest, covariant=True)


@dataclass(frozen=True)
class GenerationContext(Generic[R]):
    """Everything an engine may use: the request, the resolved principle, the org's library.

    Covariant in the request, so a plan's context also serves the code that needs only the
    fields every generation request has.
    """

    request: R
    principle: ResolvedPrinciple
    library: list[Workout] = field(default_factory=list)


DraftContext = GenerationContext[GenerationRequest]
PlanContext = GenerationContext[PlanRequest]


@dataclass(frozen=True)
class WeekRequest:
    """One week of a stored plan to write again, from the lines its draft has for it now
    (the context's refined draft). The plan's other weeks stay as they are: `neighbours`,
    the workouts of the weeks around it, are context for the engine, never rewritten."""

    week: int
    neighbours: list[Workout] = field(default_factory=list)


class EngineError(CoachError):
    """Generation failed (LLM unreachable, invalid output after retries, ...)."""


class PlanEngine(ABC):
    """A way to write drafts and structured plans. Registered by name in coach.engines.registry.

    Both methods return async generators that may hold open upstream requests and tasks:
    iterate one in a single task and close it with `aclose()` (contextlib.aclosing) when
    stopping early, in the same cancel scope it was iterated in.
    """

    name: str

    @abstractmethod
    def draft(self, ctx: DraftContext) -> AsyncGenerator[DraftEvent, None]:
        """Yield progress and the draft text in pieces."""

    @abstractmethod
    def plan(self, ctx: PlanContext) -> AsyncGenerator[PlanEvent, None]:
        """Yield PlanTotal first, then workouts in plan order, each week's WeekDone after its
        last workout, and warnings whenever they arise."""

    async def week(self, ctx: PlanContext, request: WeekRequest) -> AsyncGenerator[PlanEvent, None]:
        """Yield PlanTotal (the week's workouts) first, then that week's workouts in day
        order, its WeekDone, and warnings. By default the whole plan is written and the
        week kept; engines that can write one week alone override this."""
        events: list[PlanEvent] = []
        async with aclosing(self.plan(ctx)) as stream:
            async for event in stream:
                events.append(event)
        for event in week_events(events, request.week):
            yield event

    async def check_plan_request(self, ctx: PlanContext) -> None:
        """Raise a BadRequest when `ctx` cannot give a plan, before a plan run starts
        (nothing in its refined draft can be read, ...); nothing by default."""
        return None

    async def serve(self) -> None:
        """The engine's background work, run by the service for its life (cancelled at
        shutdown); nothing by default."""
        return None

    async def aclose(self) -> None:
        """Release resources (HTTP clients, child processes); nothing by default."""
        return None
