"""Input is taken as declared: JSON's own types, ISO dates, and a length limit on every
free-text field and list of a request body, so no body can smuggle in a different type or
an unbounded string."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import LiveServer
from tests.support.plans import body
from tests.support.tenants import Tenant


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weeks": "2"}, "weeks"),
        ({"weeks": 2.0}, "weeks"),
        ({"weeks": True}, "weeks"),
        ({"organization_id": "1"}, "organization_id"),
        ({"start_date": "2026-12-07T00:00:00"}, "start_date"),
        ({"start_date": "2026-12-07T10:30:00Z"}, "start_date"),
        ({"start_date": 1796601600}, "start_date"),
        ({"start_date": "07/12/2026"}, "start_date"),
        ({"athlete": {"threshold_hr": "170"}}, "athlete.threshold_hr"),
    ],
)
def test_values_of_another_json_type_are_400(
    server: LiveServer, tenant: Tenant, fields: dict[str, Any], field: str
) -> None:
    request = body(tenant, refined_draft="W1 D1 Easy run, 40 min, 7 km", **fields)
    if field == "organization_id":
        request["organization_id"] = fields["organization_id"]
    with server.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-plan", json=request)
    assert response.status_code == 400, response.text
    assert field in [d["field"] for d in response.json()["details"]]


def test_an_iso_date_is_taken(server: LiveServer, tenant: Tenant) -> None:
    request = body(tenant, weeks=1, start_date="2026-12-07", refined_draft="W1 D1 Easy run, 40 min")
    with server.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-plan", json=request)
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["date"] == "2026-12-07"


def _unbounded(
    schema: dict[str, Any], schemas: dict[str, Any], where: str, seen: set[str]
) -> list[str]:
    """The strings without maxLength (enum, pattern or format) and the lists without
    maxItems reachable from `schema`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return _unbounded(schemas[name], schemas, name, seen)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded(sub, schemas, where, seen)
    kind = schema.get("type")
    if kind == "string" and not {"maxLength", "enum", "const", "pattern", "format"} & set(schema):
        found.append(where)
    if kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}[]")
        found += _unbounded(schema.get("items", {}), schemas, f"{where}[]", seen)
    for name, prop in schema.get("properties", {}).items():
        found += _unbounded(prop, schemas, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded(schema["additionalProperties"], schemas, f"{where}{{}}", seen)
    return found


def test_every_request_string_and_list_has_a_limit(server: LiveServer) -> None:
    with server.client() as http:
        document = http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    unbounded: list[str] = []
    bodies = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path} ?{parameter['name']}"
                unbounded += _unbounded(parameter["schema"], schemas, where, set())
            if "requestBody" in operation:
                bodies += 1
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                unbounded += _unbounded(schema, schemas, f"{method.upper()} {path}", set())
    assert bodies >= 10
    assert unbounded == []


@pytest.mark.parametrize("last_id", ["9" * 5000, "1e3", "-1", "٣".encode(), "12 34"])
def test_a_malformed_last_event_id_is_400(server: LiveServer, tenant: Tenant, last_id: str) -> None:
    request = body(tenant, weeks=1, refined_draft="W1 D1 Easy run, 40 min")
    with server.client(tenant.coach_key) as http:
        plan_id = http.post("/v1/coach/generate-plan", json=request).json()["plan_id"]
        response = http.get(f"/v1/coach/plans/{plan_id}/stream", headers={"Last-Event-ID": last_id})
        resumed = http.get(f"/v1/coach/plans/{plan_id}/stream", headers={"Last-Event-ID": "3"})
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["field"] == "Last-Event-ID"
    assert resumed.status_code == 200 and "id: 4" in resumed.text
