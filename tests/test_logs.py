"""The service's log: one line per request, which no request can forge."""

from __future__ import annotations

from pathlib import Path

import httpx2

from tests.support.processes import coach_serve


def test_a_newline_in_a_path_cannot_forge_a_log_line(database_url: str, tmp_path: Path) -> None:
    with coach_serve(database_url, tmp_path) as served:
        forged = "/v1/x%0a2026-11-30 00:00:00,000 INFO [admin] coach.access: GET /v1/keys -> 200"
        response = httpx2.get(served.base_url + forged, timeout=10)
        assert response.status_code == 404
        httpx2.get(served.base_url + "/healthz", timeout=10)
        log = served.log()
    lines = log.splitlines()
    assert not any(line.startswith("2026-11-30 00:00:00,000") for line in lines)
    [request_line] = [line for line in lines if "/v1/x" in line]
    assert "\\n2026-11-30 00:00:00,000 INFO [admin]" in request_line
    assert any("GET /healthz -> 200" in line for line in lines)
