"""The interface every plan engine implements, and the domain events it yields.

An engine yields events; the HTTP layer either streams them (SSE) or drains them into one
response, so the synchronous and streaming endpoints share a single code path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from coach.engines.events import (
    DraftEvent,
    DraftProgress,
    DraftText,
    PlanEvent,
    PlanTotal,
    PlanWarning,
    WeekDone,
    WorkoutReady,
)
from coach.plans.models import Workout
from coach.plans.requests import GenerationRequest, PlanRequest
from coach.principles import ResolvedPrinciple

# The events live in coach.engines.events; engines import them from here with the contract.
__all__ = [
    "DraftEvent",
    "DraftProgress",
    "DraftText",
    "EngineError",
    "GenerationContext",
    "PlanEngine",
    "PlanEvent",
    "PlanTotal",
    "PlanWarning",
    "WeekDone",
    "WorkoutReady",
]


@dataclass(frozen=True)
class GenerationContext:
    """Everything an engine may use: the request, the resolved principle, the org's library."""

    request: GenerationRequest
    principle: ResolvedPrinciple
    library: list[Workout] = field(default_factory=list)


class EngineError(Exception):
    """Generation failed (LLM unreachable, invalid output after retries, ...)."""


class PlanEngine(ABC):
    """A way to write drafts and structured plans. Registered by name in coach.engines.registry."""

    name: str

    @abstractmethod
    def draft(self, ctx: GenerationContext) -> AsyncIterator[DraftEvent]:
        """Yield progress and the draft text in pieces."""

    @abstractmethod
    def plan(self, ctx: GenerationContext, request: PlanRequest) -> AsyncIterator[PlanEvent]:
        """Yield PlanTotal first, then workouts in plan order, each week's WeekDone after its
        last workout, and warnings whenever they arise."""

    async def aclose(self) -> None:
        """Release resources (HTTP clients, child processes); nothing by default."""
        return None
