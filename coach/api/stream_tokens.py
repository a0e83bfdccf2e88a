"""`POST /v1/stream-tokens`: a short-lived token that lets a browser's EventSource (which
cannot send headers) follow one plan, draft or push-job stream with `?token=`."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session
from starlette.responses import Response

from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.responses import model_response
from coach.api.security import owned
from coach.db.tables import PushJobRow
from coach.plans.draft_store import get_draft
from coach.plans.store import get_plan
from coach.tokens import Kind


class StreamTokenRequest(BaseModel):
    """Exactly one of the ids: the stream the token will follow."""

    model_config = ConfigDict(extra="forbid")

    plan_id: uuid.UUID | None = None
    draft_id: uuid.UUID | None = None
    job_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StreamTokenRequest:
        named = [n for n in ("plan_id", "draft_id", "job_id") if getattr(self, n) is not None]
        if len(named) != 1:
            raise ValueError("name exactly one of plan_id, draft_id, job_id")
        return self

    def target(self) -> tuple[Kind, uuid.UUID]:
        if self.plan_id is not None:
            return "plan", self.plan_id
        if self.draft_id is not None:
            return "draft", self.draft_id
        assert self.job_id is not None
        return "job", self.job_id


class StreamToken(BaseModel):
    token: str = Field(description="Send it as `?token=` on the stream's GET endpoint.")
    expires_at: dt.datetime


async def create_stream_token(call: Call[StreamTokenRequest, None]) -> Response:
    kind, resource_id = call.body.target()
    caller = call.caller

    def check(session: Session) -> None:
        # The caller's own resource, else 404 (as for one that does not exist).
        if kind == "plan":
            owned(get_plan(session, resource_id), caller, f"plan {resource_id}")
        elif kind == "job":
            owned(session.get(PushJobRow, str(resource_id)), caller, f"push job {resource_id}")
        else:
            owned(get_draft(session, resource_id), caller, f"draft {resource_id}")

    await call.services.db.run(check)
    token, expires_at = call.services.stream_tokens.issue(kind, str(resource_id), caller.key_id)
    response = model_response(
        StreamToken(token=token, expires_at=dt.datetime.fromtimestamp(expires_at, dt.UTC))
    )
    response.headers["Cache-Control"] = "no-store"
    return response


ENDPOINTS: list[AnyEndpoint] = [
    Endpoint(
        "POST",
        "/v1/stream-tokens",
        create_stream_token,
        "A short-lived token to follow one stream with ?token= (for EventSource)",
        "streams",
        body=StreamTokenRequest,
        response=StreamToken,
        errors=(400, 401, 403, 404, 413),
    ),
]
