"""API keys are shown once and stored only as hashes."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from sqlalchemy import text

from coach.accounts import hash_key
from tests.support.live import LiveServer
from tests.support.tenants import Tenant


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
        # Move the write-ahead log into the file, so the file holds everything written.
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA wal_checkpoint(FULL)")
        raw = open(path, "rb").read()
        for key in keys:
            assert key.encode() not in raw


def test_keys_are_distinct_and_work(server: LiveServer, tenant: Tenant) -> None:
    keys = {tenant.admin_key, tenant.coach_key, tenant.athlete_key}
    assert len(keys) == 3
    roles = set()
    for key in keys:
        assert key.startswith("ck_") and len(key) > 40
        with server.client(key) as http:
            roles.add(http.get("/v1/me").json()["role"])
    assert roles == {"admin", "coach", "athlete"}
