"""Arguments and results of the MCP tools that the HTTP API has no body for.

Everything else a tool reads or answers is the HTTP API's own model (coach.plans.requests,
coach.api.*): one model per payload, whichever door it comes through. A tool's arguments
leave `organization_id` out where the HTTP body needs it: it is the key's organization.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.api.plan_edits import CopyBody, ReorderBody, ShiftBody
from coach.api.push_jobs import PushRequest
from coach.api.workouts import PreviewQuery
from coach.plans.edits import Change, WorkoutCreate, WorkoutPatch
from coach.plans.models import WeekInfo, Workout
from coach.plans.report import CoachingReport
from coach.plans.requests import GenerationFields, GenerationRequest, PlanRequest
from coach.templates.models import CoercionWarning, WorkoutTemplate
from coach.types import DbId

_ORGANIZATION = "Optional: the key's organization, the only one allowed."


class NoArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftArguments(GenerationFields):
    """generate_draft: the generation fields of POST /v1/coach/generate-draft."""

    organization_id: DbId | None = Field(default=None, description=_ORGANIZATION)

    def request(self, organization_id: int) -> GenerationRequest:
        fields = self.model_dump(include=set(GenerationFields.model_fields))
        return GenerationRequest.model_validate({**fields, "organization_id": organization_id})


class PlanArguments(DraftArguments):
    """generate_plan: the fields of POST /v1/coach/generate-plan. Without `refined_draft`
    the draft is written first, then planned as it is."""

    refined_draft: str | None = Field(
        default=None,
        min_length=10,
        max_length=200000,
        description="The coach-approved draft (docs/draft-format.md); absent: write one first.",
    )

    def plan_request(self, organization_id: int, draft: str) -> PlanRequest:
        fields = self.model_dump(exclude={"organization_id", "refined_draft"})
        return PlanRequest.model_validate(
            {**fields, "organization_id": organization_id, "refined_draft": draft}
        )


class PlanId(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: uuid.UUID


class JobId(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: uuid.UUID


class PreviewArguments(PreviewQuery):
    """preview_push: a plan, and the provider (or device) to fit its workouts to."""

    plan_id: uuid.UUID


class PushArguments(PushRequest):
    """push_plan: the body of POST /v1/coach/plans/{plan_id}/push, the plan, and the
    coach's explicit go-ahead."""

    plan_id: uuid.UUID
    confirm: bool = Field(
        default=False,
        description="Must be true: pushing puts workouts on the athlete's calendar.",
    )


class PlanSummary(BaseModel):
    """A generated plan in a few lines; the whole plan is the resource `resource_uri`."""

    plan_id: uuid.UUID
    status: str
    revision: int
    weeks: int
    workouts: int
    total_distance_m: int
    total_duration_s: int
    start_date: dt.date | None
    weekly_info: dict[str, WeekInfo]
    warnings: list[str]
    resource_uri: str
    summary: str


class PreviewedWorkout(BaseModel):
    week: int
    day: int
    date: dt.date | None
    workout_template: WorkoutTemplate
    coercion_warnings: list[CoercionWarning]


class PlanPreview(BaseModel):
    """Every workout of a plan as the provider would take it; nothing is sent."""

    plan_id: uuid.UUID
    provider: str
    coerced: int = Field(description="How many workouts the provider changes.")
    workouts: list[PreviewedWorkout]


# ---------------------------------------------------------------- proposed edits

Week = Annotated[int, Field(ge=1, le=52)]
Day = Annotated[int, Field(ge=1, le=7)]

if TYPE_CHECKING:
    _Patch = BaseModel
    _Create = BaseModel
else:  # the edit endpoints' own bodies, made from Workout (coach.plans.edits)
    _Patch = WorkoutPatch
    _Create = WorkoutCreate


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpdateOp(_Op):
    """Change fields of the workout on week/day (a new week/day in `fields` moves it)."""

    op: Literal["update"]
    week: Week
    day: Day
    fields: _Patch


class DeleteOp(_Op):
    """Delete the workout on week/day."""

    op: Literal["delete"]
    week: Week
    day: Day


class AddOp(_Op):
    """Add a workout on a free day."""

    op: Literal["add"]
    workout: _Create


class ReorderOp(ReorderBody):
    """Move workouts of a week to other days of it."""

    op: Literal["reorder"]
    week: Week


class ShiftOp(ShiftBody):
    """Move every workout from week/day on by a number of days."""

    op: Literal["shift"]


class CopyOp(CopyBody):
    """Make `to_week` a copy of `week`."""

    op: Literal["copy"]
    week: Week


EditOp = Annotated[
    UpdateOp | DeleteOp | AddOp | ReorderOp | ShiftOp | CopyOp, Field(discriminator="op")
]


class ProposeArguments(PlanId):
    revision: int | None = Field(
        default=None,
        ge=1,
        description="The revision the changes are made on (get_plan's `revision`); "
        "absent: the current one.",
    )
    changes: list[EditOp] = Field(
        min_length=1, description="Applied in order, as the editor's endpoints apply them."
    )


class ApplyArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposal_id: uuid.UUID
    revision: int = Field(ge=1, description="The revision the proposal was made against.")


class WorkoutDiff(BaseModel):
    """One day the proposal changes."""

    week: int
    day: int
    change: Literal["added", "removed", "changed"]
    fields: list[str] = Field(description="changed: the workout fields that differ.")
    before: Workout | None
    after: Workout | None


class Proposal(BaseModel):
    """An edit shown before it is made: nothing is saved until apply_proposal."""

    proposal_id: uuid.UUID
    plan_id: uuid.UUID
    revision: int = Field(description="The revision it was made against.")
    summary: str
    changes: list[Change]
    diff: list[WorkoutDiff]
    report: CoachingReport = Field(description="The coaching report of the plan after it.")
    expires_at: dt.datetime


class AppliedProposal(BaseModel):
    plan_id: uuid.UUID
    revision: int = Field(description="The plan's new revision.")
    summary: str
    report: CoachingReport | None
    resource_uri: str
