"""The service as a whole: health, the OpenAPI document, and unexpected errors."""

from __future__ import annotations

from pathlib import Path

import httpx2
from starlette.routing import Route

from coach.app import create_app
from coach.settings import Settings
from tests.support.live import LiveServer, serve_app


def test_healthz_reports_database(server: LiveServer) -> None:
    with server.client() as http:
        response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_openapi_describes_every_route(server: LiveServer) -> None:
    with server.client() as http:
        schema = http.get("/openapi.json").json()
    app = create_app(server.settings)
    routes = {
        (r.path, m)
        for r in app.routes
        if isinstance(r, Route)
        for m in (r.methods or ())
        if m != "HEAD"
    }
    documented = {(p, m.upper()) for p, ops in schema["paths"].items() for m in ops}
    assert routes == documented
    put = schema["paths"]["/v1/organizations/{organization_id}/training-principle"]["put"]
    body_ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.rsplit("/", 1)[1] in schema["components"]["schemas"]
    assert "400" in put["responses"] and "403" in put["responses"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            ok = [c for c in op["responses"] if c.startswith(("2", "3"))]
            assert ok, (path, method)


def test_unexpected_error_is_json_without_traceback(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app(settings)

    async def boom(_request):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail")

    app.router.routes.append(Route("/boom", boom))
    with serve_app(app) as base_url:
        response = httpx2.get(f"{base_url}/boom")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"error", "details"}
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] in body["error"]


def test_unreachable_database_is_503() -> None:
    bad = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app(bad)
    with serve_app(app) as base_url:
        response = httpx2.get(f"{base_url}/healthz", timeout=30)
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_a_wrong_method_is_405_listing_every_method_of_the_path(server: LiveServer) -> None:
    with server.client() as http:
        response = http.request("PUT", "/v2/plannedWorkouts/1")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}
    assert set(response.json()) == {"error", "details"}
