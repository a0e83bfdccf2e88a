"""Per-organization quotas counted in Redis, for every process of a deployment at once.

Each organization's generations and streams are a pool of slots (coach.redis_slots):
taking one is atomic across processes, and a process that dies holding some holds them
only until their leases expire (`COACH_ORG_LEASE_S`).
"""

from __future__ import annotations

import functools

from coach.quotas import Kind, Lease, Limits, over_limit
from coach.redis_slots import RedisSlots


class RedisQuotas:
    """The `Quotas` of a deployment; `slots.run()` (a task of the service) renews them."""

    def __init__(self, slots: RedisSlots, limits: Limits, *, prefix: str) -> None:
        self.slots = slots
        self.limits = limits
        self.prefix = prefix

    def pool(self, organization_id: int, kind: Kind) -> str:
        return f"{self.prefix}:quota:{organization_id}:{kind}"

    async def take(self, organization_id: int, kind: Kind) -> Lease:
        pool = self.pool(organization_id, kind)
        lease = await self.slots.take(pool, self.limits.of(kind))
        if lease is None:
            raise over_limit(self.limits, kind)
        return Lease(functools.partial(self.slots.give_back, pool, lease))
