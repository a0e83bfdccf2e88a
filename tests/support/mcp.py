"""MCP clients of the SDK's own making, for tests: over streamable HTTP to a live server,
and over stdio to a `coach mcp` subprocess on the same database."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from tests.support.live import LiveServer


@asynccontextmanager
async def http_client(live: LiveServer, key: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with httpx2.AsyncClient(headers=headers, timeout=120) as http:
        transport = streamable_http_client(f"{live.base_url}/mcp", http_client=http)
        async with Client(transport, read_timeout_seconds=120) as client:
            yield client


def stdio_parameters(live: LiveServer, key: str) -> StdioServerParameters:
    """`coach mcp` with the live server's settings (database, credential key, providers)."""
    settings = live.settings
    env = {
        "COACH_DATABASE_URL": settings.database_url,
        "COACH_MCP_KEY": key,
        "COACH_SHAPE_BASE_URL": settings.shape_base_url,
        "COACH_TERRA_BASE_URL": settings.terra_base_url,
        "COACH_PUSH_POLL_S": str(settings.push_poll_s),
        "COACH_LOG_LEVEL": "warning",
    }
    if settings.secret_key is not None:
        env["COACH_SECRET_KEY"] = settings.secret_key.get_secret_value()
    elif "COACH_SECRET_KEY" in os.environ:
        env["COACH_SECRET_KEY"] = os.environ["COACH_SECRET_KEY"]
    return StdioServerParameters(command=sys.executable, args=["-m", "coach.cli", "mcp"], env=env)


@asynccontextmanager
async def stdio_client(live: LiveServer, key: str) -> AsyncIterator[Client]:
    async with Client(stdio_parameters(live, key), read_timeout_seconds=120) as client:
        yield client


@asynccontextmanager
async def mcp_client(transport: str, live: LiveServer, key: str) -> AsyncIterator[Client]:
    if transport == "stdio":
        async with stdio_client(live, key) as client:
            yield client
    else:
        async with http_client(live, key) as client:
            yield client


@dataclass
class ProgressLog:
    """The progress notifications one call received."""

    seen: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))


async def call(client: Client, name: str, progress: ProgressLog | None = None, **args: Any) -> Any:
    """The structured result of a tool call that must succeed."""
    result = await client.call_tool(name, args, progress_callback=progress)
    assert not result.is_error, (name, text(result))
    return result.structured_content


async def refused(client: Client, name: str, **args: Any) -> dict[str, Any]:
    """The HTTP-shaped error body of a tool call that must fail."""
    result = await client.call_tool(name, args)
    assert result.is_error, (name, result.structured_content)
    body: dict[str, Any] = json.loads(text(result))
    return body


def text(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)
