"""The one back-off curve: after a failed provider call, try again in N seconds or give up."""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from coach.providers.base import Clock, ProviderError

T = TypeVar("T")

# A provider's Retry-After is followed up to this; beyond it a hostile or broken header
# would park a workout (or a rate limiter) for days.
RETRY_AFTER_CAP_S = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """Given the attempts made so far and how the last one failed: wait, or give up.

    Adapters make one attempt per call and classify the failure (`ProviderError.retryable`,
    `retry_after`); whoever drives the attempts (the outbox, or a request waiting for a
    move) asks this policy and nothing else.
    """

    max_attempts: int = 10
    base_s: float = 1.0
    cap_s: float = 300.0
    retry_after_cap_s: float = RETRY_AFTER_CAP_S
    # The total of all waits one caller may spend (a request that answers when done).
    wait_budget_s: float = math.inf
    # Up to this share of each wait is taken off at random, so rows that failed together
    # don't all come back in the same instant.
    jitter: float = 0.25
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def backoff(self, attempts: int) -> float:
        """`base_s` doubled per failed attempt after the first, at most `cap_s`, less jitter."""
        full = min(self.cap_s, self.base_s * 2.0 ** max(0, attempts - 1))
        return full * (1.0 - self.jitter * self.rand())

    def wait(self, attempts: int, error: ProviderError) -> float:
        """The provider's Retry-After when it gave one (capped), else the back-off."""
        if error.retry_after is not None:
            return min(max(0.0, error.retry_after), self.retry_after_cap_s)
        return self.backoff(attempts)

    def gives_up(self, attempts: int, error: ProviderError) -> bool:
        return not error.retryable or attempts >= self.max_attempts

    def schedule(
        self, attempts: Sequence[int], error: ProviderError, *, waited: float = 0.0
    ) -> list[float | None]:
        """For items that failed together in one call (attempts made so far, this one
        counted): seconds until each is tried again, None for those that give up.

        They share one wait, so a batch comes back as one batch; each keeps its own count.
        """
        going = [a for a in attempts if not self.gives_up(a, error)]
        if not going:
            return [None] * len(attempts)
        wait = self.wait(max(going), error)
        if waited + wait > self.wait_budget_s:
            return [None] * len(attempts)
        return [None if self.gives_up(a, error) else wait for a in attempts]

    def retry_in(self, attempts: int, error: ProviderError, *, waited: float = 0.0) -> float | None:
        return self.schedule([attempts], error, waited=waited)[0]

    def limited(self, *, max_attempts: int, wait_budget_s: float) -> RetryPolicy:
        """The same curve with a tighter budget (for a caller that cannot wait long)."""
        return replace(
            self,
            max_attempts=min(self.max_attempts, max_attempts),
            wait_budget_s=min(self.wait_budget_s, wait_budget_s),
        )


async def retry_inline(
    call: Callable[[bool], Awaitable[T]], policy: RetryPolicy, clock: Clock
) -> T:
    """Await `call(again)` until it succeeds or the policy gives up (the last error is raised).

    `again` is True after a failed attempt, which may have reached the provider: a call
    that creates passes it on as `reconcile`.
    """
    attempts = 0
    waited = 0.0
    while True:
        try:
            return await call(attempts > 0)
        except ProviderError as exc:
            attempts += 1
            retry_in = policy.retry_in(attempts, exc, waited=waited)
            if retry_in is None:
                raise
        await clock.sleep(retry_in)
        waited += retry_in
