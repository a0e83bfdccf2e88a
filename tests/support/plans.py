"""Request bodies for the generation endpoints, and a draft-then-plan round trip."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2

from coach.db.database import Database
from coach.plans.store import start_plan
from tests.support.tenants import Tenant


def body(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return {
        "weeks": 4,
        "experience_level": "intermediate",
        "organization_id": tenant.organization_id,
        **fields,
    }


def draft_then_plan(
    http: httpx2.Client, tenant: Tenant, **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    draft = http.post("/v1/coach/generate-draft", json=body(tenant, **fields))
    assert draft.status_code == 200, draft.text
    plan = http.post(
        "/v1/coach/generate-plan", json=body(tenant, refined_draft=draft.json()["draft"], **fields)
    )
    assert plan.status_code == 200, plan.text
    return draft.json(), plan.json()


def generating_plan(db: Database, http: httpx2.Client, tenant: Tenant) -> uuid.UUID:
    """A plan another process is generating (as far as this server knows): stored with
    status `generating` by the caller of `http`, revision 0, no workouts yet."""
    member_id = http.get("/v1/me").json()["member_id"]
    plan_id = uuid.uuid4()
    db.call(
        lambda s: start_plan(
            s,
            plan_id=plan_id,
            organization_id=tenant.organization_id,
            member_id=member_id,
            engine="builtin",
            request=body(tenant, weeks=2),
            training_principle="pyramidal",
            runner_id="another-process",
        )
    )
    return plan_id
