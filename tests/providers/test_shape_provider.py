"""Shape: batching, client-side rate limits on a fake clock, 429 back-off, step format."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from coach.providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    PushItem,
    PushResult,
)
from coach.providers.capabilities import SHAPE
from coach.providers.coerce import coerce
from coach.providers.retry import RetryPolicy, retry_inline
from coach.providers.shape import ShapeProvider
from coach.providers.shape_format import to_activity
from coach.templates.convert import workout_to_template
from tests.emulators.clock import FakeClock
from tests.emulators.shape import ShapeEmulator
from tests.providers.conftest import plan_items, shape_adapter
from tests.support.live import serve_app
from tests.templates.sample_plans import sample_workout

pytestmark = pytest.mark.anyio


async def test_52_week_plan_in_fewest_requests_and_no_429(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    items = plan_items(52)
    async with shape_adapter(shape_url, clock) as adapter:
        results = await adapter.push_many(items)
    assert len(items) == 312
    assert shape_emulator.requests == math.ceil(len(items) / 100) == 4
    assert shape_emulator.calls == {"POST /activities/batch": 4}
    assert shape_emulator.rate_limited == 0
    assert len(shape_emulator.activities) == 312
    assert {r.provider_workout_id for r in results} == set(shape_emulator.activities)


async def test_one_call_per_workout_is_paced_under_both_limits(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    # 204 single pushes: more than the 200/h Shape allows, so the limiter must wait.
    items = plan_items(34)
    async with shape_adapter(shape_url, clock) as adapter:
        for item in items:
            await adapter.push(
                item.template, item.planned_date, idempotency_key=item.idempotency_key
            )
        assert isinstance(adapter, ShapeProvider)
        assert adapter.limiter.waited_s > 3600
    assert shape_emulator.rate_limited == 0
    assert shape_emulator.requests == len(items) == 204
    assert len(shape_emulator.activities) == 204


async def test_a_429_is_honoured_and_nothing_is_duplicated(clock: FakeClock) -> None:
    # The provider is stricter than the adapter was told: 429s come, Retry-After rules.
    emulator = ShapeEmulator({"shape_strict"}, clock=clock, per_minute=2, per_hour=200)
    with serve_app(emulator.app()) as url:
        async with shape_adapter(url + "/api/v1", clock, token="shape_strict") as adapter:
            items = plan_items(1)
            first = items[0]
            await adapter.push(first.template, first.planned_date, idempotency_key="a")
            await adapter.push(first.template, first.planned_date, idempotency_key="b")
            with pytest.raises(ProviderRateLimited) as caught:
                await adapter.push(first.template, first.planned_date, idempotency_key="c")
            assert caught.value.retryable and caught.value.retry_after == 60
            # The caller's policy waits Retry-After; the limiter holds everyone as long.
            start = clock.now()
            for item in items[2:]:

                async def push(again: bool, item: PushItem = item) -> PushResult:
                    key = item.idempotency_key
                    return await adapter.push(
                        item.template, item.planned_date, idempotency_key=key, reconcile=again
                    )

                await retry_inline(push, RetryPolicy(), clock)
            assert clock.now() - start >= 60
    assert emulator.rate_limited >= 1
    assert len(emulator.activities) == 2 + len(items[2:])


async def test_batch_deletes_and_moves_use_the_batch_endpoints(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    items = plan_items(40)  # 240 workouts: 3 batches each way
    async with shape_adapter(shape_url, clock) as adapter:
        ids = [r.provider_workout_id for r in await adapter.push_many(items)]
        await adapter.move_many([(pid, dt.date(2028, 1, 1)) for pid in ids[:150]])
        await adapter.delete_many(ids[150:])
    assert shape_emulator.calls == {
        "POST /activities/batch": 3,
        "PATCH /activities/batch": 2,
        "DELETE /activities/batch": 1,
    }
    assert {a["date"] for a in shape_emulator.activities.values()} == {"2028-01-01"}


async def test_a_wrong_token_is_an_auth_error(shape_url: str, clock: FakeClock) -> None:
    async with shape_adapter(shape_url, clock, token="shape_wrong") as adapter:
        with pytest.raises(ProviderAuthError):
            await adapter.list(dt.date(2027, 1, 1), dt.date(2027, 1, 31))


async def test_persistent_502s_end_in_a_retryable_error(
    shape_url: str, shape_emulator: ShapeEmulator, clock: FakeClock
) -> None:
    shape_emulator.faults.add("status", status=502, times=100)
    async with shape_adapter(shape_url, clock) as adapter:
        item = plan_items(1)[0]
        with pytest.raises(ProviderError) as caught:
            await adapter.push(item.template, item.planned_date, idempotency_key="k1")
    assert caught.value.retryable and caught.value.status == 502
    assert shape_emulator.requests == 1  # one attempt: retrying is the caller's call
    assert shape_emulator.activities == {}


def test_interval_workout_becomes_a_repeat_group_with_pace_in_s_per_km() -> None:
    template = workout_to_template(sample_workout("intervals", load=1.0), sport="running")
    coerced, _ = coerce(template, SHAPE)
    body = to_activity(coerced, dt.date(2027, 3, 1), "desc")
    assert body["target"] == "steps" and body["sportType"] == "run"
    warmup, repeat, cooldown = body["steps"]
    assert warmup["stepType"] == "warmup" and warmup["endCondition"] == "time"
    assert warmup["targetType"] == "heart.rate" and warmup["zoneNumber"] == 1
    assert repeat["stepType"] == "repeat" and repeat["numberOfIterations"] == 6
    fast, rest = repeat["workoutSteps"]
    assert fast == {
        "stepType": "interval",
        "displayName": "800 m interval",
        "description": None,
        "endCondition": "distance",
        "endConditionValue": 800.0,
        "targetType": "pace",
        "targetValueOne": 240.0,
        "targetValueTwo": 250.0,
    }
    assert rest["stepType"] == "recovery" and rest["targetType"] == "no.target"
    assert cooldown["targetValueOne"] == 360.0 and cooldown["targetValueTwo"] == 400.0


def test_easy_run_is_a_single_activity_without_steps() -> None:
    template = workout_to_template(sample_workout("easy-run"), sport="running")
    body = to_activity(template, dt.date(2027, 3, 1), "desc")
    assert "steps" not in body
    assert body["target"] == "pace" and body["duration"] == 45 * 60
    assert body["speed"] == round(1000 / 345, 3)
