"""A plan as the editor reads it: its content (so far, while generating), its status,
its revision (the answer's `ETag`) and its coaching report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field
from starlette.responses import Response

from coach.api.preconditions import etag
from coach.api.responses import model_response
from coach.db.tables import PlanRow
from coach.generation.runs import PlanRun
from coach.plans.models import WeekInfo, Workout
from coach.plans.report import CoachingReport, coaching_report, plan_weeks, stored_principle
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
    report: CoachingReport | None = Field(
        description="The coaching rules the plan breaks, as `coach lint` checks them; "
        "null until the plan is complete."
    )


def plan_view(row: PlanRow, *, principles_dir: Path, live: PlanRun | None = None) -> PlanView:
    """The stored plan; while this process generates it, what was generated so far. The
    report checks the rules of the plan's principle (found in `principles_dir`)."""
    content: list[Workout] = [Workout.model_validate(w) for w in row.content]
    weekly_info = {k: WeekInfo.model_validate(v) for k, v in row.weekly_info.items()}
    warnings = list(row.warnings)
    if row.status == "generating" and live is not None:
        plan = live.translator.plan
        content, warnings = list(plan.workouts), list(plan.warnings)
        weekly_info = {str(k): v for k, v in sorted(plan.weekly_info.items())}
    report = None
    if row.status == "complete":
        report = coaching_report(
            content,
            request=row.request,
            principle=stored_principle(row.training_principle, principles_dir),
            weeks=plan_weeks(row.request, content),
        )
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
            "report": report,
        }
    )


def plan_response(view: PlanView, status: int = 200) -> Response:
    response = model_response(view, status=status)
    response.headers["ETag"] = etag(view.revision)
    return response
