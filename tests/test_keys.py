"""API keys are shown once and stored only as hashes."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from coach.accounts import hash_key
from tests.support.live import LiveServer
from tests.support.tenants import Tenant

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
