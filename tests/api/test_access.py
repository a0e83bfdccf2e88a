"""Every operation of /openapi.json keeps the access it declares.

An operation that declares security answers 401 without a key (whatever its query and
body), and one that declares none answers without a key. Access is enforced where the
routes are built, so a handler cannot forget it; this walks the document to prove it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.live import LiveServer
from tests.support.tenants import Tenant

# A value of the right shape for each path parameter: ids that exist nowhere.
_PATH_VALUES = {
    "plan_id": str(uuid.uuid4()),
    "user_id": str(uuid.uuid4()),
    "job_id": str(uuid.uuid4()),
    "feed_token": "no-such-feed",
    "provider_workout_id": "no-such-workout",
}


def _url(path: str) -> str:
    for name, value in _PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    # Every other path parameter is an integer id.
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "987654" + path[end + 1 :]
    return path


def _operations(server: LiveServer) -> list[tuple[str, str, dict[str, Any]]]:
    with server.client() as http:
        schema = http.get("/openapi.json").json()
    return [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    ]


def test_every_secured_operation_answers_401_without_a_key(server: LiveServer) -> None:
    secured = [(m, p) for m, p, op in _operations(server) if op.get("security")]
    assert len(secured) >= 35, "the document lost its secured operations"
    with server.client() as http:
        for method, path in secured:
            # A body that is valid JSON but not a valid request: a 400 here would mean
            # validation ran before authentication.
            response = http.request(method, _url(path), json={})
            assert response.status_code == 401, (method, path, response.text)
            assert "API key" in response.json()["error"]


def test_every_secured_operation_refuses_an_unknown_key(server: LiveServer) -> None:
    with server.client("ck_not-a-key") as http:
        for method, path, op in _operations(server):
            if op.get("security"):
                response = http.request(method, _url(path), json={})
                assert response.status_code == 401, (method, path, response.text)


def test_every_public_operation_answers_without_a_key(server: LiveServer) -> None:
    public = [(m, p, op) for m, p, op in _operations(server) if not op.get("security")]
    assert {p for _, p, _ in public} >= {
        "/healthz",
        "/openapi.json",
        "/v1/feeds/{feed_token}.ics",
    }
    with server.client() as http:
        for method, path, op in public:
            response = http.request(method, _url(path))
            assert response.status_code != 401, (method, path, response.text)
            # Whatever it answers is one of the answers it documents.
            assert str(response.status_code) in op["responses"], (method, path, response.text)


@pytest.mark.parametrize("role", ["athlete"])
def test_staff_operations_refuse_an_athlete_key(
    server: LiveServer, tenant: Tenant, role: str
) -> None:
    """The role check also comes before validation: an athlete learns nothing of the body."""
    staff = [(m, p) for m, p, op in _operations(server) if op.get("x-access") in ("staff", "admin")]
    assert staff
    with server.client(tenant.athlete_key) as http:
        for method, path in staff:
            response = http.request(method, _url(path), json={})
            assert response.status_code == 403, (method, path, response.text)


def test_member_operations_take_an_athlete_key(server: LiveServer, tenant: Tenant) -> None:
    member = [(m, p) for m, p, op in _operations(server) if op.get("x-access") == "member"]
    assert ("GET", "/v1/me") in member
    with server.client(tenant.athlete_key) as http:
        for method, path in member:
            assert http.request(method, _url(path)).status_code == 200, (method, path)


def test_v2_operations_take_terra_headers(server: LiveServer, tenant: Tenant) -> None:
    with server.client(**{"dev-id": tenant.dev_id, "x-api-key": tenant.coach_key}) as http:
        assert http.get("/v2/workouts").status_code == 200
        # The Terra pair is for /v2 only.
        assert http.get("/v1/me").status_code == 401
    with server.client(**{"dev-id": "not-the-org", "x-api-key": tenant.coach_key}) as http:
        assert http.get("/v2/workouts").status_code == 401
