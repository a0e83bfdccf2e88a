"""The provider rate limiter shared through Redis: callers of several stores (as several
processes would be) together take no more than each window allows, and a call one
window refuses is not counted by another."""

from __future__ import annotations

import anyio
import pytest
from redis.asyncio import Redis

from coach.providers.redis_limiter import RedisLimiterStore
from tests.support.redis import REDIS_URL, fresh_prefix, needs_redis

pytestmark = [pytest.mark.anyio, needs_redis]


async def test_callers_of_several_processes_share_both_windows() -> None:
    prefix = fresh_prefix()
    clients = [Redis.from_url(REDIS_URL) for _ in range(3)]
    limiters = [
        RedisLimiterStore(client, prefix).limiter("shape:one", [(2, 0.2), (3, 3600)])
        for client in clients
    ]
    waits: list[float] = []

    async def call(index: int) -> None:
        waits.append(await limiters[index % 3].acquire(0))

    async with anyio.create_task_group() as group:
        for index in range(12):
            group.start_soon(call, index)
    assert waits.count(0.0) == 2, "more calls than the short window allows were let through"
    # Once the short window has passed, one more call fits the hour: the ten refused
    # above were not counted by it.
    assert await limiters[0].acquire(5) == 0.0
    wait = await limiters[1].acquire(0)
    assert 3000 < wait <= 3602
    for client in clients:
        await client.aclose()


async def test_a_pause_holds_every_process() -> None:
    prefix = fresh_prefix()
    one, two = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    first = RedisLimiterStore(one, prefix).limiter("shape:one", [(30, 60)])
    second = RedisLimiterStore(two, prefix).limiter("shape:one", [(30, 60)])
    await first.pause(42)
    assert 40 < await second.acquire(0) <= 42.1
    await one.aclose()
    await two.aclose()
