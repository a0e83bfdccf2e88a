"""Client-side rate limits per provider account, shared by every process through Redis.

One sorted set per account logs the calls of its longest window (score = Redis's clock in
ms). A Lua script counts every window and takes the slot in the same atomic step: a call
is logged only when all windows (Shape's 30/min and 200/h) have room, so a window never
counts a call another refused, and N processes together never exceed either window. The
time comes from Redis (`TIME`), not from the hosts, whose clocks may disagree.

A 429's Retry-After is a key with that expiry: every process stops calling the account
until it is gone. `MemoryLimiterStore` (coach.providers.limiter) is the one-process twin.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

import anyio
from redis.asyncio import Redis

from coach.providers.base import SYSTEM_CLOCK, Clock, Limiter
from coach.providers.retry import RETRY_AFTER_CAP_S

# Calls are logged when the slot is taken, but reach the provider a little later, some
# later than others; counting each call this much longer keeps the provider's own count
# (by arrival) under the limit however the calls' latencies spread.
WINDOW_SLACK_MS = 1000

# KEYS: the account's call log, its pause key. ARGV: a unique member, then (limit, window
# ms) pairs. Returns 0 when the slot was taken, else the ms until one may be free.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local longest, wait = 0, 0
for i = 2, #ARGV, 2 do
  local limit, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  if window > longest then longest = window end
  local since = '(' .. (now - window)
  local count = redis.call('ZCOUNT', KEYS[1], since, '+inf')
  if count >= limit then
    local first = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES',
                             'LIMIT', count - limit, 1)
    local free_in = tonumber(first[2]) + window - now
    if free_in > wait then wait = free_in end
  end
end
if wait > 0 then return wait end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], longest)
return 0
"""

# KEYS: the pause key. ARGV: ms. A pause only ever grows.
_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
"""


class RedisLimiter:
    """One account's limiter; the same `acquire`/`pause` as the in-process one."""

    def __init__(
        self, redis: Redis, key: str, rates: Sequence[tuple[int, float]], clock: Clock
    ) -> None:
        self.redis = redis
        self.keys = [f"{key}:calls", f"{key}:paused"]
        self.rates = [
            value
            for limit, seconds in rates
            for value in (limit, int(seconds * 1000) + WINDOW_SLACK_MS)
        ]
        self.clock = clock
        self._acquire: Any = redis.register_script(_ACQUIRE)
        self._pause: Any = redis.register_script(_PAUSE)
        # FIFO among this process's callers; across processes, whoever asks first.
        self._lock = anyio.Lock()
        self.waited_s = 0.0

    async def _take(self) -> float:
        if not self.rates:
            return 0.0
        wait_ms = int(await self._acquire(keys=self.keys, args=[uuid.uuid4().hex, *self.rates]))
        return wait_ms / 1000 + 0.001 if wait_ms > 0 else 0.0

    async def acquire(self, max_wait_s: float = math.inf) -> float:
        waited = 0.0
        async with self._lock:
            while True:
                wait = await self._take()
                if wait <= 0:
                    return 0.0
                if waited + wait > max_wait_s:
                    return wait
                self.waited_s += wait
                await self.clock.sleep(wait)
                waited += wait

    async def pause(self, seconds: float) -> None:
        seconds = min(max(0.0, seconds), RETRY_AFTER_CAP_S)
        if seconds > 0:
            await self._pause(keys=self.keys[1:], args=[math.ceil(seconds * 1000)])


class RedisLimiterStore:
    """Limiters by account key, under `<prefix>:limit:`."""

    def __init__(self, redis: Redis, prefix: str, clock: Clock | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.clock = clock or SYSTEM_CLOCK
        self._limiters: dict[str, RedisLimiter] = {}

    def limiter(self, key: str, rates: Sequence[tuple[int, float]]) -> Limiter:
        found = self._limiters.get(key)
        if found is None:
            found = self._limiters[key] = RedisLimiter(
                self.redis, f"{self.prefix}:limit:{key}", rates, self.clock
            )
        return found
