"""Bad input answers 400, 404 or 413 with the error body, never 500, and changes nothing."""

from __future__ import annotations

import pytest

from tests.support.live import LiveServer
from tests.support.tenants import Tenant


def _org_principle(tenant: Tenant) -> str:
    return f"/v1/organizations/{tenant.organization_id}/training-principle"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"training_principle": 42}, "training_principle"),
        ({"training_principle": ["a"]}, "training_principle"),
        ({"training_principle": "x" * 20001}, "training_principle"),
        ({"principle": "pyramidal"}, "principle"),
        ({}, "training_principle"),
    ],
)
def test_wrong_fields_name_the_field(
    server: LiveServer, tenant: Tenant, body: dict, field: str
) -> None:  # type: ignore[type-arg]
    with server.client(tenant.admin_key) as http:
        response = http.put(_org_principle(tenant), json=body)
    assert response.status_code == 400, response.text
    details = response.json()["details"]
    assert field in [d["field"] for d in details]
    assert all(d["message"] for d in details)


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe", b"null"])
def test_non_object_bodies_are_400(server: LiveServer, tenant: Tenant, raw: bytes) -> None:
    with server.client(tenant.admin_key) as http:
        response = http.put(
            _org_principle(tenant), content=raw, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["field"] == "body"


def test_huge_body_is_413_and_stores_nothing(server: LiveServer, tenant: Tenant) -> None:
    huge = b'{"training_principle": "' + b"x" * 2_000_000 + b'"}'
    with server.client(tenant.admin_key) as http:
        response = http.put(
            _org_principle(tenant), content=huge, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert "bytes" in response.json()["error"]
    with server.client(tenant.coach_key) as http:
        resolved = http.get(
            "/v1/coach/training-principle", params={"organization_id": tenant.organization_id}
        ).json()
    assert resolved["source"] == "default"


def test_chunked_huge_body_is_413(server: LiveServer, tenant: Tenant) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"training_principle": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    with server.client(tenant.admin_key) as http:
        response = http.put(
            _org_principle(tenant), content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413


def test_failed_update_keeps_stored_value(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.admin_key) as http:
        assert (
            http.put(_org_principle(tenant), json={"training_principle": "daniels"}).status_code
            == 200
        )
        assert http.put(_org_principle(tenant), json={"training_principle": 7}).status_code == 400
    with server.client(tenant.coach_key) as http:
        resolved = http.get(
            "/v1/coach/training-principle", params={"organization_id": tenant.organization_id}
        ).json()
    assert resolved["name"] == "daniels"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/organizations/abc/training-principle", 400),
        ("/v1/organizations/-1/training-principle", 400),
        ("/v1/organizations/0/training-principle", 404),
        ("/v1/organizations/99999999999999999999999/training-principle", 404),
        ("/v1/organizations/1.5/training-principle", 400),
    ],
)
def test_bad_ids_in_paths(server: LiveServer, tenant: Tenant, path: str, status: int) -> None:
    with server.client(tenant.admin_key) as http:
        response = http.put(path, json={"training_principle": "pyramidal"})
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "details"}


@pytest.mark.parametrize("value", ["abc", "-3", "0", "1e3", "99999999999999999999999"])
def test_bad_query_values_are_400(server: LiveServer, tenant: Tenant, value: str) -> None:
    with server.client(tenant.coach_key) as http:
        response = http.get("/v1/coach/training-principle", params={"organization_id": value})
    assert response.status_code in (400, 404), response.text
    if response.status_code == 400:
        assert response.json()["details"][0]["field"] == "organization_id"


def test_unknown_query_parameter_is_400(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        response = http.get("/v1/coach/training-principle", params={"org": 1})
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "org"


def test_unknown_path_and_method_are_json(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        missing = http.get("/v1/nothing-here")
        wrong_method = http.delete("/v1/principles")
    assert missing.status_code == 404 and set(missing.json()) == {"error", "details"}
    assert wrong_method.status_code == 405 and set(wrong_method.json()) == {"error", "details"}
