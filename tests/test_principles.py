"""Training principles: the built-in list and the resolution coach > organization > default."""

from __future__ import annotations

from tests.support.live import LiveServer
from tests.support.tenants import Tenant, make_tenant

PRINCIPLE = "/v1/coach/training-principle"


def _resolved(server: LiveServer, tenant: Tenant) -> dict:  # type: ignore[type-arg]
    with server.client(tenant.coach_key) as http:
        response = http.get(PRINCIPLE, params={"organization_id": tenant.organization_id})
    assert response.status_code == 200, response.text
    return response.json()


def test_builtin_principles_are_listed_with_rules(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.athlete_key) as http:
        principles = http.get("/v1/principles").json()["principles"]
    names = {p["name"] for p in principles}
    assert {"polarized", "pyramidal", "threshold-norwegian", "lydiard", "daniels"} <= names
    assert [p["name"] for p in principles if p["default"]] == ["polarized"]
    for principle in principles:
        assert len(principle["text"].split()) > 150, principle["name"]
        rules = principle["rules"]
        assert 0 < rules["max_weekly_increase"] <= 0.3
        assert rules["quality_days"]["beginner"] <= rules["quality_days"]["advanced"]


def test_resolution_falls_back_to_default(server: LiveServer, tenant: Tenant) -> None:
    body = _resolved(server, tenant)
    assert body["source"] == "default"
    assert body["name"] == "polarized"
    assert "80" in body["training_principle"]


def test_organization_principle_beats_default(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.admin_key) as http:
        stored = http.put(
            f"/v1/organizations/{tenant.organization_id}/training-principle",
            json={"training_principle": "Lydiard"},
        )
    assert stored.status_code == 200
    assert stored.json() == {
        "organization_id": tenant.organization_id,
        "training_principle": "lydiard",
        "name": "lydiard",
    }
    body = _resolved(server, tenant)
    assert (body["source"], body["name"]) == ("organization", "lydiard")
    assert "Lydiard" in body["training_principle"]


def test_coach_principle_beats_organization(server: LiveServer) -> None:
    tenant = make_tenant(server.db, principle="Keep every run conversational, no racing.")
    assert _resolved(server, tenant)["source"] == "organization"
    with server.client(tenant.coach_key) as http:
        saved = http.put(
            "/v1/me/settings",
            json={"training_principle": "Two threshold days a week, double sessions for advanced"},
        )
        assert saved.status_code == 200
        assert saved.json()["settings"]["training_principle"].startswith("Two threshold")
    body = _resolved(server, tenant)
    assert body["source"] == "coach"
    assert body["training_principle"].startswith("Two threshold")
    assert body["name"] is None
    # Clearing the personal setting falls back to the organization again.
    with server.client(tenant.coach_key) as http:
        assert http.put("/v1/me/settings", json={"training_principle": None}).status_code == 200
    body = _resolved(server, tenant)
    assert (body["source"], body["training_principle"]) == (
        "organization",
        "Keep every run conversational, no racing.",
    )


def test_clearing_organization_principle_returns_to_default(
    server: LiveServer, tenant: Tenant
) -> None:
    with server.client(tenant.admin_key) as http:
        http.put(
            f"/v1/organizations/{tenant.organization_id}/training-principle",
            json={"training_principle": "pyramidal"},
        )
        cleared = http.put(
            f"/v1/organizations/{tenant.organization_id}/training-principle",
            json={"training_principle": ""},
        )
    assert cleared.json()["training_principle"] is None
    assert _resolved(server, tenant)["source"] == "default"


def test_personal_settings_are_per_coach(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.admin_key) as http:
        http.put("/v1/me/settings", json={"training_principle": "daniels"})
    # The admin's setting is the admin's own; the coach still sees the default.
    assert _resolved(server, tenant)["source"] == "default"
    with server.client(tenant.admin_key) as http:
        me = http.get("/v1/me").json()
    assert me["role"] == "admin" and me["settings"]["training_principle"] == "daniels"
