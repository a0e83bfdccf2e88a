"""The synchronous plan generation endpoints and reading a stored plan back."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from coach.accounts import COACH_AGENT_FEATURE
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import load_plan
from coach.api.plan_view import PlanView, plan_response, plan_view
from coach.api.responses import model_response
from coach.errors import GenerationFailed
from coach.generation.context import build_context
from coach.generation.runs import PlanRun, Run
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
    body = await drained(await services.runner.start_draft(call.caller, ctx), "draft")
    return Response(body, media_type="application/json")


async def generate_plan(call: Call[PlanRequest, None]) -> Response:
    services = call.services
    ctx = await build_context(services, call.caller, call.body)
    run = await services.runner.start_plan(call.caller, ctx)
    await drained(run, "plan")
    return model_response(run.response())


async def read_plan(call: Call[None, None]) -> Response:
    row = await load_plan(call.request, call.caller)
    live = call.services.runner.active.get(uuid.UUID(row.id))
    view = plan_view(
        row,
        principles_dir=call.services.settings.principles_dir,
        live=live if isinstance(live, PlanRun) else None,
    )
    return plan_response(view)


_GENERATION_ERRORS = (400, 401, 403, 404, 413, 429, 500)

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
        "A plan: its workouts (so far, while generating), status, revision (the ETag) and "
        "coaching report",
        "coach",
        response=PlanView,
        etag=True,
    ),
]
