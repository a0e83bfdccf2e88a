"""Reading request bodies, queries and path ids into pydantic models, with 400s naming fields."""

from __future__ import annotations

import json
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from coach.errors import BadRequest, NotFound, PayloadTooLarge
from coach.field_errors import error_details
from coach.types import MAX_ID

M = TypeVar("M", bound=BaseModel)


def bad_request_from(exc: ValidationError) -> BadRequest:
    details = error_details(exc)
    fields = ", ".join(dict.fromkeys(d["field"] for d in details))
    return BadRequest(f"invalid request: {fields}", details)


async def read_json(request: Request, *, max_bytes: int) -> bytes:
    """The request body, refused when larger than `max_bytes` or not a JSON object."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    if not body.strip():
        raise BadRequest(
            "request body is empty; send a JSON object",
            [{"field": "body", "message": "a JSON object is required"}],
        )
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(
            "request body is not valid JSON", [{"field": "body", "message": str(exc)}]
        ) from exc
    if not isinstance(data, dict):
        raise BadRequest(
            "request body must be a JSON object",
            [{"field": "body", "message": "a JSON object is required"}],
        )
    return bytes(body)


async def read_body(request: Request, model: type[M]) -> M:
    """The body as `model`, with JSON's own types: `"2"` is not 2, and a date is a
    `YYYY-MM-DD` string, not a date-time (pydantic's strict mode on JSON input)."""
    raw = await read_json(request, max_bytes=request.app.state.services.settings.max_body_bytes)
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise bad_request_from(exc) from exc


def read_query(request: Request, model: type[M]) -> M:
    params: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        params[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise bad_request_from(exc) from exc


# What each path parameter is, in one place: OpenAPI documents it from here, and the
# path_* readers below refuse what does not fit. Every other parameter is an integer id.
UUID_PARAMETERS = frozenset({"plan_id", "user_id", "job_id", "draft_id"})
TEXT_PARAMETERS = {"feed_token": 64, "provider_workout_id": 200}
# Integers with a smaller range than an id: a plan's weeks and a week's days.
INT_MAXIMUMS = {"week": 52, "day": 7}


def path_schema(name: str) -> dict[str, Any]:
    """The JSON schema of the path parameter `name`."""
    if name in UUID_PARAMETERS:
        return {"type": "string", "format": "uuid"}
    if name in TEXT_PARAMETERS:
        return {"type": "string", "minLength": 1, "maxLength": TEXT_PARAMETERS[name]}
    return {"type": "integer", "minimum": 1, "maximum": INT_MAXIMUMS.get(name, MAX_ID)}


def path_text(request: Request, name: str) -> str:
    """A text path parameter: bounded, and printable (a control character, such as the
    NUL PostgreSQL refuses in a string, is a 400 here rather than a database error)."""
    raw: str = request.path_params[name]
    if len(raw) > TEXT_PARAMETERS[name] or not raw.isprintable():
        raise BadRequest.field(
            name, f"must be at most {TEXT_PARAMETERS[name]} printable characters"
        )
    return raw


def path_int(request: Request, name: str) -> int:
    raw = request.path_params[name]
    # isdigit() alone takes "²" and other non-ASCII digits, which int() then refuses.
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest.field(name, "must be a positive integer")
    value = int(raw)
    if value < 1 or value > INT_MAXIMUMS.get(name, MAX_ID):
        raise NotFound(f"no such {name.removesuffix('_id')}: {raw}")
    return value


def path_uuid(request: Request, name: str) -> uuid.UUID:
    raw = request.path_params[name]
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise BadRequest.field(name, "must be a UUID") from exc


# An event id is a position in one stream: far more digits than any stream has events
# would only feed int() a number it refuses (over 4,300 digits) or a query it cannot use.
_MAX_EVENT_ID_DIGITS = 9


def last_event_id(request: Request) -> int:
    """The `Last-Event-ID` a resuming client sends; 0 when it sends none."""
    raw = request.headers.get("last-event-id", "").strip()
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_EVENT_ID_DIGITS:
        raise BadRequest.field("Last-Event-ID", "must be the id of an event of this stream")
    return int(raw)
