"""`GET /openapi.json`, generated from the endpoints' pydantic models."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.responses import JSONResponse, Response

from coach import __version__
from coach.api.endpoint import Access, AnyEndpoint, Call, Endpoint
from coach.api.preconditions import ETAG_HEADER, IF_MATCH_PARAMETER
from coach.api.validation import path_schema

_ERROR_TEXT = {
    400: "Validation error; `details` names each bad field",
    401: "Missing or invalid API key",
    403: "Role, feature or organization not allowed",
    404: "Unknown organization or resource",
    408: "Provider timed out",
    409: "The resource cannot be changed now (a plan still generating or failed, a day taken)",
    412: "If-Match names a revision that is no longer the current one: read it again",
    413: "Request body too large",
    428: "If-Match is missing: send the ETag of the revision the change applies to",
    429: "The organization is at a limit; retry after Retry-After seconds",
    500: "Generation failure",
    501: "Provider cannot do this",
    502: "Provider error",
    503: "Database unreachable",
}

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "details"],
    "properties": {
        "error": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object"}},
    },
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    params = []
    for name, field in model.model_fields.items():
        schema = model.model_json_schema()["properties"][name]
        params.append(
            {
                "name": name,
                "in": "query",
                "required": field.is_required(),
                "description": field.description or "",
                "schema": schema,
            }
        )
    return params


def _events_schema(events: Mapping[str, type[BaseModel]]) -> dict[str, Any]:
    """The schema of one event of an SSE stream: one branch per event name, whose `data`
    is the JSON text of that event's model (OpenAPI applies a text/event-stream schema to
    each event, as 3.2's itemSchema does)."""
    return {
        "oneOf": [
            {
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": {"const": name},
                    "data": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": _ref(model),
                    },
                    "id": {"type": "string", "pattern": "^[0-9]+$"},
                    "retry": {"type": "integer"},
                },
            }
            for name, model in events.items()
        ]
    }


def build_schema(endpoints: list[AnyEndpoint]) -> dict[str, Any]:
    models: set[type[BaseModel]] = set()
    for e in endpoints:
        models.update(m for m in (e.body, e.response) if m is not None)
        models.update(e.stream_events.values())
    ordered = sorted(models, key=lambda m: m.__name__)
    _, definitions = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )
    schemas = definitions.get("$defs", {})
    schemas["Error"] = _ERROR_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        operation: dict[str, Any] = {
            "summary": e.summary,
            "tags": [e.tag],
            "operationId": e.handler.__name__,
            "responses": {},
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": path_schema(name)}
            for name in re.findall(r"{(\w+)}", e.path)
        ]
        if e.query is not None:
            params += _query_parameters(e.query)
        if e.if_match:
            params.append(IF_MATCH_PARAMETER)
        if params:
            operation["parameters"] = params
        if e.body is not None:
            operation["requestBody"] = {
                "required": e.body_required,
                "content": {"application/json": {"schema": _ref(e.body)}},
            }
        if e.stream_events:
            operation["responses"][str(e.status)] = {
                "description": "Server-sent events: " + ", ".join(e.stream_events),
                "content": {"text/event-stream": {"schema": _events_schema(e.stream_events)}},
            }
        else:
            content = {e.media_type: {"schema": _ref(e.response)}} if e.response else None
            ok: dict[str, Any] = {"description": "OK"}
            if content:
                ok["content"] = content
            operation["responses"][str(e.status)] = ok
            if e.etag:
                ok["headers"] = {"ETag": ETAG_HEADER}
            if e.redirects:
                operation["responses"]["302"] = {
                    **ok,
                    "description": "Found: the same body, and Location to follow",
                    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                }
        operation["x-access"] = e.access.value
        if e.authenticated:
            operation["security"] = [{"bearer": []}]
            if e.terra_headers:
                operation["security"].append({"devId": [], "apiKey": []})
        for code in sorted({*e.errors, *((409, 412, 428) if e.if_match else ())}):
            operation["responses"][str(code)] = {
                "description": _ERROR_TEXT.get(code, "Error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        paths.setdefault(e.path, {})[e.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {"title": "Coach Agent", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                # Terra-style credentials, taken by the /v2 endpoints.
                "devId": {"type": "apiKey", "in": "header", "name": "dev-id"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
    }


def openapi_endpoint(endpoints: list[AnyEndpoint]) -> AnyEndpoint:
    """The endpoint serving the schema of `endpoints` and of itself, built once."""
    schema: dict[str, Any] = {}

    async def openapi(_call: Call[None, None]) -> Response:
        return JSONResponse(schema)

    endpoint: AnyEndpoint = Endpoint(
        "GET",
        "/openapi.json",
        openapi,
        "This OpenAPI document",
        "service",
        errors=(),
        access=Access.PUBLIC,
    )
    schema.update(build_schema([*endpoints, endpoint]))
    return endpoint
