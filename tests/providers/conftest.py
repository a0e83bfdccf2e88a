"""Fixtures: anyio on asyncio, a fake clock, emulators on loopback and adapters for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from coach.plans.models import Sport
from coach.providers import registry
from coach.providers.base import Provider, ProviderContext, PushItem
from coach.templates.convert import workout_to_template
from tests.emulators.clock import FakeClock
from tests.emulators.shape import ShapeEmulator
from tests.emulators.terra import TerraEmulator
from tests.support.live import serve_app
from tests.templates.sample_plans import sample_plan

TERRA_USER = "6f0c6a0e-5b5e-4d5c-9a7e-2f1d3c4b5a69"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def context(clock: FakeClock, **kw: Any) -> ProviderContext:
    # Real timeouts (the emulator hangs in real time); backoff sleeps on the fake clock.
    return ProviderContext(clock=clock, timeout_s=kw.pop("timeout_s", 1.0), **kw)


def plan_items(weeks: int, sport: Sport = "running", prefix: str = "pw") -> list[PushItem]:
    """A plan's workouts as push items with one idempotency key each."""
    items = []
    for i, w in enumerate(sample_plan(weeks, sport=sport, start=dt.date(2027, 1, 4))):
        assert w.date is not None
        items.append(PushItem(workout_to_template(w, sport=sport), w.date, f"{prefix}-{i}"))
    return items


@dataclass
class Remote:
    """An adapter and a view of what its emulator holds: provider id -> date."""

    name: str
    adapter: Provider
    emulator: Any

    def stored(self) -> dict[str, dt.date]:
        if self.name == "terra":
            return {
                str(p["planned_workout_id"]): dt.date.fromisoformat(p["planned_date"])
                for p in self.emulator.planned.values()
            }
        return {
            a["id"]: dt.date.fromisoformat(str(a["date"])[:10])
            for a in self.emulator.activities.values()
        }

    def create_path(self) -> str:
        return "/v2/plannedWorkouts" if self.name == "terra" else "/api/v1/activities"


@pytest.fixture
def terra_emulator(clock: FakeClock) -> TerraEmulator:
    return TerraEmulator(
        {TERRA_USER: "garmin", "coros-user": "coros", "fitbit-user": "fitbit"}, clock=clock
    )


@pytest.fixture
def shape_emulator(clock: FakeClock) -> ShapeEmulator:
    return ShapeEmulator({"shape_test_token"}, clock=clock)


@pytest.fixture
def terra_url(terra_emulator: TerraEmulator) -> Iterator[str]:
    terra_emulator.faults.hang_s = 1.5
    with serve_app(terra_emulator.app()) as url:
        yield url


@pytest.fixture
def shape_url(shape_emulator: ShapeEmulator) -> Iterator[str]:
    shape_emulator.faults.hang_s = 1.5
    with serve_app(shape_emulator.app()) as url:
        yield url + "/api/v1"


def terra_adapter(
    url: str, clock: FakeClock, device: str | None = "garmin", user: str = TERRA_USER, **kw: Any
) -> Provider:
    return registry.create(
        "terra",
        {"dev_id": "dev-test", "api_key": kw.pop("api_key", "key-test"), "user_id": user},
        {"device_provider": device},
        context(clock, endpoints={"terra": url}, **kw),
    )


def shape_adapter(
    url: str,
    clock: FakeClock,
    token: str = "shape_test_token",
    settings: dict[str, Any] | None = None,
    **kw: Any,
) -> Provider:
    return registry.create(
        "shape", {"token": token}, settings or {}, context(clock, endpoints={"shape": url}, **kw)
    )


@pytest.fixture(params=["terra", "shape"])
async def remote(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Remote]:
    if request.param == "terra":
        emulator = request.getfixturevalue("terra_emulator")
        url = request.getfixturevalue("terra_url")
        adapter = terra_adapter(url, clock)
    else:
        emulator = request.getfixturevalue("shape_emulator")
        url = request.getfixturevalue("shape_url")
        adapter = shape_adapter(url, clock)
    async with adapter:
        yield Remote(request.param, adapter, emulator)
