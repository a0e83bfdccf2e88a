"""The synchronous plan generation endpoints and reading a stored plan back."""

from __future__ import annotations

from starlette.responses import Response

from coach.accounts import COACH_AGENT_FEATURE
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import load_plan
from coach.api.responses import model_response
from coach.db.tables import PlanRow
from coach.errors import GenerationFailed, NotFound
from coach.generation.context import build_context
from coach.generation.runs import Run
from coach.plans.models import WeekInfo, Workout
from coach.plans.requests import DraftResponse, GenerationRequest, PlanRequest, PlanResponse

# Stored as the plan's error when a synchronous request stops waiting for its plan.
INTERRUPTED_REQUEST = "generation was interrupted"


async def drained(run: Run, what: str) -> str:
    """Wait for the run's stream to end; the data of its `result` event.

    The synchronous endpoints answer with what the stream endpoints send: they follow the
    same channel to its end. A failure is the stream's `error` event, as a 500.
    """
    result = ""
    try:
        async for _, event in run.channel.follow(0):
            if event.event == "result":
                result = event.data
    finally:
        run.cancel(INTERRUPTED_REQUEST)  # no-op once the run has ended
    if run.error is not None:
        raise GenerationFailed(f"{what} generation failed: {run.error}")
    return result


async def generate_draft(call: Call[GenerationRequest, None]) -> Response:
    services = call.services
    ctx = await build_context(services, call.caller, call.body)
    body = await drained(services.runner.start_draft(ctx), "draft")
    return Response(body, media_type="application/json")


async def generate_plan(call: Call[PlanRequest, None]) -> Response:
    services = call.services
    ctx = await build_context(services, call.caller, call.body)
    # A draft with nothing to plan is the request's fault: 400, and no plan row.
    await services.engine.check_plan_request(ctx)
    run = await services.runner.start_plan(call.caller, ctx)
    await drained(run, "plan")
    return model_response(run.response())


def stored_response(row: PlanRow) -> PlanResponse:
    request = dict(row.request)
    request["generated_at"] = (row.finished_at or row.created_at).isoformat()
    return PlanResponse.model_validate(
        {
            "plan_id": row.id,
            "content": [Workout.model_validate(w) for w in row.content],
            "weekly_info": {k: WeekInfo.model_validate(v) for k, v in row.weekly_info.items()},
            "training_principle": row.training_principle,
            "request": request,
            "warnings": row.warnings,
        }
    )


async def read_plan(call: Call[None, None]) -> Response:
    row = await load_plan(call.request, call.caller)
    if row.status == "generating":
        raise NotFound(f"plan {row.id} is still being generated; follow its /stream")
    if row.status == "failed":
        raise NotFound(f"plan {row.id} failed: {row.error}")
    return model_response(stored_response(row))


_GENERATION_ERRORS = (400, 401, 403, 404, 413, 500)

ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v1/coach/generate-draft",
        generate_draft,
        "Write a human-readable multi-week plan draft",
        "coach",
        body=GenerationRequest,
        response=DraftResponse,
        errors=_GENERATION_ERRORS,
        organization="body",
        feature=COACH_AGENT_FEATURE,
    ),
    Endpoint(
        "POST",
        "/v1/coach/generate-plan",
        generate_plan,
        "Turn a coach-approved draft into structured workouts, one per training day",
        "coach",
        body=PlanRequest,
        response=PlanResponse,
        errors=_GENERATION_ERRORS,
        organization="body",
        feature=COACH_AGENT_FEATURE,
    ),
    Endpoint(
        "GET",
        "/v1/coach/plans/{plan_id}",
        read_plan,
        "A stored plan",
        "coach",
        response=PlanResponse,
    ),
]
