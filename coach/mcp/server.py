"""The MCP server over the service: tools, resources and the "plan a season" prompt.

Each call is checked in the order the HTTP routes check a request (coach.api.routing):
the key (401), the role (403), the arguments (400, the HTTP API's own messages), the
organization they name (404 unless the key's), the organization's feature (403); then the
tool runs. A refusal or failure is a tool error whose text is the HTTP error body,
`{"error", "details"}`. The transport says who is calling (`Identify`): over HTTP the
request's Bearer key, over stdio the key the process was started with.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ValidationError

from coach import __version__
from coach.accounts import Caller
from coach.api.endpoint import Access
from coach.api.generation import plan_view_for
from coach.api.principles import builtin_principles
from coach.api.security import require_access, require_feature, require_own_organization
from coach.api.validation import bad_request_from
from coach.api.workouts import workout_for, workout_list
from coach.errors import BadRequest, CoachError, NotFound
from coach.mcp.models import DraftArguments
from coach.mcp.tools import TOOLS, Invocation, Tool, plan_uri
from coach.principles import load_builtin
from coach.services import Services

log = logging.getLogger("coach.mcp")

Context = ServerRequestContext[Any, Any]
# Who calls, for one message: the services and the key's member (CoachError: 401).
Identify = Callable[[Context], Awaitable[tuple[Services, Caller]]]

_BY_NAME = {tool.name: tool for tool in TOOLS}
# Tools whose answer links the whole plan as a resource.
_LINKS_PLAN = frozenset({"generate_plan", "get_plan", "apply_proposal"})
INSTRUCTIONS = (
    "Coach Agent plans endurance training. Write a draft (generate_draft), let the coach "
    "edit it, plan it (generate_plan), check it (lint_plan), preview it for the athlete's "
    "provider (preview_push) and push it only once the coach says so (push_plan with "
    "confirm: true)."
)


def error_body(exc: CoachError) -> str:
    """The HTTP error body of `exc`, as the text of a tool error."""
    return json.dumps({"error": exc.message, "details": exc.details})


def _arguments(model: type[BaseModel], arguments: dict[str, Any]) -> BaseModel:
    """The arguments as `model`, read as an HTTP body is: JSON's own types, strictly."""
    try:
        return model.model_validate_json(json.dumps(arguments), strict=True)
    except ValidationError as exc:
        raise bad_request_from(exc) from exc


def _listed(tool: Tool[Any, Any]) -> types.Tool:
    return types.Tool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=tool.arguments.model_json_schema(),
        output_schema=tool.result.model_json_schema(mode="serialization"),
        annotations=types.ToolAnnotations(
            title=tool.title,
            read_only_hint=tool.read_only,
            destructive_hint=False,
            open_world_hint=tool.name == "push_plan",
        ),
    )


def _result(tool: Tool[Any, Any], result: BaseModel) -> types.CallToolResult:
    content: list[types.ContentBlock] = [types.TextContent(text=result.model_dump_json())]
    plan_id = getattr(result, "plan_id", None)
    if isinstance(plan_id, uuid.UUID) and tool.name in _LINKS_PLAN:
        content.append(
            types.ResourceLink(
                uri=plan_uri(plan_id),
                name=f"plan {plan_id}",
                mime_type="application/json",
                description="The whole plan (JSON) and its draft (text).",
            )
        )
    return types.CallToolResult(content=content, structured_content=result.model_dump(mode="json"))


def _error(exc: CoachError) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=error_body(exc))], is_error=True)


async def _checked(
    identify: Identify, ctx: Context, access: Access, feature: str | None = None
) -> tuple[Services, Caller]:
    services, caller = await identify(ctx)
    require_access(caller, access)
    if feature is not None:
        require_feature(caller, feature)
    return services, caller


def _resource_error(exc: CoachError, uri: str) -> MCPError:
    return MCPError(
        code=types.INVALID_PARAMS,
        message=exc.message,
        data={"uri": uri, "status": exc.status, "details": exc.details},
    )


_PLAN = re.compile(r"coach://plans/([^/]+)")
_PRINCIPLE = re.compile(r"coach://principles/([^/]+)")
_TEMPLATE = re.compile(r"coach://templates/([^/]+)")


def _json(uri: str, model: BaseModel) -> types.TextResourceContents:
    return types.TextResourceContents(
        uri=uri, text=model.model_dump_json(), mime_type="application/json"
    )


def build_server(identify: Identify) -> Server[Any]:
    """The MCP server; `identify` tells who sends each message."""

    async def list_tools(ctx: Context, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_listed(tool) for tool in TOOLS])

    async def call_tool(ctx: Context, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = _BY_NAME.get(params.name)
        if tool is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"unknown tool: {params.name}")
        try:
            services, caller = await identify(ctx)
            require_access(caller, tool.access)
            args = _arguments(tool.arguments, params.arguments or {})
            named = getattr(args, "organization_id", None)
            if named is not None:
                require_own_organization(caller, named)
            if tool.feature is not None:
                require_feature(caller, tool.feature)

            async def progress(done: float, total: float | None, message: str | None) -> None:
                await ctx.session.report_progress(done, total, message)

            result = await tool.run(Invocation(services, caller, progress), args)
        except CoachError as exc:
            if exc.status >= 500:
                log.error("tool %s failed: %s", tool.name, exc.message)
            return _error(exc)
        except Exception:
            log.exception("tool %s failed unexpectedly", tool.name)
            return _error(CoachError("internal error; the service log has the details"))
        return _result(tool, result)

    async def list_resources(ctx: Context, params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri="coach://principles",
                    name="principles",
                    title="Built-in training principles",
                    mime_type="application/json",
                ),
                types.Resource(
                    uri="coach://templates",
                    name="templates",
                    title="The organization's workout templates",
                    mime_type="application/json",
                ),
            ]
        )

    async def list_templates(ctx: Context, params: Any) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template="coach://plans/{plan_id}",
                    name="plan",
                    title="A plan: its JSON (as get_plan) and its draft text",
                ),
                types.ResourceTemplate(
                    uri_template="coach://principles/{name}",
                    name="principle",
                    title="A built-in principle's text",
                    mime_type="text/markdown",
                ),
                types.ResourceTemplate(
                    uri_template="coach://templates/{workout_id}",
                    name="template",
                    title="One workout template of the organization's library",
                    mime_type="application/json",
                ),
            ]
        )

    async def read_resource(
        ctx: Context, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        try:
            contents = await _read(ctx, uri)
        except CoachError as exc:
            raise _resource_error(exc, uri) from exc
        return types.ReadResourceResult(
            contents=list[types.TextResourceContents | types.BlobResourceContents](contents)
        )

    async def _read(ctx: Context, uri: str) -> list[types.TextResourceContents]:
        if uri == "coach://principles":
            services, _ = await _checked(identify, ctx, Access.MEMBER)
            return [_json(uri, builtin_principles(services.settings.principles_dir))]
        if match := _PRINCIPLE.fullmatch(uri):
            services, _ = await _checked(identify, ctx, Access.MEMBER)
            principle = load_builtin(services.settings.principles_dir).get(match[1])
            if principle is None:
                raise NotFound(f"principle {match[1]} not found")
            return [
                types.TextResourceContents(uri=uri, text=principle.text, mime_type="text/markdown")
            ]
        if uri == "coach://templates":
            services, caller = await _checked(identify, ctx, Access.STAFF)
            return [_json(uri, await workout_list(services, caller))]
        if match := _TEMPLATE.fullmatch(uri):
            services, caller = await _checked(identify, ctx, Access.STAFF)
            if not match[1].isdigit():
                raise BadRequest.field("workout_id", "must be a positive integer")
            return [_json(uri, await workout_for(services, caller, int(match[1])))]
        if match := _PLAN.fullmatch(uri):
            services, caller = await _checked(identify, ctx, Access.STAFF)
            try:
                plan_id = uuid.UUID(match[1])
            except ValueError as exc:
                raise BadRequest.field("plan_id", "must be a UUID") from exc
            view = await plan_view_for(services, caller, plan_id)
            draft = view.request.model_dump().get("refined_draft") or ""
            return [
                _json(uri, view),
                types.TextResourceContents(uri=uri, text=str(draft), mime_type="text/plain"),
            ]
        raise NotFound(f"no resource {uri}")

    async def list_prompts(ctx: Context, params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[_SEASON])

    async def get_prompt(
        ctx: Context, params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        if params.name != _SEASON.name:
            raise MCPError(code=types.INVALID_PARAMS, message=f"unknown prompt: {params.name}")
        try:
            fields = season_fields(params.arguments or {})
        except CoachError as exc:
            raise MCPError(code=types.INVALID_PARAMS, message=exc.message) from exc
        return types.GetPromptResult(
            description=_SEASON.description,
            messages=[
                types.PromptMessage(
                    role="user", content=types.TextContent(text=season_text(fields))
                )
            ],
        )

    return Server(
        "coach-agent",
        version=__version__,
        title="Coach Agent",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=lambda name: (
            _BY_NAME[name].arguments.model_json_schema() if name in _BY_NAME else None
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


# ---------------------------------------------------------------- the prompt

_PROMPT_FIELDS = [name for name in DraftArguments.model_fields if name != "organization_id"]
_SEASON = types.Prompt(
    name="plan_a_season",
    title="Plan a season",
    description="Plan a season with the coach: draft, edit, plan, check, preview, push.",
    arguments=[
        types.PromptArgument(
            name=name,
            description=(field.description or "")
            + (" (a JSON object)" if name == "athlete" else ""),
            required=field.is_required(),
        )
        for name, field in DraftArguments.model_fields.items()
        if name in _PROMPT_FIELDS
    ],
)


def season_fields(arguments: dict[str, str]) -> dict[str, Any]:
    """The prompt's arguments (text, as prompts take them) as generation fields; a 400
    naming the field when they are not."""
    values: dict[str, Any] = {k: v for k, v in arguments.items() if v not in ("", None)}
    if "athlete" in values:
        try:
            values["athlete"] = json.loads(values["athlete"])
        except json.JSONDecodeError as exc:
            raise BadRequest.field("athlete", "must be a JSON object") from exc
    try:
        fields = DraftArguments.model_validate(values)
    except ValidationError as exc:
        raise bad_request_from(exc) from exc
    return fields.model_dump(mode="json", exclude_none=True, exclude={"organization_id"})


def season_text(fields: dict[str, Any]) -> str:
    return (
        "Plan a training season with me, step by step, using the Coach Agent tools.\n\n"
        f"The plan: {json.dumps(fields)}\n\n"
        "1. Call generate_draft with these fields and show me the draft.\n"
        "2. Apply the changes I ask for to the draft text, then call generate_plan with "
        "the same fields and refined_draft set to the draft I approved.\n"
        "3. Call lint_plan on the plan and tell me which coaching rules it breaks.\n"
        "4. When I name the athlete's provider, call preview_push and tell me what it "
        "changes.\n"
        "5. Call push_plan with confirm: true only after I say to push it."
    )
