"""Redis for the tests of several processes: the local server when it answers."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

REDIS_URL = os.environ.get("COACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_answers() -> bool:
    host, _, port = REDIS_URL.removeprefix("redis://").split("/")[0].partition(":")
    try:
        socket.create_connection((host, int(port or 6379)), 1).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(not redis_answers(), reason=f"no Redis answers at {REDIS_URL}")


def fresh_prefix() -> str:
    """Keys of one test alone (the server is shared by every test run on the machine)."""
    return f"coach-test-{uuid.uuid4().hex[:12]}"
