"""The Redis clients of a process (with `COACH_REDIS_URL`).

Commands share a pool of at most `COACH_REDIS_MAX_CONNECTIONS` connections; a burst
beyond it waits for a free one (up to `WAIT_S`) instead of failing. The blocking reads
that mirror other processes' runs hold a connection each for as long as a run is
followed, so they have a client of their own.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

from coach.settings import Settings

WAIT_S = 10.0
READERS_MAX = 10_000


def commands_client(settings: Settings) -> Redis:
    assert settings.redis_url is not None
    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=settings.redis_max_connections, timeout=WAIT_S
    )
    return Redis(connection_pool=pool)


def readers_client(settings: Settings) -> Redis:
    assert settings.redis_url is not None
    return Redis.from_url(settings.redis_url, max_connections=READERS_MAX)
