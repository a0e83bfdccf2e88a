"""The MCP server through the SDK's own client, over stdio (`coach mcp`) and streamable
HTTP (`/mcp` of a live server): the tools an assistant plans, checks, previews and pushes
with, scoped to the key's organization and role, with the HTTP API's error messages."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from tests.support.live import LiveServer
from tests.support.mcp import (
    ProgressLog,
    call,
    http_client,
    mcp_client,
    refused,
    stdio_client,
    stdio_parameters,
)
from tests.support.push import (
    ALL_DATES,
    athlete_with,
    connection_body,
    emulators,
    service,
)
from tests.support.tenants import Tenant, make_tenant

TOOLS = {
    "list_plans",
    "propose_edit",
    "apply_proposal",
    "list_principles",
    "get_training_principle",
    "generate_draft",
    "generate_plan",
    "get_plan",
    "lint_plan",
    "preview_push",
    "push_plan",
    "get_push_job",
}
WRITE_TOOLS = {"generate_draft", "generate_plan", "propose_edit", "apply_proposal", "push_plan"}
NO_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def pushing(database_url: str) -> Iterator[tuple[LiveServer, Any]]:
    """A live server whose push worker reaches the Shape and Terra emulators."""
    with emulators() as emu, service(database_url, emu) as live:
        yield live, emu


def _fields(**more: Any) -> dict[str, Any]:
    return {"weeks": 3, "experience_level": "intermediate", "start_date": "2026-12-07", **more}


async def _season(client: Any) -> tuple[dict[str, Any], dict[str, Any], ProgressLog, ProgressLog]:
    draft_progress, plan_progress = ProgressLog(), ProgressLog()
    draft = await call(client, "generate_draft", draft_progress, **_fields())
    plan = await call(
        client, "generate_plan", plan_progress, **_fields(refined_draft=draft["draft"])
    )
    return draft, plan, draft_progress, plan_progress


@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_draft_plan_preview_push_through_mcp(
    pushing: tuple[LiveServer, Any], transport: str
) -> None:
    live, emu = pushing
    tenant = make_tenant(live.db)
    with live.client(tenant.coach_key) as http:
        user_id, _ = athlete_with(http, connection_body("shape"))
    async with mcp_client(transport, live, tenant.coach_key) as client:
        listed = await client.list_tools()
        assert {t.name for t in listed.tools} >= TOOLS
        assert all(t.input_schema["type"] == "object" and t.output_schema for t in listed.tools)

        draft, plan, draft_progress, plan_progress = await _season(client)
        assert "Week 1" in draft["draft"] or "week 1" in draft["draft"].lower()
        assert draft_progress.seen, "no progress while the draft was written"
        workouts = plan["workouts"]
        assert workouts > 0 and plan["status"] == "complete" and plan["revision"] == 1
        per_workout = [m for _, _, m in plan_progress.seen if m and m.startswith("workout ")]
        assert len(per_workout) == workouts
        values = [p for p, _, _ in plan_progress.seen]
        assert values == sorted(values) and len(set(values)) == len(values)

        resource = await client.read_resource(plan["resource_uri"])
        kinds = {c.mime_type: c for c in resource.contents}
        assert json.loads(kinds["application/json"].text)["plan_id"] == plan["plan_id"]
        assert kinds["text/plain"].text == draft["draft"]

        report = await call(client, "lint_plan", plan_id=plan["plan_id"])
        assert report["weeks"] == 3 and isinstance(report["violations"], list)

        listed_plans = await call(client, "list_plans")
        assert [p["plan_id"] for p in listed_plans["items"]] == [plan["plan_id"]]
        first = (await call(client, "get_plan", plan_id=plan["plan_id"]))["content"][0]
        change = {"op": "update", "week": first["week"], "day": first["day"]}
        proposal = await call(
            client,
            "propose_edit",
            plan_id=plan["plan_id"],
            changes=[{**change, "fields": {"title": "Easy run by the river"}}],
        )
        [changed] = proposal["diff"]
        assert (
            changed["fields"] == ["title"] and changed["after"]["title"] == "Easy run by the river"
        )
        assert proposal["revision"] == 1 and "violations" in proposal["report"]
        unsaved = await call(client, "get_plan", plan_id=plan["plan_id"])
        assert unsaved["revision"] == 1 and unsaved["content"][0]["title"] == first["title"]
        applied = await call(
            client, "apply_proposal", proposal_id=proposal["proposal_id"], revision=1
        )
        assert applied["revision"] == 2
        edited = await call(client, "get_plan", plan_id=plan["plan_id"])
        assert edited["revision"] == 2 and edited["content"][0]["title"] == "Easy run by the river"

        preview = await call(client, "preview_push", plan_id=plan["plan_id"], provider="shape")
        assert len(preview["workouts"]) == workouts

        unconfirmed = await refused(client, "push_plan", plan_id=plan["plan_id"], user_id=user_id)
        assert unconfirmed["details"][0]["field"] == "confirm"
        assert not [a for a in emu.shape.activities.values() if a.get("plan") == plan["plan_id"]]

        accepted = await call(
            client, "push_plan", plan_id=plan["plan_id"], user_id=user_id, confirm=True
        )

        async def settled() -> dict[str, Any]:
            while True:
                job = await call(client, "get_push_job", job_id=accepted["job_id"])
                if job["status"] != "running":
                    return dict(job)
                await anyio.sleep(0.05)

        with anyio.fail_after(90):
            job = await settled()
    assert job["status"] == "complete" and job["pushed"] == workouts, job
    # Nothing a tool answered carries a credential: the member's key, the provider's token.
    answered = json.dumps([draft, plan, report, proposal, edited, preview, accepted, job])
    assert tenant.coach_key not in answered and "shape_test_token" not in answered
    with live.client(tenant.coach_key) as http:
        rows = http.get("/v2/plannedWorkouts", params={"user_id": user_id, **ALL_DATES}).json()
    pushed = rows["planned_workouts"]
    assert len(pushed) == workouts and all(r["provider_name"] == "shape" for r in pushed)
    assert {r["provider_workout_id"] for r in pushed} <= set(emu.shape.activities)


@pytest.mark.anyio
async def test_a_proposal_made_on_a_stale_revision_is_not_applied(
    server: LiveServer, tenant: Tenant
) -> None:
    async with http_client(server, tenant.coach_key) as client:
        _, plan, _, _ = await _season(client)
        plan_id = plan["plan_id"]
        first = (await call(client, "get_plan", plan_id=plan_id))["content"][0]
        slot = {"week": first["week"], "day": first["day"]}

        async def proposed(title: str) -> dict[str, Any]:
            changes = [{"op": "update", **slot, "fields": {"title": title}}]
            return dict(await call(client, "propose_edit", plan_id=plan_id, changes=changes))

        mine, theirs = await proposed("Mine"), await proposed("Theirs")
        await call(client, "apply_proposal", proposal_id=mine["proposal_id"], revision=1)
        stale = await refused(
            client, "apply_proposal", proposal_id=theirs["proposal_id"], revision=1
        )
        wrong = await refused(
            client, "apply_proposal", proposal_id=theirs["proposal_id"], revision=2
        )
        again = await refused(
            client,
            "propose_edit",
            plan_id=plan_id,
            revision=1,
            changes=[{"op": "delete", **slot}],
        )
        kept = await call(client, "get_plan", plan_id=plan_id)
    with server.client(tenant.coach_key) as http:
        over_http = http.patch(
            f"/v1/coach/plans/{plan_id}/workouts/{slot['week']}/{slot['day']}",
            json={"title": "Over HTTP"},
            headers={"If-Match": '"1"'},
        )
    assert over_http.status_code == 412
    assert stale == again == over_http.json()
    assert stale["error"].startswith(f"plan {plan_id} is at revision 2, not 1")
    assert wrong["details"][0]["field"] == "revision"
    assert kept["revision"] == 2 and kept["content"][0]["title"] == "Mine"


@pytest.mark.anyio
async def test_generate_plan_writes_the_draft_when_given_none(
    server: LiveServer, tenant: Tenant
) -> None:
    progress = ProgressLog()
    async with http_client(server, tenant.coach_key) as client:
        plan = await call(client, "generate_plan", progress, **_fields(sport="cycling"))
        resource = await client.read_resource(plan["resource_uri"])
    messages = [m or "" for _, _, m in progress.seen]
    assert any(m.startswith("draft: ") for m in messages)
    assert sum(m.startswith("workout ") for m in messages) == plan["workouts"] > 0
    draft = next(getattr(c, "text", "") for c in resource.contents if c.mime_type == "text/plain")
    assert "cycling" in draft


def test_coach_mcp_refuses_a_wrong_key_at_start(server: LiveServer) -> None:
    parameters = stdio_parameters(server, "ck_not-a-key")
    done = subprocess.run(
        [parameters.command, *parameters.args],
        env={**os.environ, **(parameters.env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith("coach: invalid API key")
    assert done.stdout == ""


def _http_error(live: LiveServer, key: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
    with live.client(key) as http:
        response = http.request(method, path, **kw)
    assert response.status_code >= 400, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_an_athlete_key_reads_principles_and_cannot_write(
    server: LiveServer, tenant: Tenant, transport: str
) -> None:
    body = {**_fields(), "organization_id": tenant.organization_id}
    over_http = _http_error(
        server, tenant.athlete_key, "POST", "/v1/coach/generate-draft", json=body
    )
    async with mcp_client(transport, server, tenant.athlete_key) as client:
        principles = await call(client, "list_principles")
        assert any(p["default"] for p in principles["principles"])
        errors = {
            name: await refused(client, name, **_fields())
            for name in ("generate_draft", "generate_plan")
        }
        errors["push_plan"] = await refused(
            client, "push_plan", plan_id=NO_ID, user_id=NO_ID, confirm=True
        )
        errors["propose_edit"] = await refused(
            client,
            "propose_edit",
            plan_id=NO_ID,
            changes=[{"op": "delete", "week": 1, "day": 1}],
        )
        errors["apply_proposal"] = await refused(
            client, "apply_proposal", proposal_id=NO_ID, revision=1
        )
        with pytest.raises(Exception, match="the key's role is athlete"):
            await client.read_resource(f"coach://plans/{NO_ID}")
    assert set(errors) == WRITE_TOOLS
    assert all(error == over_http for error in errors.values()), errors
    assert "role is athlete" in over_http["error"]


@pytest.mark.anyio
async def test_another_organizations_plan_is_not_found(
    server: LiveServer, tenant: Tenant, other_tenant: Tenant
) -> None:
    async with http_client(server, other_tenant.coach_key) as theirs:
        _, plan, _, _ = await _season(theirs)
    plan_id = plan["plan_id"]
    over_http = _http_error(server, tenant.coach_key, "GET", f"/v1/coach/plans/{plan_id}")
    async with http_client(server, tenant.coach_key) as ours:
        errors = [
            await refused(ours, "get_plan", plan_id=plan_id),
            await refused(ours, "lint_plan", plan_id=plan_id),
            await refused(ours, "preview_push", plan_id=plan_id, provider="shape"),
        ]
        with pytest.raises(Exception, match=f"plan {plan_id} not found"):
            await ours.read_resource(f"coach://plans/{plan_id}")
        elsewhere = await refused(
            ours, "generate_draft", **_fields(organization_id=other_tenant.organization_id)
        )
    assert over_http["error"] == f"plan {plan_id} not found"
    assert all(error == over_http for error in errors)
    assert elsewhere["error"] == f"organization {other_tenant.organization_id} not found"


@pytest.mark.anyio
async def test_bad_arguments_are_refused_as_the_http_api_refuses_them(
    server: LiveServer, tenant: Tenant
) -> None:
    fields = _fields(weeks=0, experience_level="pro", start_date="2026-12-07T10:00:00")
    body = {**fields, "organization_id": tenant.organization_id}
    over_http = _http_error(server, tenant.coach_key, "POST", "/v1/coach/generate-draft", json=body)
    async with http_client(server, tenant.coach_key) as client:
        error = await refused(client, "generate_draft", **fields)
        unknown = await refused(client, "generate_draft", **_fields(colour="red"))
    assert error == over_http
    assert [d["field"] for d in error["details"]] == ["weeks", "experience_level", "start_date"]
    assert unknown["details"][0]["field"] == "colour"


def test_mcp_over_http_needs_a_valid_key(server: LiveServer) -> None:
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    for key in (None, "ck_not-a-key"):
        with server.client(key) as http:
            response = http.post("/mcp", json=message, headers=headers)
        assert response.status_code == 401, response.text
        assert "API key" in response.json()["error"]


@pytest.mark.anyio
async def test_a_revoked_key_is_refused_from_the_next_call(server: LiveServer) -> None:
    tenant = make_tenant(server.db)
    async with stdio_client(server, tenant.coach_key) as client:
        await call(client, "list_principles")
        with server.client(tenant.admin_key) as http:
            keys = http.get("/v1/keys").json()["keys"]
            coach = next(k for k in keys if k["role"] == "coach")
            assert http.delete(f"/v1/keys/{coach['key_id']}").status_code == 200
        error = await refused(client, "list_principles")
    assert error == {"error": "invalid API key", "details": []}


@pytest.mark.anyio
async def test_the_season_prompt_takes_the_generation_fields(
    server: LiveServer, tenant: Tenant
) -> None:
    async with http_client(server, tenant.coach_key) as client:
        prompts = await client.list_prompts()
        [season] = prompts.prompts
        arguments = {a.name: a.required for a in season.arguments or []}
        prompt = await client.get_prompt(
            season.name, {"weeks": "16", "experience_level": "advanced", "sport": "cycling"}
        )
        resources = await client.list_resources()
        templates = await client.list_resource_templates()
        principles = await client.read_resource("coach://principles")
    assert season.title == "Plan a season"
    assert arguments["weeks"] and arguments["experience_level"] and not arguments["sport"]
    assert "organization_id" not in arguments
    text = getattr(prompt.messages[0].content, "text", "")
    assert '"weeks": 16' in text and "generate_draft" in text and "confirm: true" in text
    assert {r.uri for r in resources.resources} == {"coach://principles", "coach://templates"}
    assert {t.uri_template for t in templates.resource_templates} == {
        "coach://plans/{plan_id}",
        "coach://principles/{name}",
        "coach://templates/{workout_id}",
    }
    assert json.loads(getattr(principles.contents[0], "text", ""))["principles"]
