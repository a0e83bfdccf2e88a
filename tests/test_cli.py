"""The `coach` command line: demo data, organizations, and keys that the service accepts,
lists, and refuses once revoked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from coach.accounts import hash_key
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


def _demo(server: LiveServer) -> dict[str, Any]:
    result = coach("init-demo", "--json", database_url=server.settings.database_url)
    assert result.returncode == 0, result.stderr
    demo: dict[str, Any] = json.loads(result.stdout)
    return demo


def _listed(server: LiveServer, *args: str) -> list[dict[str, Any]]:
    result = coach("key", "list", "--json", *args, database_url=server.settings.database_url)
    assert result.returncode == 0, result.stderr
    keys: list[dict[str, Any]] = json.loads(result.stdout)["keys"]
    return keys


def _works(server: LiveServer, key: str) -> bool:
    with server.client(key) as http:
        status = http.get("/v1/me").status_code
    assert status in (200, 401)
    return status == 200


def test_key_list_shows_keys_but_never_a_secret(server: LiveServer) -> None:
    demo = _demo(server)
    org = str(demo["organization_id"])
    text = coach("key", "list", "--org", org, database_url=server.settings.database_url)
    assert text.returncode == 0, text.stderr
    keys = _listed(server, "--org", org)
    assert [(k["role"], k["organization_id"]) for k in keys] == [
        ("admin", demo["organization_id"]),
        ("coach", demo["organization_id"]),
    ]
    assert all(k["revoked_at"] is None and k["created_at"] for k in keys)
    for key in (demo["admin_key"], demo["coach_key"]):
        for output in (text.stdout, json.dumps(keys)):
            assert key not in output and key[10:] not in output and hash_key(key) not in output
        assert key[:10] in text.stdout
    # Without --org: every organization's keys, for the operator.
    assert {k["key_id"] for k in keys} < {k["key_id"] for k in _listed(server)}


def test_key_revoke_and_rotate_take_effect_at_once(server: LiveServer) -> None:
    url = server.settings.database_url
    demo = _demo(server)
    org = str(demo["organization_id"])
    admin_id, coach_id = (k["key_id"] for k in _listed(server, "--org", org))
    assert _works(server, demo["coach_key"])
    rotated = coach("key", "rotate", str(coach_id), "--json", database_url=url)
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)["created"]
    assert not _works(server, demo["coach_key"])
    assert _works(server, new["key"])
    revoked = coach("key", "revoke", str(new["key_id"]), "--json", database_url=url)
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["revoked_at"] is not None
    assert not _works(server, new["key"])
    assert [k["key_id"] for k in _listed(server, "--org", org, "--active")] == [admin_id]
    # The organization's last admin key needs --force.
    kept = coach("key", "revoke", str(admin_id), database_url=url)
    assert kept.returncode == 2 and "--force" in kept.stderr and "Traceback" not in kept.stderr
    assert _works(server, demo["admin_key"])
    forced = coach("key", "revoke", str(admin_id), "--force", database_url=url)
    assert forced.returncode == 0, forced.stderr
    assert not _works(server, demo["admin_key"])


def test_key_commands_on_a_missing_key_fail_cleanly(server: LiveServer) -> None:
    for command in ("revoke", "rotate"):
        result = coach("key", command, "2147483647", database_url=server.settings.database_url)
        assert result.returncode == 2
        assert "key 2147483647 not found" in result.stderr and "Traceback" not in result.stderr
