"""Fixtures: a live server per database backend, and fresh tenants in it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.settings import Settings
from tests.support.databases import BACKENDS, fresh_database
from tests.support.live import LiveServer, live_server
from tests.support.push import SECRET_KEY
from tests.support.tenants import Tenant, make_tenant

# Every service a test starts seals credentials with this key, so none writes a key file
# into the checkout and any of them can open what another sealed.
os.environ.setdefault("COACH_SECRET_KEY", SECRET_KEY)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database for one test alone, for tests that count every row in it."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[LiveServer]:
    with live_server(Settings(database_url=database_url, _env_file=None)) as live:  # type: ignore[call-arg]
        yield live


@pytest.fixture
def tenant(server: LiveServer) -> Tenant:
    return make_tenant(server.db)


@pytest.fixture
def other_tenant(server: LiveServer) -> Tenant:
    return make_tenant(server.db)
