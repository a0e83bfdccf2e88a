"""`If-Match` on plan writes: the revision a client edits, as the plan's `ETag` gave it."""

from __future__ import annotations

from starlette.requests import Request

from coach.errors import BadRequest, PreconditionRequired


def if_match_revision(request: Request, *, required: bool = True) -> int | None:
    """The revision named by `If-Match` (`"3"`, `W/"3"` or `3`); 428 when a required one is
    missing, 400 when it names no revision."""
    header = request.headers.get("if-match")
    if header is None or not header.strip():
        if required:
            raise PreconditionRequired(
                "this write needs If-Match with the plan's ETag (its revision)",
                [{"field": "If-Match", "message": "missing"}],
            )
        return None
    text = header.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise BadRequest.field("If-Match", f"not a plan revision: {header[:40]!r}")
    return int(text)
