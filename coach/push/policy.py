"""The outbox's retry policies, from settings: the worker's, and the short one a request gets."""

from __future__ import annotations

from coach.providers.retry import RetryPolicy
from coach.settings import Settings


def outbox_policy(settings: Settings) -> RetryPolicy:
    """How the worker retries a row: `push_max_attempts` calls, waits doubling to the cap."""
    return RetryPolicy(
        max_attempts=settings.push_max_attempts,
        base_s=settings.push_backoff_base_s,
        cap_s=settings.push_backoff_cap_s,
    )


def copy_checks(settings: Settings) -> tuple[float, ...]:
    """When a workout pushed after an unanswered attempt is looked at again for late
    copies: seconds after its push."""
    return tuple(s for s in (settings.push_verify_after_s, settings.push_verify_again_s) if s > 0)


def inline_policy(settings: Settings) -> RetryPolicy:
    """The same curve for a request that waits for the provider: a few attempts, and no
    more back-off in all than `push_inline_wait_s` (a longer Retry-After gives up)."""
    return outbox_policy(settings).limited(
        max_attempts=settings.push_inline_attempts, wait_budget_s=settings.push_inline_wait_s
    )
