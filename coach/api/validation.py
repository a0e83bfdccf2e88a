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


async def read_json(request: Request, *, max_bytes: int) -> Any:
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
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(
            "request body is not valid JSON", [{"field": "body", "message": str(exc)}]
        ) from exc


async def read_body(request: Request, model: type[M]) -> M:
    data = await read_json(request, max_bytes=request.app.state.services.settings.max_body_bytes)
    if not isinstance(data, dict):
        raise BadRequest(
            "request body must be a JSON object",
            [{"field": "body", "message": "a JSON object is required"}],
        )
    try:
        return model.model_validate(data)
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


def path_int(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit():
        raise BadRequest.field(name, "must be a positive integer")
    value = int(raw)
    if value < 1 or value > MAX_ID:
        raise NotFound(f"no such {name.removesuffix('_id')}: {raw}")
    return value


def path_uuid(request: Request, name: str) -> uuid.UUID:
    raw = request.path_params[name]
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise BadRequest.field(name, "must be a UUID") from exc
