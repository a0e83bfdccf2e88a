"""The LLM concurrency budget: how many requests are in flight at once, all plans and
drafts together (`COACH_LLM_BUDGET`).

`LocalBudget` counts in this process. With Redis (`COACH_REDIS_URL`), `RedisBudget`
counts for every process of the deployment: each request holds a slot of one shared pool
(coach.redis_slots) while it streams, so N processes together stay within the budget,
and a process that dies gives its slots back when their leases expire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import anyio
from redis.asyncio import Redis

from coach.redis_client import commands_client
from coach.redis_slots import RedisSlots
from coach.settings import Settings

# How often a request waiting for a slot held by another process asks again (doubling
# from the first to the last); a slot given back in this process wakes its waiters at once.
RETRY_FIRST_S = 0.02
RETRY_LAST_S = 0.5


class Budget(Protocol):
    def slot(self) -> AbstractAsyncContextManager[None]:
        """Hold one slot for the block, waiting for one first."""
        ...

    async def serve(self) -> None:
        """Background work for the life of the service (renewing leases)."""
        ...

    async def aclose(self) -> None: ...


class LocalBudget:
    def __init__(self, total: int) -> None:
        self.total = total
        self._limiter: anyio.CapacityLimiter | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._limiter is None:  # made in the event loop that uses it
            self._limiter = anyio.CapacityLimiter(self.total)
        async with self._limiter:
            yield

    async def serve(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class RedisBudget:
    def __init__(self, redis: Redis, *, total: int, prefix: str, lease_s: float) -> None:
        self.redis = redis
        self.total = total
        self.pool = f"{prefix}:llm-budget"
        self.slots = RedisSlots(redis, lease_s=lease_s)
        self._given_back: anyio.Event | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        lease = await self._wait()
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):
                await self.slots.give_back(self.pool, lease)
            if self._given_back is not None:
                self._given_back.set()
                self._given_back = None

    async def _wait(self) -> str:
        retry = RETRY_FIRST_S
        while (lease := await self.slots.take(self.pool, self.total)) is None:
            if self._given_back is None:
                self._given_back = anyio.Event()
            with anyio.move_on_after(retry):
                await self._given_back.wait()
            retry = min(retry * 2, RETRY_LAST_S)
        return lease

    async def serve(self) -> None:
        await self.slots.run()

    async def aclose(self) -> None:
        await self.redis.aclose()


def budget_for(settings: Settings) -> Budget:
    if settings.redis_url:
        return RedisBudget(
            commands_client(settings),
            total=settings.llm_budget,
            prefix=settings.redis_prefix,
            lease_s=settings.redis_lease_s,
        )
    return LocalBudget(settings.llm_budget)
