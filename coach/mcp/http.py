"""MCP over streamable HTTP at `/mcp`: every request carries a member's key as the HTTP
API's requests do (`Authorization: Bearer <key>`), checked the same way on every request,
so a revoked key is refused from the next message on.

Stateless: each POST is answered on its own (progress rides its SSE answer), so any
process of a deployment can answer any message and nothing is kept between them.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from coach.accounts import Caller
from coach.api.responses import error_response
from coach.api.security import authenticate
from coach.errors import CoachError, Unauthorized
from coach.mcp.server import Context, build_server
from coach.services import Services, services_of
from coach.settings import Settings

PATH = "/mcp"
# Where the authenticated caller waits in the request's scope for the tools.
_CALLER = "coach.mcp.caller"


class _KeyRequired:
    """Refuses a request without a valid key before the MCP transport reads it (401 with
    the HTTP API's error body); otherwise notes the caller for the tools."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            scope[_CALLER] = await authenticate(request, terra_headers=False)
        except CoachError as exc:
            response = error_response(
                exc.status, exc.message, exc.details, headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _identify(ctx: Context) -> tuple[Services, Caller]:
    request = ctx.request
    if not isinstance(request, Request) or not isinstance(request.scope.get(_CALLER), Caller):
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    caller: Caller = request.scope[_CALLER]
    return services_of(request), caller


class McpOverHttp:
    """The `/mcp` route of the app and the MCP session manager its lifespan runs."""

    def __init__(self, settings: Settings) -> None:
        self.manager = StreamableHTTPSessionManager(
            app=build_server(_identify),
            stateless=True,
            # The key is the protection: a page cannot send it, so no Host/Origin check.
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            max_request_body_size=settings.max_body_bytes,
        )

    def running(self) -> AbstractAsyncContextManager[Any]:
        return self.manager.run()

    def route(self) -> Route:
        return Route(PATH, _KeyRequired(StreamableHTTPASGIApp(self.manager)))
