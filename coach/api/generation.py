"""The synchronous plan generation endpoints and reading a stored plan back."""

from __future__ import annotations

import logging

from starlette.responses import Response

from coach.accounts import COACH_AGENT_FEATURE
from coach.api.endpoint import Call, Endpoint
from coach.api.lookups import load_plan
from coach.api.responses import model_response
from coach.db.tables import PlanRow
from coach.engines.base import DraftText, EngineError
from coach.errors import GenerationFailed, NotFound
from coach.generation import (
    PlanAccumulator,
    build_context,
    echo,
    record_failure,
    record_finish,
    record_start,
)
from coach.plans.models import WeekInfo, Workout
from coach.plans.requests import DraftResponse, GenerationRequest, PlanRequest, PlanResponse

log = logging.getLogger("coach.generation")


async def generate_draft(call: Call[GenerationRequest, None]) -> Response:
    body = call.body
    services = call.services
    ctx = await build_context(services, call.caller, body)
    pieces: list[str] = []
    try:
        async for event in services.engine.draft(ctx):
            if isinstance(event, DraftText):
                pieces.append(event.text)
    except EngineError as exc:
        raise GenerationFailed(f"draft generation failed: {exc}") from exc
    return model_response(
        DraftResponse(
            draft="".join(pieces), training_principle=ctx.principle.text, request=echo(body)
        )
    )


async def generate_plan(call: Call[PlanRequest, None]) -> Response:
    caller, body = call.caller, call.body
    services = call.services
    ctx = await build_context(services, caller, body)
    plan_id = await record_start(services, caller, body, ctx)
    plan = PlanAccumulator()
    try:
        async for event in services.engine.plan(ctx):
            plan.apply(event)
    except EngineError as exc:
        await record_failure(services, plan_id, str(exc))
        raise GenerationFailed(f"plan generation failed: {exc}") from exc
    except BaseException:
        await record_failure(services, plan_id, "generation was interrupted")
        raise
    await record_finish(services, plan_id, plan)
    return model_response(
        plan.response(plan_id=plan_id, principle_text=ctx.principle.text, request=body)
    )


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

ENDPOINTS = [
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
