"""Request and response bodies of the plan generation endpoints (docs/http-api.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.plans.models import Sport, WeekInfo, Workout
from coach.types import DbId

ExperienceLevel = Literal["beginner", "intermediate", "advanced"]
ContentSource = Literal["ai_generate", "prefer_existing", "strict_existing"]


class AthleteThresholds(BaseModel):
    """Known thresholds; with them targets are concrete (pace, bpm, W), without them zones."""

    model_config = ConfigDict(extra="forbid")

    threshold_pace_s_per_km: float | None = Field(default=None, gt=120, lt=900)
    threshold_hr: int | None = Field(default=None, gt=80, lt=230)
    max_hr: int | None = Field(default=None, gt=100, lt=240)
    ftp_w: int | None = Field(default=None, gt=30, lt=700)


class GenerationFields(BaseModel):
    """What a generation is asked for, whoever asks (HTTP bodies, MCP tool arguments)."""

    model_config = ConfigDict(extra="forbid")

    weeks: int = Field(ge=1, le=52)
    experience_level: ExperienceLevel
    instructions: str | None = Field(default=None, max_length=4000)
    training_principle: str | None = Field(default=None, max_length=20000)
    start_date: dt.date | None = Field(
        default=None, description="YYYY-MM-DD; a date-time is refused (strict JSON input)."
    )
    content_source: ContentSource = "ai_generate"
    sport: Sport = "running"
    athlete: AthleteThresholds | None = None


class GenerationRequest(GenerationFields):
    """The body shared by every generation endpoint."""

    organization_id: DbId


class PlanRequest(GenerationRequest):
    """generate-plan: the same fields plus the draft the coach approved."""

    refined_draft: str = Field(min_length=10, max_length=200000)


class EchoedRequest(BaseModel):
    """The request as the service understood it, with the time it answered."""

    model_config = ConfigDict(extra="allow")

    generated_at: dt.datetime


def echo(request: GenerationRequest) -> EchoedRequest:
    """The request as answered: its fields and the time of the answer."""
    return EchoedRequest.model_validate(
        {**request.model_dump(mode="json"), "generated_at": dt.datetime.now(dt.UTC)}
    )


class DraftResponse(BaseModel):
    draft: str
    training_principle: str
    request: EchoedRequest


class PlanResponse(BaseModel):
    plan_id: uuid.UUID
    content: list[Workout]
    weekly_info: dict[str, WeekInfo]
    training_principle: str
    request: EchoedRequest
    warnings: list[str] = Field(
        default_factory=list,
        description="Draft lines the engine could not read and days it could not fill.",
    )
