"""The contract every remote adapter keeps, run over terra and shape against their emulators."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from coach.providers.base import (
    ProviderError,
    ProviderRateLimited,
    PushItem,
    PushResult,
)
from coach.providers.retry import RetryPolicy, retry_inline
from tests.emulators.clock import FakeClock
from tests.providers.conftest import Remote, plan_items

pytestmark = pytest.mark.anyio


def assert_once_on_date(remote: Remote, items: list[PushItem], ids: list[str]) -> None:
    stored = remote.stored()
    assert len(stored) == len(items), "every workout exactly once on the provider"
    assert sorted(ids) == sorted(stored)
    assert {ids[i]: item.planned_date for i, item in enumerate(items)} == stored


async def test_twelve_week_plan_lands_once_on_its_dates(remote: Remote) -> None:
    items = plan_items(12)
    results = await remote.adapter.push_many(items)
    ids = [r.provider_workout_id for r in results]
    assert len(set(ids)) == len(items) == 72
    assert_once_on_date(remote, items, ids)
    listed = await remote.adapter.list(dt.date(2027, 1, 1), dt.date(2027, 4, 30))
    assert Counter(w.provider_workout_id for w in listed) == Counter(ids)
    assert {w.provider_workout_id: w.planned_date for w in listed} == remote.stored()


async def test_a_second_push_with_reconcile_creates_nothing(remote: Remote) -> None:
    items = plan_items(2)
    first = await remote.adapter.push_many(items)
    # A worker restarted after the provider committed but before it stored the ids.
    again = await remote.adapter.push_many(items, reconcile=True)
    assert [r.provider_workout_id for r in again] == [r.provider_workout_id for r in first]
    assert all(r.existed for r in again)
    assert_once_on_date(remote, items, [r.provider_workout_id for r in first])


async def test_move_and_delete_change_the_provider(remote: Remote) -> None:
    items = plan_items(1)[:3]
    ids = [r.provider_workout_id for r in await remote.adapter.push_many(items)]
    moved_to = items[0].planned_date + dt.timedelta(days=2)
    await remote.adapter.move(ids[0], moved_to)
    assert remote.stored()[ids[0]] == moved_to
    await remote.adapter.delete(ids[1])
    assert ids[1] not in remote.stored()
    await remote.adapter.delete(ids[1])  # deleting again is done, not an error
    listed = await remote.adapter.list(dt.date(2027, 1, 1), dt.date(2027, 1, 31))
    assert {w.provider_workout_id: w.planned_date for w in listed} == {
        ids[0]: moved_to,
        ids[2]: items[2].planned_date,
    }


@pytest.mark.parametrize(
    ("status", "retry_after", "retryable", "waits_s"),
    [(502, None, True, None), (429, "7", True, 7.0), (400, None, False, None)],
)
async def test_one_attempt_per_call_classified_for_the_caller(
    remote: Remote, status: int, retry_after: str | None, retryable: bool, waits_s: float | None
) -> None:
    faults = remote.emulator.faults
    path = remote.create_path()
    faults.add("status", method="POST", path=path, times=99, status=status, retry_after=retry_after)
    item = plan_items(1)[0]
    with pytest.raises(ProviderError) as caught:
        await remote.adapter.push(item.template, item.planned_date, idempotency_key="k")
    # The adapter does not retry: whoever drives the attempts decides from the error.
    assert len(faults.injected) == 1
    assert caught.value.retryable is retryable
    assert caught.value.retry_after == waits_s
    assert isinstance(caught.value, ProviderRateLimited) is (status == 429)
    assert remote.stored() == {}


@pytest.mark.parametrize("kind", ["timeout", "status", "drop"])
async def test_faults_on_create_are_healed_by_reconciling_retries(
    remote: Remote, clock: FakeClock, kind: str
) -> None:
    faults = remote.emulator.faults
    # Timeouts and drops strike after the provider committed; the 502 before it.
    faults.add(kind, method="POST", path=remote.create_path(), times=2, status=502)  # type: ignore[arg-type]
    items = plan_items(2)
    tries: list[bool] = []

    async def push(again: bool) -> list[PushResult]:
        tries.append(again)
        return await remote.adapter.push_many(items, reconcile=again)

    results = await retry_inline(push, RetryPolicy(), clock)
    # A fault after commit on a batch is healed by one reconcile: all of it was stored.
    assert len(faults.injected) == (2 if kind == "status" or remote.name == "terra" else 1)
    # One adapter attempt per fault, and every retry looked before creating.
    assert tries == [False] + [True] * len(faults.injected)
    assert_once_on_date(remote, items, [r.provider_workout_id for r in results])


async def test_faults_on_move_and_delete_are_safe_to_retry(
    remote: Remote, clock: FakeClock
) -> None:
    items = plan_items(1)[:2]
    ids = [r.provider_workout_id for r in await remote.adapter.push_many(items)]
    remote.emulator.faults.add("drop", method="PATCH")
    remote.emulator.faults.add("status", method="DELETE", status=502)
    policy = RetryPolicy()
    await retry_inline(lambda _: remote.adapter.move(ids[0], dt.date(2027, 2, 1)), policy, clock)
    await retry_inline(lambda _: remote.adapter.delete(ids[1]), policy, clock)
    assert len(remote.emulator.faults.injected) == 2
    assert remote.stored() == {ids[0]: dt.date(2027, 2, 1)}
