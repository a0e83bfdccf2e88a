"""The synchronous plan generation endpoints and reading a stored plan back."""

from __future__ import annotations

import logging
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from coach.accounts import Caller
from coach.api.endpoint import Endpoint
from coach.api.responses import model_response
from coach.api.security import (
    authenticate,
    authenticate_staff,
    owned,
    require_coach_agent,
    require_own_organization,
    require_staff,
)
from coach.api.validation import path_uuid, read_body
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
from coach.plans.store import get_plan
from coach.services import services_of

log = logging.getLogger("coach.generation")


R = TypeVar("R", bound=GenerationRequest)


async def authorized_request(request: Request, model: type[R]) -> tuple[Caller, R]:
    """401, then 403 for the role, then 400 for the body, then 404/403 for the organization."""
    caller = await authenticate(request)
    require_staff(caller)
    body = await read_body(request, model)
    await require_own_organization(request, caller, body.organization_id)
    require_coach_agent(caller)
    return caller, body


async def generate_draft(request: Request) -> Response:
    caller, body = await authorized_request(request, GenerationRequest)
    services = services_of(request)
    ctx = await build_context(services, caller, body)
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


async def generate_plan(request: Request) -> Response:
    caller, body = await authorized_request(request, PlanRequest)
    services = services_of(request)
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


async def load_plan_for(request: Request, caller: Caller) -> PlanRow:
    plan_id = path_uuid(request, "plan_id")
    row = await services_of(request).db.run(lambda s: get_plan(s, plan_id))
    return owned(row, caller, f"plan {plan_id}")


async def read_plan(request: Request) -> Response:
    caller = await authenticate_staff(request)
    row = await load_plan_for(request, caller)
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
