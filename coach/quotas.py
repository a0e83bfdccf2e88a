"""Per-organization limits on concurrent work: generations running, streams open.

Every tenant is untrusted, so none may take all of a shared resource: a request over its
organization's limit is refused at once (429 with Retry-After) instead of queueing behind
the others. The counts here are this process's; a shared store (for several processes)
implements the same `Quotas` interface.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

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


class Lease:
    """One unit of an organization's quota, held until released (releasing twice is fine)."""

    def __init__(self, give_back: Callable[[], None]) -> None:
        self._give_back: Callable[[], None] | None = give_back

    def release(self) -> None:
        give_back, self._give_back = self._give_back, None
        if give_back is not None:
            give_back()


class Quotas(Protocol):
    def take(self, organization_id: int, kind: Kind) -> Lease:
        """One unit of `kind` for the organization; TooManyRequests at its limit."""
        ...


class LocalQuotas:
    """Counts in this process (the embedded default: one process)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._held: Counter[tuple[int, Kind]] = Counter()

    def take(self, organization_id: int, kind: Kind) -> Lease:
        key = (organization_id, kind)
        limit = self.limits.of(kind)
        if self._held[key] >= limit:
            raise TooManyRequests(
                f"the organization has {limit} {_WHAT[kind]}, its limit; retry when one ends",
                retry_after_s=self.limits.retry_after_s,
            )
        self._held[key] += 1
        return Lease(lambda: self._give_back(key))

    def _give_back(self, key: tuple[int, Kind]) -> None:
        self._held[key] -= 1
        if self._held[key] <= 0:
            del self._held[key]
