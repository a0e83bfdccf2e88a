"""Helpers for push tests: a service wired to emulators, athletes, connections, dated plans."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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

# GET /v2/plannedWorkouts lists 30 days ago to today unless told: tests of future plans
# ask for everything.
ALL_DATES = {"start_date": "2000-01-01", "end_date": "2099-12-31"}


def easy_template(name: str = "Easy run", seconds: float = 2400) -> dict[str, Any]:
    """The body of `POST /v2/workouts` for one steady run of `seconds`."""
    step = {
        "order": 1,
        "duration_type": "time",
        "duration_value": seconds,
        "intensity_type": "active",
    }
    block = {"completion_condition": {"type": "fixed_repetition", "value": 1}, "steps": [step]}
    return {"workout_template": {"name": name, "sport": "running", "step_blocks": [block]}}


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


@dataclass
class Emulated:
    """The provider emulators a test runs, and where: services reach them through their
    settings (COACH_TERRA_BASE_URL, COACH_SHAPE_BASE_URL), never through a connection."""

    terra: TerraEmulator
    terra_url: str
    shape: ShapeEmulator
    shape_url: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.terra, self.terra_url, self.shape, self.shape_url))

    def settings(self) -> dict[str, str]:
        return {"terra_base_url": self.terra_url, "shape_base_url": self.shape_url}


@contextmanager
def service(
    database_url: str, emulated: Emulated | None = None, **overrides: Any
) -> Iterator[LiveServer]:
    endpoints = emulated.settings() if emulated is not None else {}
    with live_server(push_settings(database_url, **endpoints, **overrides)) as live:
        yield live


@contextmanager
def emulators() -> Iterator[Emulated]:
    terra = TerraEmulator(
        {TERRA_USER: "garmin", "fitbit-user": "fitbit", **{u: "garmin" for u in MORE_USERS}},
        api_keys={"key-test", "key-limited"},
    )
    shape = ShapeEmulator({"shape_test_token"})
    with serve_app(terra.app()) as terra_url, serve_app(shape.app()) as shape_url:
        yield Emulated(terra, terra_url, shape, shape_url + "/api/v1")


# More Terra users, for tests (and the benchmark) with many connections.
MORE_USERS = [f"garmin-user-{i}" for i in range(2, 101)]


def connection_body(
    provider: str, user: str = TERRA_USER, *, api_key: str = "key-test", token: str = ""
) -> dict[str, Any]:
    if provider == "terra":
        return {
            "provider": "terra",
            "settings": {"device_provider": "garmin"},
            "credentials": {"dev_id": "dev-test", "api_key": api_key, "user_id": user},
        }
    if provider == "shape":
        return {"provider": "shape", "credentials": {"token": token or "shape_test_token"}}
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


def push_plan(http: httpx2.Client, plan: dict[str, Any], user_id: str) -> str:
    """Post the push of a plan to an athlete; the job's id."""
    accepted = http.post(f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id})
    assert accepted.status_code == 202, accepted.text
    job_id: str = accepted.json()["job_id"]
    return job_id


def wait_for_job(http: httpx2.Client, job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(f"/v1/coach/push-jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def wait_for_checks(http: httpx2.Client, job_id: str, timeout: float = 90) -> dict[str, Any]:
    """The job once no look for late copies of its workouts is left to make."""

    def checked() -> dict[str, Any] | None:
        job: dict[str, Any] = http.get(f"/v1/coach/push-jobs/{job_id}").json()
        return job if job["status"] != "running" and job["checks_pending"] == 0 else None

    found: dict[str, Any] = wait_until(checked, "the last look for late copies", timeout)
    return found


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """Poll `condition` until it is truthy (its value), failing with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
