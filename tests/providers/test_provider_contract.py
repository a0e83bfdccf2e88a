"""The contract every remote adapter keeps, run over terra and shape against their emulators."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from coach.providers.base import PushItem
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


@pytest.mark.parametrize("kind", ["timeout", "status", "drop"])
async def test_faults_on_create_are_retried_without_duplicates(remote: Remote, kind: str) -> None:
    faults = remote.emulator.faults
    # Timeouts and drops strike after the provider committed; the 502 before it.
    faults.add(kind, method="POST", path=remote.create_path(), times=2, status=502)  # type: ignore[arg-type]
    items = plan_items(2)
    results = await remote.adapter.push_many(items)
    # A fault after commit on a batch is healed by one reconcile: all of it was stored.
    assert len(faults.injected) == (2 if kind == "status" or remote.name == "terra" else 1)
    assert_once_on_date(remote, items, [r.provider_workout_id for r in results])


async def test_faults_on_move_and_delete_are_retried(remote: Remote) -> None:
    items = plan_items(1)[:2]
    ids = [r.provider_workout_id for r in await remote.adapter.push_many(items)]
    remote.emulator.faults.add("drop", method="PATCH")
    remote.emulator.faults.add("status", method="DELETE", status=502)
    await remote.adapter.move(ids[0], dt.date(2027, 2, 1))
    await remote.adapter.delete(ids[1])
    assert remote.stored() == {ids[0]: dt.date(2027, 2, 1)}
