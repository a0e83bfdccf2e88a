"""The AIMD limit of a plan's weeks: it grows while first answers come as quickly as the
quickest, halves once per round on a slow answer or an overload, and stays in bounds."""

from __future__ import annotations

import time

from coach.engines.llm.adaptive import AdaptiveLimit


def _answered_after(limit: AdaptiveLimit, seconds: float) -> None:
    limit.responded(time.monotonic() - seconds)


def test_it_doubles_each_round_while_the_server_keeps_up_up_to_the_ceiling() -> None:
    limit = AdaptiveLimit(4, 10)
    for _ in range(4):
        _answered_after(limit, 1.0)
    assert limit.limit == 8
    for _ in range(10):
        _answered_after(limit, 1.2)
    assert limit.limit == 10


def test_a_slow_answer_halves_it_once_then_it_grows_additively() -> None:
    limit = AdaptiveLimit(8, 32)
    _answered_after(limit, 1.0)
    sent_before = time.monotonic() - 5.0
    limit.responded(sent_before)  # 5x the quickest: the server is falling behind
    assert limit.limit == 4.5
    limit.responded(sent_before)  # sent at the old limit: not counted again
    limit.overloaded(sent_before)
    assert limit.limit == 4.5
    _answered_after(limit, 1.0)
    assert 4.5 < limit.limit < 5


def test_an_overload_never_takes_it_below_one() -> None:
    limit = AdaptiveLimit(1, 4)
    for _ in range(5):
        limit.overloaded(time.monotonic())
    assert limit.limit == 1
