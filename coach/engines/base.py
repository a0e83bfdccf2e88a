"""The interface every plan engine implements, and the domain events it yields.

An engine yields events; the HTTP layer either streams them (SSE) or drains them into one
response, so the synchronous and streaming endpoints share a single code path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from coach.plans.models import WeekInfo, Workout
from coach.plans.requests import GenerationRequest, PlanRequest
from coach.principles import ResolvedPrinciple


@dataclass(frozen=True)
class GenerationContext:
    """Everything an engine may use: the request, the resolved principle, the org's library."""

    request: GenerationRequest
    principle: ResolvedPrinciple
    library: list[Workout] = field(default_factory=list)


@dataclass(frozen=True)
class DraftProgress:
    status: str
    message: str
    progress: int
    type: Literal["draft_progress"] = "draft_progress"


@dataclass(frozen=True)
class DraftText:
    """A piece of the draft text, in order; the draft is the concatenation of all pieces."""

    text: str
    type: Literal["draft_text"] = "draft_text"


@dataclass(frozen=True)
class WorkoutReady:
    workout: Workout
    type: Literal["workout"] = "workout"


@dataclass(frozen=True)
class WeekDone:
    week: int
    info: WeekInfo
    type: Literal["week_done"] = "week_done"


@dataclass(frozen=True)
class PlanWarning:
    """A draft line the engine could not read, or a day it could not fill."""

    message: str
    type: Literal["warning"] = "warning"


@dataclass(frozen=True)
class PlanTotal:
    """How many workouts the plan will have, sent before the first workout."""

    total: int
    type: Literal["total"] = "total"


DraftEvent = DraftProgress | DraftText
PlanEvent = WorkoutReady | WeekDone | PlanWarning | PlanTotal


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
