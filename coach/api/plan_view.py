"""A plan as the editor reads it: its content (so far, while generating), its status and
its revision, with the revision as the answer's `ETag`."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field
from starlette.responses import Response

from coach.api.responses import model_response
from coach.db.tables import PlanRow
from coach.generation.runs import PlanRun
from coach.plans.models import WeekInfo, Workout
from coach.plans.requests import PlanResponse


class PlanView(PlanResponse):
    status: Literal["generating", "complete", "failed"]
    revision: int = Field(
        description="0 while generating, 1 once generated, one more per saved edit; "
        "the ETag is this number, quoted."
    )
    error: str | None = Field(default=None, description="Why the plan failed.")
    created_at: dt.datetime
    finished_at: dt.datetime | None


def plan_view(row: PlanRow, live: PlanRun | None = None) -> PlanView:
    """The stored plan; while this process generates it, what was generated so far."""
    content: list[Workout] = [Workout.model_validate(w) for w in row.content]
    weekly_info = {k: WeekInfo.model_validate(v) for k, v in row.weekly_info.items()}
    warnings = list(row.warnings)
    if row.status == "generating" and live is not None:
        plan = live.translator.plan
        content, warnings = list(plan.workouts), list(plan.warnings)
        weekly_info = {str(k): v for k, v in sorted(plan.weekly_info.items())}
    request = dict(row.request)
    request["generated_at"] = row.finished_at or row.created_at
    return PlanView.model_validate(
        {
            "plan_id": row.id,
            "content": content,
            "weekly_info": weekly_info,
            "training_principle": row.training_principle,
            "request": request,
            "warnings": warnings,
            "status": row.status,
            "revision": row.revision,
            "error": row.error,
            "created_at": row.created_at,
            "finished_at": row.finished_at,
        }
    )


def etag(revision: int) -> str:
    return f'"{revision}"'


def plan_response(view: PlanView, status: int = 200) -> Response:
    response = model_response(view, status=status)
    response.headers["ETag"] = etag(view.revision)
    return response
