"""Per-organization limits on concurrent work: generations running, streams open.

Every tenant is untrusted, so none may take all of a shared resource: a request over its
organization's limit is refused at once (429 with Retry-After) instead of queueing behind
the others. `LocalQuotas` counts in this process (the embedded default); with Redis,
`coach.redis_quotas.RedisQuotas` counts for every process of the deployment.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import anyio

from coach.errors import TooManyRequests

Kind = Literal["generations", "streams"]

_WHAT = {"generations": "generations running", "streams": "streams open"}


@dataclass(frozen=True)
class Limits:
    generations: int
    streams: int
    retry_after_s: float

    def of(self, kind: Kind) -> int:
        return self.generations if kind == "generations" else self.streams


def over_limit(limits: Limits, kind: Kind) -> TooManyRequests:
    limit = limits.of(kind)
    return TooManyRequests(
        f"the organization has {limit} {_WHAT[kind]}, its limit; retry when one ends",
        retry_after_s=limits.retry_after_s,
    )


class Lease:
    """One unit of an organization's quota, held until released (releasing twice is fine;
    a release is finished even when the task releasing it is being cancelled)."""

    def __init__(self, give_back: Callable[[], Awaitable[None]]) -> None:
        self._give_back: Callable[[], Awaitable[None]] | None = give_back

    async def release(self) -> None:
        give_back, self._give_back = self._give_back, None
        if give_back is not None:
            with anyio.CancelScope(shield=True):
                await give_back()


class Quotas(Protocol):
    async def take(self, organization_id: int, kind: Kind) -> Lease:
        """One unit of `kind` for the organization; TooManyRequests at its limit."""
        ...


class LocalQuotas:
    """Counts in this process (the embedded default: one process)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._held: Counter[tuple[int, Kind]] = Counter()

    async def take(self, organization_id: int, kind: Kind) -> Lease:
        key = (organization_id, kind)
        if self._held[key] >= self.limits.of(kind):
            raise over_limit(self.limits, kind)
        self._held[key] += 1
        return Lease(functools.partial(self._give_back, key))

    async def _give_back(self, key: tuple[int, Kind]) -> None:
        self._held[key] -= 1
        if self._held[key] <= 0:
            del self._held[key]
