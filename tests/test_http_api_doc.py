"""docs/http-api.md keeps in step with the operations the service serves.

Every (METHOD, path) of the live `/openapi.json` must be written in the document as
`` `METHOD /path` `` (path parameters named as in the code), and every operation written
that way must exist. A new endpoint fails this test until it is documented.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.live import LiveServer

DOC = Path(__file__).resolve().parent.parent / "docs" / "http-api.md"

# `GET /v1/coach/plans/{plan_id}`: a method and a path inside one code span. A query
# written after the path (`?user_id=`) is not part of the operation.
_OPERATION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/[^`\s?]*)[^`]*`")


def _documented() -> set[tuple[str, str]]:
    return {(m.group(1), m.group(2)) for m in _OPERATION.finditer(DOC.read_text("utf-8"))}


def _served(server: LiveServer) -> set[tuple[str, str]]:
    with server.client() as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200, response.text
    return {
        (method.upper(), path)
        for path, operations in response.json()["paths"].items()
        for method in operations
    }


def test_every_operation_is_documented_and_every_documented_one_exists(
    server: LiveServer,
) -> None:
    served, documented = _served(server), _documented()
    assert served, "/openapi.json lists no operations"
    undocumented = sorted(served - documented)
    assert not undocumented, (
        "operations missing from docs/http-api.md (write each as `METHOD /path`): "
        + ", ".join(f"{m} {p}" for m, p in undocumented)
    )
    unknown = sorted(documented - served)
    assert not unknown, "docs/http-api.md names operations the service does not have: " + ", ".join(
        f"{m} {p}" for m, p in unknown
    )
