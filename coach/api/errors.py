"""Every failure becomes `{"error", "details"}` JSON; no traceback ever reaches a client."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coach.api.responses import error_response
from coach.errors import CoachError
from coach.logs import request_id_var

log = logging.getLogger("coach.errors")


async def coach_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CoachError)
    if exc.status >= 500:
        log.error("request failed: %s", exc.message)
    return error_response(exc.status, exc.message, exc.details, headers=exc.headers or None)


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, str(exc.detail), headers=headers)


class UnexpectedErrorMiddleware:
    """Turns an unhandled exception into a 500 error body that quotes the request id.

    It sits inside the request-id middleware (Starlette's own last-resort handler sits
    outside all middleware, where the request id is already gone).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            request_id = request_id_var.get()
            log.exception("unexpected error")
            if started:
                raise
            response = error_response(
                500, f"internal error; quote request id {request_id} when reporting it"
            )
            await response(scope, receive, send)


HANDLERS = {CoachError: coach_error, HTTPException: http_error}
