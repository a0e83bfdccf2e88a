"""`coach mcp`: the MCP server over stdio, as one member (the key the process is given).

The process runs the service itself (engine, database, runner, push worker), as
`coach serve` does, and speaks MCP on stdin/stdout; logs go to stderr. The key is looked
up again for every message, so revoking it stops the server's next answer.
"""

from __future__ import annotations

from mcp.server.stdio import stdio_server

from coach.accounts import Caller, caller_for_key
from coach.app import running_services
from coach.errors import Unauthorized
from coach.mcp.server import Context, build_server
from coach.services import Services
from coach.settings import Settings

KEY_ENV = "COACH_MCP_KEY"


async def serve_stdio(settings: Settings, key: str) -> None:
    """Serve MCP on stdin/stdout as the member behind `key` until stdin closes."""
    async with running_services(settings) as services:

        async def caller() -> Caller:
            found = await services.db.run(lambda s: caller_for_key(s, key))
            if found is None:
                raise Unauthorized("invalid API key")
            return found

        async def identify(_: Context) -> tuple[Services, Caller]:
            return services, await caller()

        server = build_server(identify)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
        services.shutdown.set()
