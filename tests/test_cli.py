"""The `coach` command line: demo data, organizations and keys that the service accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.live import LiveServer


def coach(
    *args: str, database_url: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COACH_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_init_demo_prints_working_keys(server: LiveServer) -> None:
    result = coach("init-demo", "--json", database_url=server.settings.database_url)
    assert result.returncode == 0, result.stderr
    demo = json.loads(result.stdout)
    assert {"organization_id", "admin_key", "coach_key"} <= set(demo)
    with server.client(demo["coach_key"]) as http:
        resolved = http.get(
            "/v1/coach/training-principle", params={"organization_id": demo["organization_id"]}
        )
    assert resolved.status_code == 200
    with server.client(demo["admin_key"]) as http:
        assert http.get("/v1/me").json()["role"] == "admin"


def test_org_and_key_create(server: LiveServer) -> None:
    url = server.settings.database_url
    org = coach(
        "org",
        "create",
        "--name",
        "Track Club",
        "--feature",
        "coach_agent",
        "--json",
        database_url=url,
    )
    assert org.returncode == 0, org.stderr
    org_id = json.loads(org.stdout)["organization_id"]
    key = coach(
        "key", "create", "--org", str(org_id), "--role", "athlete", "--json", database_url=url
    )
    assert key.returncode == 0, key.stderr
    created = json.loads(key.stdout)
    assert created["role"] == "athlete"
    with server.client(created["key"]) as http:
        me = http.get("/v1/me").json()
        forbidden = http.get("/v1/coach/training-principle", params={"organization_id": org_id})
    assert me["organization_id"] == org_id
    assert forbidden.status_code == 403


def test_key_for_missing_organization_fails_cleanly(server: LiveServer) -> None:
    result = coach(
        "key",
        "create",
        "--org",
        "999999",
        "--role",
        "coach",
        "--json",
        database_url=server.settings.database_url,
    )
    assert result.returncode == 2
    assert "999999" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_creates_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = coach("db", "upgrade", database_url=url)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.db").exists()
