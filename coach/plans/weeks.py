"""Groups a plan's items (workouts, planned days) by the week they belong to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar


class InWeek(Protocol):
    @property
    def week(self) -> int: ...


T = TypeVar("T", bound=InWeek)


def by_week(items: Iterable[T]) -> dict[int, list[T]]:
    """The items of each week, in their order; weeks without items are absent."""
    weeks: dict[int, list[T]] = {}
    for item in items:
        weeks.setdefault(item.week, []).append(item)
    return weeks
