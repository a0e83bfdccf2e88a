"""The one back-off curve: waits double to a cap, Retry-After rules (capped), budgets end it."""

from __future__ import annotations

import pytest

from coach.providers.base import ProviderError, ProviderRateLimited, ProviderTimeout
from coach.providers.retry import RETRY_AFTER_CAP_S, RetryPolicy, retry_inline
from tests.emulators.clock import FakeClock

BAD_GATEWAY = ProviderError("bad gateway", retryable=True, provider_status=502)
BAD_REQUEST = ProviderError("bad request", provider_status=400)


def test_waits_double_from_the_base_up_to_the_cap_less_a_quarter_at_most() -> None:
    longest = RetryPolicy(base_s=1.0, cap_s=20.0, rand=lambda: 0.0)
    shortest = RetryPolicy(base_s=1.0, cap_s=20.0, rand=lambda: 1.0)
    assert [longest.retry_in(n, BAD_GATEWAY) for n in range(1, 8)] == [1, 2, 4, 8, 16, 20, 20]
    assert [shortest.retry_in(n, BAD_GATEWAY) for n in range(1, 4)] == [0.75, 1.5, 3.0]


def test_retry_after_is_followed_up_to_an_hour() -> None:
    policy = RetryPolicy(base_s=1.0)
    assert policy.retry_in(1, ProviderRateLimited("429", retry_after=42.0)) == 42.0
    assert policy.retry_in(1, ProviderError("503", retryable=True, retry_after=0.0)) == 0.0
    days = ProviderRateLimited("429", retry_after=86400.0 * 3)
    assert policy.retry_in(1, days) == RETRY_AFTER_CAP_S == 3600.0


def test_final_errors_and_spent_attempts_give_up() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.retry_in(1, BAD_REQUEST) is None
    assert policy.retry_in(2, BAD_GATEWAY) is not None
    assert policy.retry_in(3, BAD_GATEWAY) is None
    assert policy.retry_in(1, ProviderTimeout("no answer")) is not None


def test_rows_failing_together_share_one_wait_but_keep_their_own_count() -> None:
    policy = RetryPolicy(max_attempts=4, base_s=1.0, rand=lambda: 0.0)
    assert policy.schedule([1, 3, 4], BAD_GATEWAY) == [4.0, 4.0, None]


def test_a_waiting_caller_gives_up_rather_than_overspend_its_budget() -> None:
    policy = RetryPolicy(base_s=1.0, rand=lambda: 0.0).limited(max_attempts=5, wait_budget_s=5.0)
    assert policy.retry_in(2, BAD_GATEWAY, waited=1.0) == 2.0
    assert policy.retry_in(3, BAD_GATEWAY, waited=3.0) is None  # 3 + 4 > 5
    assert policy.retry_in(1, ProviderRateLimited("429", retry_after=30.0)) is None


@pytest.mark.anyio
async def test_retry_inline_sleeps_the_curve_and_raises_the_last_error(clock: FakeClock) -> None:
    calls: list[bool] = []

    async def always_failing(again: bool) -> None:
        calls.append(again)
        raise BAD_GATEWAY

    policy = RetryPolicy(max_attempts=4, base_s=0.5, rand=lambda: 0.0)
    with pytest.raises(ProviderError) as caught:
        await retry_inline(always_failing, policy, clock)
    assert caught.value is BAD_GATEWAY
    assert calls == [False, True, True, True]
    assert clock.slept == 0.5 + 1.0 + 2.0
