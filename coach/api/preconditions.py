"""Revisions as HTTP sees them: the `ETag` a resource is answered with, and the
`If-Match` a write names the revision it changes with (RFC 9110 13.1.1)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from coach.errors import BadRequest, PreconditionRequired

_ENTITY_TAG = re.compile(r'"([0-9]{1,9})"')
ETAG_PATTERN = '^"[0-9]{1,9}"$'

IF_MATCH_PARAMETER: dict[str, Any] = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": 'The ETag of the revision the change applies to, e.g. "3" (quotes '
    "included); 412 when the plan has a newer revision, 428 when it is missing.",
    "schema": {"type": "string", "pattern": ETAG_PATTERN},
}
ETAG_HEADER: dict[str, Any] = {
    "description": "The revision of the resource answered, quoted; send it as If-Match.",
    "schema": {"type": "string", "pattern": ETAG_PATTERN},
}


def etag(revision: int) -> str:
    return f'"{revision}"'


def if_match_revision(request: Request) -> int:
    """The revision the request's `If-Match` names: 428 when there is none, 400 when it
    is not one revision's ETag (`*`, weak and several tags are refused: a write names the
    revision it was made on)."""
    raw = request.headers.get("if-match", "").strip()
    if not raw:
        raise PreconditionRequired(
            "send If-Match with the ETag of the revision you edit (GET the plan for it)",
            [{"field": "If-Match", "message": "required"}],
        )
    match = _ENTITY_TAG.fullmatch(raw)
    if match is None:
        raise BadRequest.field("If-Match", 'must be the ETag of one revision, e.g. "3"')
    return int(match.group(1))
