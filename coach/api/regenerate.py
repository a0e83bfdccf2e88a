"""Regenerating one week of a stored plan: `POST /v1/coach/plans/{plan_id}/weeks/{week}/regenerate`.

The week is written again by the service's engine from its draft lines (the plan's, or
the edited ones the body carries), with the weeks around it as context, and streamed as
the plan stream is (the same events). At the end the plan is saved as its next revision
with only that week replaced, by compare-and-set on the revision `If-Match` named: an
edit saved meanwhile makes the stream end with `error`, `done` and nothing saved. Like
the other POST streams, the generation stops when its client goes away.
"""

from __future__ import annotations

import functools
import uuid

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from coach.accounts import COACH_AGENT_FEATURE
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import load_plan
from coach.api.preconditions import if_match_revision
from coach.api.sse import numbered_sse
from coach.api.streams import PLAN_STREAM_EVENTS, attached, new_run_stream
from coach.api.validation import path_int
from coach.errors import BadRequest
from coach.generation.context import build_context
from coach.plans.edits import PlanContent
from coach.plans.requests import PlanRequest
from coach.plans.revisions import check_editable
from coach.plans.week_lines import with_week_lines
from coach.plans.week_plan import WeekPlan


class RegenerateWeek(BaseModel):
    """The body is optional: without `lines`, the week is written from the plan's draft."""

    model_config = ConfigDict(extra="forbid")

    lines: str | None = Field(
        default=None,
        max_length=20000,
        description="The week's draft lines as edited (docs/draft-format.md), one workout a "
        "line; they replace the week's lines of the plan's draft. Empty: a week of rest.",
    )


async def regenerate_week(call: Call[RegenerateWeek, None]) -> Response:
    services, caller = call.services, call.caller
    row = await load_plan(call.request, caller)
    expected = if_match_revision(call.request)
    week = path_int(call.request, "week")
    check_editable(row, expected)
    request = PlanRequest.model_validate(row.request)
    if not 1 <= week <= request.weeks:
        raise BadRequest.field("week", f"the plan has weeks 1 to {request.weeks}")
    if call.body.lines is not None:
        draft = with_week_lines(
            request.refined_draft,
            week,
            call.body.lines,
            sport=request.sport,
            first_weekday=request.start_date.weekday() if request.start_date else 0,
            weeks=request.weeks,
            max_line_chars=services.settings.draft_max_line_chars,
        )
        request = request.model_copy(update={"refined_draft": draft})
    ctx = await build_context(services, caller, request)
    plan = WeekPlan(
        plan_id=uuid.UUID(row.id),
        week=week,
        revision=row.revision,
        member_id=caller.member_id,
        content=PlanContent.of(row),
    )
    run, lease = await new_run_stream(
        call, functools.partial(services.runner.start_week, caller, ctx, plan)
    )
    return numbered_sse(call, attached(run, services.shutdown), lease)


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v1/coach/plans/{plan_id}/weeks/{week}/regenerate",
        regenerate_week,
        "Write one week of a plan again (If-Match), streamed; saved as the next revision",
        "coach",
        body=RegenerateWeek,
        body_required=False,
        errors=(400, 401, 403, 404, 413, 429),
        if_match=True,
        feature=COACH_AGENT_FEATURE,
        stream_events=PLAN_STREAM_EVENTS,
    ),
]
