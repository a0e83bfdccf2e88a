"""The AIMD limit of a plan's weeks: it starts at its ceiling, halves once per round on a
slow answer or an overload, grows back additively, and stays in bounds."""

from __future__ import annotations

import time

from coach.engines.llm.adaptive import AdaptiveLimit


def _answered_after(limit: AdaptiveLimit, seconds: float) -> None:
    limit.responded(time.monotonic() - seconds)


def test_it_starts_at_the_ceiling_and_stays_there_while_the_server_keeps_up() -> None:
    limit = AdaptiveLimit(10)
    assert limit.limit == 10
    for _ in range(10):
        _answered_after(limit, 1.2)
    assert limit.limit == 10


def test_a_slow_answer_halves_it_once_then_it_grows_additively() -> None:
    limit = AdaptiveLimit(8)
    _answered_after(limit, 1.0)
    sent_before = time.monotonic() - 5.0
    limit.responded(sent_before)  # 5x the quickest: the server is falling behind
    assert limit.limit == 4
    limit.responded(sent_before)  # sent at the old limit: not counted again
    limit.overloaded(sent_before)
    assert limit.limit == 4
    _answered_after(limit, 1.0)  # sent before the halving: says nothing either way
    assert limit.limit == 4
    limit.responded(time.monotonic())
    assert limit.limit == 4.25
    for _ in range(100):
        limit.responded(time.monotonic())
    assert limit.limit == 8


def test_jitter_on_quick_answers_is_not_a_slowdown() -> None:
    limit = AdaptiveLimit(8)
    _answered_after(limit, 0.005)
    _answered_after(limit, 0.05)  # 10x the quickest, but within the slack
    assert limit.limit == 8


def test_an_overload_never_takes_it_below_one() -> None:
    limit = AdaptiveLimit(4)
    for _ in range(5):
        limit.overloaded(time.monotonic())
    assert limit.limit == 1
