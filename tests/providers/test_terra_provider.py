"""Terra: device coercion, Terra's documented errors mapped to ours, tidy deletes."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderTimeout,
    ProviderUnsupported,
    PushResult,
)
from coach.providers.retry import RetryPolicy, retry_inline
from coach.templates.convert import workout_to_template
from tests.emulators.clock import FakeClock
from tests.emulators.terra import TerraEmulator
from tests.providers.conftest import plan_items, terra_adapter
from tests.templates.sample_plans import sample_workout

pytestmark = pytest.mark.anyio
DAY = dt.date(2027, 3, 1)


async def test_push_coerces_for_the_device_and_terra_has_nothing_left_to_change(
    terra_url: str, terra_emulator: TerraEmulator, clock: FakeClock
) -> None:
    template = workout_to_template(sample_workout("endurance-swim"), sport="triathlon")
    async with terra_adapter(terra_url, clock, device="coros", user="coros-user") as adapter:
        result = await adapter.push(template, DAY, idempotency_key="swim-1")
    fields = [w.field for w in result.warnings]
    assert fields[:3] == ["sport", "pool_length_meters", "environment"]
    planned = terra_emulator.planned[int(result.provider_workout_id)]
    assert planned["coercion_warnings"] is None  # the emulator runs Terra's coercion
    stored = terra_emulator.templates[planned["workout_id"]]["workout_template"]
    assert stored["sport"] == "swimming" and stored["description"].endswith("[coach-agent:swim-1]")
    assert result.raw is not None and result.raw["provider_name"] == "coros"


async def test_a_provider_without_planned_workouts_is_501(terra_url: str, clock: FakeClock) -> None:
    item = plan_items(1)[0]
    async with terra_adapter(terra_url, clock, user="fitbit-user") as adapter:
        with pytest.raises(ProviderUnsupported) as caught:
            await adapter.push(item.template, item.planned_date, idempotency_key="k")
    assert caught.value.status == 501


@pytest.mark.parametrize(
    ("status", "error", "ours"),
    [
        (404, ProviderNotFound, 404),
        (501, ProviderUnsupported, 501),
    ],
)
async def test_terra_errors_that_no_retry_helps(
    terra_url: str,
    terra_emulator: TerraEmulator,
    clock: FakeClock,
    status: int,
    error: type[ProviderError],
    ours: int,
) -> None:
    terra_emulator.faults.add("status", method="POST", path="/v2/plannedWorkouts", status=status)
    item = plan_items(1)[0]
    async with terra_adapter(terra_url, clock) as adapter:
        with pytest.raises(error) as caught:
            await adapter.push(item.template, item.planned_date, idempotency_key="k")
    assert caught.value.status == ours and not caught.value.retryable
    assert terra_emulator.calls["POST /v2/plannedWorkouts"] == 1


@pytest.mark.parametrize(
    ("status", "error", "ours"),
    [
        (408, ProviderTimeout, 408),
        (502, ProviderError, 502),
    ],
)
async def test_terra_408_and_502_are_one_call_typed_and_retryable(
    terra_url: str,
    terra_emulator: TerraEmulator,
    clock: FakeClock,
    status: int,
    error: type[ProviderError],
    ours: int,
) -> None:
    terra_emulator.faults.add(
        "status", method="POST", path="/v2/plannedWorkouts", status=status, times=99
    )
    item = plan_items(1)[0]
    async with terra_adapter(terra_url, clock) as adapter:
        for again in (False, True):
            with pytest.raises(error) as caught:
                await adapter.push(
                    item.template, item.planned_date, idempotency_key="k", reconcile=again
                )
            assert caught.value.status == ours and caught.value.retryable
    assert terra_emulator.calls["POST /v2/plannedWorkouts"] == 2  # one per push
    assert terra_emulator.calls["POST /v2/workouts"] == 1  # the retry found the template
    assert len(terra_emulator.templates) == 1 and terra_emulator.planned == {}


async def test_terra_408_after_it_pushed_is_reconciled_not_duplicated(
    terra_url: str, terra_emulator: TerraEmulator, clock: FakeClock
) -> None:
    # Terra's 408 "push operation timed out": the workout may have reached the device.
    terra_emulator.faults.add(
        "status", method="POST", path="/v2/plannedWorkouts", status=408, after_commit=True, times=3
    )
    items = plan_items(1)
    async with terra_adapter(terra_url, clock) as adapter:

        async def push(again: bool) -> list[PushResult]:
            return await adapter.push_many(items, reconcile=again)

        results = await retry_inline(push, RetryPolicy(), clock)
    assert len(terra_emulator.planned) == len(items)
    assert all(r.existed for r in results[:3]) and not any(r.existed for r in results[3:])


async def test_wrong_keys_are_an_auth_error(terra_url: str, clock: FakeClock) -> None:
    async with terra_adapter(terra_url, clock, api_key="nope") as adapter:
        with pytest.raises(ProviderAuthError):
            await adapter.list(DAY, DAY)


async def test_delete_removes_the_planned_workout_and_its_template(
    terra_url: str, terra_emulator: TerraEmulator, clock: FakeClock
) -> None:
    item = plan_items(1)[0]
    async with terra_adapter(terra_url, clock) as adapter:
        result = await adapter.push(item.template, item.planned_date, idempotency_key="k")
        await adapter.delete(result.provider_workout_id)
    assert terra_emulator.planned == {} and terra_emulator.templates == {}
