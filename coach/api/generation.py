"""The synchronous plan generation endpoints and reading a stored plan back."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from starlette.responses import Response

from coach.accounts import COACH_AGENT_FEATURE, Caller
from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import plan_for
from coach.api.plan_view import PlanView, plan_response, plan_view
from coach.api.responses import model_response
from coach.api.validation import path_uuid
from coach.errors import GenerationFailed
from coach.generation.context import build_context
from coach.generation.runs import PlanRun, Run
from coach.plans.requests import DraftResponse, GenerationRequest, PlanRequest, PlanResponse
from coach.services import Services
from coach.streaming.events import StreamEvent

# Called with each event of a run's stream while it is drained.
EventHook = Callable[[StreamEvent], Awaitable[None]]

# Stored as the plan's error when a synchronous request stops waiting for its plan.
INTERRUPTED_REQUEST = "generation was interrupted"


async def drained(run: Run, what: str, on_event: EventHook | None = None) -> str:
    """Wait for the run's stream to end; the data of its `result` event.

    The synchronous endpoints answer with what the stream endpoints send: they follow the
    same channel to its end (`on_event` sees each event on the way, for progress). A
    failure is the stream's `error` event, as a 500.
    """
    result = ""
    try:
        async for _, event in run.channel.follow(0):
            if on_event is not None:
                await on_event(event)
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


async def plan_view_for(services: Services, caller: Caller, plan_id: uuid.UUID) -> PlanView:
    """The caller's organization's plan as the editor reads it (so far, while this
    process generates it); 404 otherwise."""
    row = await plan_for(services, caller, plan_id)
    live = services.runner.active.get(plan_id)
    return plan_view(
        row,
        principles_dir=services.settings.principles_dir,
        live=live if isinstance(live, PlanRun) else None,
    )


async def read_plan(call: Call[None, None]) -> Response:
    plan_id = path_uuid(call.request, "plan_id")
    return plan_response(await plan_view_for(call.services, call.caller, plan_id))


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
