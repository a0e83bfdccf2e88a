"""Who may call what: 401 for missing or bad keys, 403 for roles and features, 404 for
organizations that are not the caller's, whether they exist or not."""

from __future__ import annotations

from tests.support.live import LiveServer
from tests.support.tenants import Tenant, make_tenant

PRINCIPLE = "/v1/coach/training-principle"


def _assert_error(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "details"}
    assert isinstance(body["error"], str) and body["error"]
    return body


def test_missing_key_is_401(server: LiveServer, tenant: Tenant) -> None:
    with server.client() as http:
        body = _assert_error(
            http.get(PRINCIPLE, params={"organization_id": tenant.organization_id}), 401
        )
    assert "Bearer" in body["error"]


def test_unknown_key_is_401(server: LiveServer, tenant: Tenant) -> None:
    with server.client("ck_not-a-real-key") as http:
        _assert_error(http.get(PRINCIPLE, params={"organization_id": tenant.organization_id}), 401)


def test_malformed_authorization_header_is_401(server: LiveServer, tenant: Tenant) -> None:
    for header in (tenant.coach_key, f"Basic {tenant.coach_key}", "Token abc", "Bearer"):
        with server.client(Authorization=header) as http:
            _assert_error(http.get("/v1/me"), 401)


def test_valid_coach_key_reads_its_own_organization(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        response = http.get(PRINCIPLE, params={"organization_id": tenant.organization_id})
    assert response.status_code == 200
    assert response.json()["organization_id"] == tenant.organization_id


def test_athlete_role_is_403(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.athlete_key) as http:
        body = _assert_error(
            http.get(PRINCIPLE, params={"organization_id": tenant.organization_id}), 403
        )
    assert "athlete" in body["error"]


def test_organization_without_coach_agent_is_403(server: LiveServer) -> None:
    plain = make_tenant(server.db, features=())
    with server.client(plain.coach_key) as http:
        body = _assert_error(
            http.get(PRINCIPLE, params={"organization_id": plain.organization_id}), 403
        )
    assert "coach_agent" in body["error"]


def test_other_organizations_id_is_404_and_leaks_nothing(
    server: LiveServer, tenant: Tenant, other_tenant: Tenant
) -> None:
    secret = "Secret principle of the other club: hill repeats every day"
    with server.client(other_tenant.admin_key) as http:
        assert (
            http.put(
                f"/v1/organizations/{other_tenant.organization_id}/training-principle",
                json={"training_principle": secret},
            ).status_code
            == 200
        )
    with server.client(tenant.coach_key) as http:
        response = http.get(PRINCIPLE, params={"organization_id": other_tenant.organization_id})
        # The same answer as an organization that does not exist: ids cannot be probed.
        body = _assert_error(response, 404)
        assert secret not in response.text
        unknown = http.get(PRINCIPLE, params={"organization_id": 987654321})
        assert unknown.json()["error"].replace("987654321", "N") == body["error"].replace(
            str(other_tenant.organization_id), "N"
        )
        # Nor may its admin endpoint be used across tenants, whatever the role.
    with server.client(tenant.admin_key) as http:
        _assert_error(
            http.put(
                f"/v1/organizations/{other_tenant.organization_id}/training-principle",
                json={"training_principle": "mine now"},
            ),
            404,
        )
    with server.client(other_tenant.coach_key) as http:
        assert (
            http.get(PRINCIPLE, params={"organization_id": other_tenant.organization_id}).json()[
                "training_principle"
            ]
            == secret
        )
    assert body["details"] == []


def test_unknown_organization_is_404(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        _assert_error(http.get(PRINCIPLE, params={"organization_id": 987654321}), 404)
    with server.client(tenant.admin_key) as http:
        _assert_error(
            http.put(
                "/v1/organizations/987654321/training-principle",
                json={"training_principle": "pyramidal"},
            ),
            404,
        )


def test_coach_cannot_set_the_organizations_principle(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        body = _assert_error(
            http.put(
                f"/v1/organizations/{tenant.organization_id}/training-principle",
                json={"training_principle": "pyramidal"},
            ),
            403,
        )
    assert "admin" in body["error"]


def test_athlete_cannot_set_personal_principle(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.athlete_key) as http:
        _assert_error(http.put("/v1/me/settings", json={"training_principle": "pyramidal"}), 403)


def test_request_id_is_echoed(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        mine = http.get("/v1/me", headers={"X-Request-ID": "trace-123"})
        generated = http.get("/v1/me")
    assert mine.headers["x-request-id"] == "trace-123"
    assert len(generated.headers["x-request-id"]) >= 8
