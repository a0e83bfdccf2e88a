"""API keys are shown once, stored only as hashes, and an admin lists, creates, revokes and
rotates their organization's keys over `/v1/keys`; a revoked key is refused at once."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import text

from coach.accounts import hash_key
from tests.support.live import LiveServer
from tests.support.tenants import Tenant, make_tenant

# Reads the SQLite file in a process of its own: closing a descriptor of the database file
# in the server's process would drop the server's SQLite locks (POSIX advisory locks are
# per process), and later writes by other processes would no longer be seen by it.
_RAW_SQLITE = """
import sqlite3, sys
path, keys = sys.argv[1], sys.argv[2:]
connection = sqlite3.connect(path)
connection.execute("PRAGMA wal_checkpoint(FULL)")  # the write-ahead log into the file
connection.close()
raw = open(path, "rb").read()
sys.exit(1 if any(key.encode() in raw for key in keys) else 0)
"""


def test_database_holds_no_clear_key(server: LiveServer, tenant: Tenant) -> None:
    keys = [tenant.admin_key, tenant.coach_key, tenant.athlete_key]
    with server.db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_keys")).all()
        stored = "\n".join(str(value) for row in rows for value in row)
    for key in keys:
        assert key not in stored
        assert key[3:] not in stored
        assert hash_key(key) in stored
    if server.settings.is_sqlite:
        path = server.settings.database_url.removeprefix("sqlite:///")
        found = subprocess.run([sys.executable, "-c", _RAW_SQLITE, path, *keys], timeout=60)
        assert found.returncode == 0, "a clear key is in the database file"


def test_keys_are_distinct_and_work(server: LiveServer, tenant: Tenant) -> None:
    keys = {tenant.admin_key, tenant.coach_key, tenant.athlete_key}
    assert len(keys) == 3
    roles = set()
    for key in keys:
        assert key.startswith("ck_") and len(key) > 40
        with server.client(key) as http:
            roles.add(http.get("/v1/me").json()["role"])
    assert roles == {"admin", "coach", "athlete"}


def _keys(server: LiveServer, admin_key: str, **params: Any) -> list[dict[str, Any]]:
    with server.client(admin_key) as http:
        response = http.get("/v1/keys", params=params)
    assert response.status_code == 200, response.text
    keys: list[dict[str, Any]] = response.json()["keys"]
    return keys


def _key_id(server: LiveServer, admin_key: str, key: str) -> int:
    (match,) = [k for k in _keys(server, admin_key) if key.startswith(k["prefix"])]
    return int(match["key_id"])


def _status(server: LiveServer, key: str) -> int:
    with server.client(key) as http:
        return http.get("/v1/me").status_code


def test_admin_lists_the_organizations_keys_and_never_a_secret(
    server: LiveServer, tenant: Tenant, other_tenant: Tenant
) -> None:
    with server.client(tenant.admin_key) as http:
        response = http.get("/v1/keys")
    assert response.status_code == 200, response.text
    keys = response.json()["keys"]
    assert [k["role"] for k in keys] == ["admin", "coach", "athlete"]
    assert {tuple(sorted(k)) for k in keys} == {
        ("created_at", "key_id", "member_id", "member_name", "prefix", "revoked_at", "role")
    }
    assert all(k["revoked_at"] is None for k in keys)
    for key in (tenant.admin_key, tenant.coach_key, tenant.athlete_key):
        assert key not in response.text and key[10:] not in response.text
        assert hash_key(key) not in response.text
    # Another organization's keys are not there, not even their prefixes.
    for key in (other_tenant.admin_key, other_tenant.coach_key, other_tenant.athlete_key):
        assert key[:10] not in response.text


def test_a_revoked_key_is_refused_at_once(server: LiveServer, tenant: Tenant) -> None:
    coach_id = _key_id(server, tenant.admin_key, tenant.coach_key)
    assert _status(server, tenant.coach_key) == 200
    with server.client(tenant.admin_key) as http:
        revoked = http.delete(f"/v1/keys/{coach_id}")
        again = http.delete(f"/v1/keys/{coach_id}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    # The very next request is refused, with either way of sending the key.
    assert _status(server, tenant.coach_key) == 401
    with server.client(**{"x-api-key": tenant.coach_key, "dev-id": tenant.dev_id}) as http:
        assert http.get("/v2/workouts").status_code == 401
    # Revoking again changes nothing; the list shows it revoked; other keys still work.
    assert again.status_code == 200 and again.json() == revoked.json()
    listed = {k["key_id"]: k for k in _keys(server, tenant.admin_key)}
    assert listed[coach_id]["revoked_at"] == revoked.json()["revoked_at"]
    assert [k["key_id"] for k in _keys(server, tenant.admin_key, active=True)] == [
        k for k in listed if k != coach_id
    ]
    assert _status(server, tenant.athlete_key) == 200


def test_rotate_replaces_a_key_for_the_same_member(server: LiveServer, tenant: Tenant) -> None:
    coach_id = _key_id(server, tenant.admin_key, tenant.coach_key)
    with server.client(tenant.coach_key) as http:
        member_id = http.get("/v1/me").json()["member_id"]
    with server.client(tenant.admin_key) as http:
        response = http.post(f"/v1/keys/{coach_id}/rotate")
        twice = http.post(f"/v1/keys/{coach_id}/rotate")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()
    new_key = rotated["created"]["key"]
    assert rotated["revoked"]["key_id"] == coach_id and rotated["revoked"]["revoked_at"]
    assert rotated["created"]["member_id"] == member_id and rotated["created"]["role"] == "coach"
    assert new_key.startswith(rotated["created"]["prefix"]) and new_key != tenant.coach_key
    assert _status(server, tenant.coach_key) == 401
    with server.client(new_key) as http:
        assert http.get("/v1/me").json()["member_id"] == member_id
    # A revoked key cannot be rotated again: that would hand out a second new key.
    assert twice.status_code == 400
    assert twice.json()["details"][0]["field"] == "key_id"
    assert "key" not in _keys(server, tenant.admin_key)[-1]


def test_admin_creates_keys_for_the_organizations_members(
    server: LiveServer, tenant: Tenant, other_tenant: Tenant
) -> None:
    with server.client(tenant.athlete_key) as http:
        athlete_member = http.get("/v1/me").json()["member_id"]
    with server.client(other_tenant.athlete_key) as http:
        stranger = http.get("/v1/me").json()["member_id"]
    with server.client(tenant.admin_key) as http:
        second = http.post("/v1/keys", json={"member_id": athlete_member})
        coach = http.post("/v1/keys", json={"role": "coach", "name": "Grete"})
        foreign = http.post("/v1/keys", json={"member_id": stranger})
        both = http.post("/v1/keys", json={"member_id": athlete_member, "role": "coach"})
        neither = http.post("/v1/keys", json={"name": "Nobody"})
        bad_role = http.post("/v1/keys", json={"role": "owner"})
    assert second.status_code == 200, second.text
    assert second.headers["cache-control"] == "no-store"
    assert second.json()["member_id"] == athlete_member
    with server.client(second.json()["key"]) as http:
        assert http.get("/v1/me").json()["member_id"] == athlete_member
    assert _status(server, tenant.athlete_key) == 200  # the member's first key still works
    assert coach.status_code == 200, coach.text
    assert (coach.json()["role"], coach.json()["member_name"]) == ("coach", "Grete")
    with server.client(coach.json()["key"]) as http:
        me = http.get("/v1/me").json()
    assert (me["organization_id"], me["role"]) == (tenant.organization_id, "coach")
    assert foreign.status_code == 404, foreign.text
    for refused in (both, neither):
        assert refused.status_code == 400
        assert refused.json()["details"][0]["field"] == "member_id"
    assert bad_role.status_code == 400 and bad_role.json()["details"][0]["field"] == "role"


def test_another_organizations_key_id_is_404_like_a_missing_one(
    server: LiveServer, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _key_id(server, other_tenant.admin_key, other_tenant.coach_key)
    with server.client(tenant.admin_key) as http:
        answers = [
            http.delete(f"/v1/keys/{theirs}"),
            http.post(f"/v1/keys/{theirs}/rotate"),
            http.delete("/v1/keys/2147483647"),
            http.post("/v1/keys/2147483647/rotate"),
            http.get("/v1/keys", params={"member_id": 2147483647}),
        ]
        malformed = http.delete("/v1/keys/abc")
    assert [a.status_code for a in answers[:4]] == [404] * 4
    # The same words for both, but for the id: nothing tells that the key exists.
    assert answers[0].json()["error"].replace(str(theirs), "N") == answers[2].json()[
        "error"
    ].replace("2147483647", "N")
    assert answers[4].json() == {"keys": []}
    assert malformed.status_code == 400
    assert _status(server, other_tenant.coach_key) == 200


@pytest.mark.parametrize("role", ["coach", "athlete"])
def test_only_admins_manage_keys(server: LiveServer, tenant: Tenant, role: str) -> None:
    key = tenant.coach_key if role == "coach" else tenant.athlete_key
    admin_id = _key_id(server, tenant.admin_key, tenant.admin_key)
    with server.client(key) as http:
        answers = [
            http.get("/v1/keys"),
            http.post("/v1/keys", json={"role": "admin"}),
            http.delete(f"/v1/keys/{admin_id}"),
            http.post(f"/v1/keys/{admin_id}/rotate"),
        ]
    assert [a.status_code for a in answers] == [403] * 4
    assert all(role in a.json()["error"] for a in answers)
    assert _status(server, tenant.admin_key) == 200


def test_the_last_admin_key_is_kept_unless_forced(server: LiveServer) -> None:
    tenant = make_tenant(server.db)
    admin_id = _key_id(server, tenant.admin_key, tenant.admin_key)
    with server.client(tenant.admin_key) as http:
        kept = http.delete(f"/v1/keys/{admin_id}")
        second = http.post("/v1/keys", json={"role": "admin", "name": "Deputy"}).json()
    assert kept.status_code == 400
    assert kept.json()["details"][0]["field"] == "force"
    assert "last active admin key" in kept.json()["error"]
    assert _status(server, tenant.admin_key) == 200
    # With a second admin key the first may go; the second is then the last one.
    with server.client(second["key"]) as http:
        assert http.delete(f"/v1/keys/{admin_id}").status_code == 200
        assert http.delete(f"/v1/keys/{second['key_id']}").status_code == 400
        forced = http.delete(f"/v1/keys/{second['key_id']}", params={"force": "true"})
    assert forced.status_code == 200, forced.text
    assert _status(server, second["key"]) == 401
    assert _status(server, tenant.admin_key) == 401
