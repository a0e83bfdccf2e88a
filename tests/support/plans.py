"""Request bodies for the generation endpoints, and a draft-then-plan round trip."""

from __future__ import annotations

from typing import Any

import httpx2

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
