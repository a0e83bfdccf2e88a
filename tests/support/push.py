"""Helpers for push tests: a service wired to emulators, athletes, connections, dated plans."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from cryptography.fernet import Fernet

from coach.settings import Settings
from tests.emulators.shape import ShapeEmulator
from tests.emulators.terra import TerraEmulator
from tests.support.live import LiveServer, live_server, serve_app
from tests.support.plans import draft_then_plan
from tests.support.tenants import Tenant

TERRA_USER = "garmin-user-1"
SECRET_KEY = Fernet.generate_key().decode()


def push_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "secret_key": SECRET_KEY,
        "push_poll_s": 0.05,
        "push_lease_s": 2.0,
        "provider_timeout_s": 1.0,
        # The outbox's curve at a tenth of its pace: the waits of fault tests in ms, not s.
        "push_backoff_base_s": 0.1,
        **overrides,
    }
    return Settings(database_url=database_url, **values)


@contextmanager
def service(database_url: str, **overrides: Any) -> Iterator[LiveServer]:
    with live_server(push_settings(database_url, **overrides)) as live:
        yield live


@contextmanager
def emulators() -> Iterator[tuple[TerraEmulator, str, ShapeEmulator, str]]:
    terra = TerraEmulator({TERRA_USER: "garmin", "fitbit-user": "fitbit"})
    shape = ShapeEmulator({"shape_test_token"})
    with serve_app(terra.app()) as terra_url, serve_app(shape.app()) as shape_url:
        yield terra, terra_url, shape, shape_url + "/api/v1"


def connection_body(provider: str, url: str = "", user: str = TERRA_USER) -> dict[str, Any]:
    if provider == "terra":
        return {
            "provider": "terra",
            "settings": {"device_provider": "garmin"},
            "credentials": {
                "base_url": url,
                "dev_id": "dev-test",
                "api_key": "key-test",
                "user_id": user,
            },
        }
    if provider == "shape":
        return {"provider": "shape", "credentials": {"base_url": url, "token": "shape_test_token"}}
    return {"provider": provider}


def athlete_with(http: httpx2.Client, connection: dict[str, Any]) -> tuple[str, int]:
    athlete = http.post(
        "/v1/athletes",
        json={"name": "Ada", "timezone": "Europe/Oslo", "thresholds": {"threshold_hr": 170}},
    )
    assert athlete.status_code == 200, athlete.text
    user_id = athlete.json()["user_id"]
    created = http.post(f"/v1/athletes/{user_id}/connections", json=connection)
    assert created.status_code == 200, created.text
    return user_id, created.json()["connection_id"]


def dated_plan(http: httpx2.Client, tenant: Tenant, weeks: int = 12) -> dict[str, Any]:
    _, plan = draft_then_plan(http, tenant, weeks=weeks, start_date="2026-12-07")
    return plan


def wait_for_job(http: httpx2.Client, job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(f"/v1/coach/push-jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
