"""Counted slots in Redis with an expiry: at most N held at once by every process together.

Each pool of slots is a sorted set of leases scored by when each expires (Redis's clock).
Taking one is one Lua script: drop the expired, count, add when under the limit. The
holder renews its leases every third of their life (`run()`), so a process that dies
without giving its slots back holds them only until they expire, never for ever. Used by
the per-organization quotas and the LLM concurrency budget.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import anyio
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("coach.slots")

# KEYS: the pool. ARGV: the lease, its life in ms, the limit. 1 when taken.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

# KEYS: pools; ARGV: the life in ms, then one lease per pool. Only leases still held are
# renewed (XX): one given back meanwhile stays given back.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local life = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + life, ARGV[i + 1])
  redis.call('PEXPIRE', key, life)
end
return 0
"""


class RedisSlots:
    """Slots of any number of pools (keys); `run()`, a task of the service, renews the
    ones this process holds."""

    def __init__(self, redis: Redis, *, lease_s: float) -> None:
        self.redis = redis
        self.lease_ms = max(1000, int(lease_s * 1000))
        self._take: Any = redis.register_script(_TAKE)
        self._renew: Any = redis.register_script(_RENEW)
        self._held: dict[str, str] = {}  # lease -> its pool

    async def take(self, pool: str, limit: int) -> str | None:
        """A lease on one of the pool's `limit` slots, or None when all are held."""
        lease = uuid.uuid4().hex
        if not int(await self._take(keys=[pool], args=[lease, self.lease_ms, limit])):
            return None
        self._held[lease] = pool
        return lease

    async def give_back(self, pool: str, lease: str) -> None:
        self._held.pop(lease, None)
        try:
            await self.redis.zrem(pool, lease)
        except RedisError:  # it expires on its own
            log.warning("giving a slot of %s back failed", pool, exc_info=True)

    async def run(self) -> None:
        """Until cancelled: renew every lease this process holds."""
        while True:
            await anyio.sleep(self.lease_ms / 3000)
            held = list(self._held.items())
            if not held:
                continue
            try:
                await self._renew(
                    keys=[pool for _, pool in held],
                    args=[self.lease_ms, *(lease for lease, _ in held)],
                )
            except RedisError:
                log.warning("renewing %d slot lease(s) failed", len(held), exc_info=True)
