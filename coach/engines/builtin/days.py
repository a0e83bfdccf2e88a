"""Chooses a week's training days and which of them are quality, long and easy days."""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

Roles = tuple[tuple[int, str], ...]  # (day 1..7, role) sorted by day


def _adjacent(a: int, b: int) -> bool:
    # Days 7 and 1 are adjacent: the week repeats, and day 7 touches next week's day 1.
    return (a - b) % 7 in (1, 6)


def _gaps(days: tuple[int, ...]) -> list[int]:
    return [((days[(i + 1) % len(days)] - d) % 7) or 7 for i, d in enumerate(days)]


@lru_cache(maxsize=1024)
def choose_roles(
    available: tuple[int, ...],
    n: int,
    quality: int,
    want_long: bool,
    weekdays: tuple[int, ...],
    long_weekday: int,
    race_day: int | None = None,
    first_day_free: bool = False,
) -> Roles | None:
    """The best-scoring week: `n` days from `available` (plus the race day), `quality`
    hard days never adjacent to each other or the race, one long day if wanted.

    `weekdays[d - 1]` is the weekday (Monday = 0) of day d; `first_day_free` forbids a hard
    day 1 because the previous week ended with one. None when no layout fits.
    """
    pool = tuple(d for d in available if d != race_day)
    fixed = (race_day,) if race_day else ()
    take = n - len(fixed)
    if take < 0 or take > len(pool):
        return None
    best: tuple[float, Roles] | None = None
    for chosen in combinations(pool, take):
        days = tuple(sorted(chosen + fixed))
        spread = -sum((g - 7 / len(days)) ** 2 for g in _gaps(days)) if days else 0.0
        longs: tuple[int | None, ...] = tuple(chosen) if want_long else (None,)
        for long_day in longs:
            rest = [d for d in chosen if d != long_day]
            for hard in combinations(rest, quality):
                hard_all = hard + fixed
                if first_day_free and 1 in hard_all:
                    continue
                if any(_adjacent(a, b) for a, b in combinations(hard_all, 2)):
                    continue
                score = spread + _long_score(long_day, hard, weekdays, long_weekday)
                if len(hard_all) >= 2:
                    score += 0.5 * min(
                        ((b - a) % 7) or 7 for a in hard_all for b in hard_all if a != b
                    )
                if best is None or score > best[0] + 1e-9:
                    roles = tuple(
                        (
                            d,
                            "race"
                            if d == race_day
                            else "long"
                            if d == long_day
                            else "quality"
                            if d in hard
                            else "easy",
                        )
                        for d in days
                    )
                    best = (score, roles)
    return best[1] if best else None


def _long_score(
    long_day: int | None, hard: tuple[int, ...], weekdays: tuple[int, ...], long_weekday: int
) -> float:
    if long_day is None:
        return 0.0
    score = 0.0
    distance = min(
        (weekdays[long_day - 1] - long_weekday) % 7, (long_weekday - weekdays[long_day - 1]) % 7
    )
    score += {0: 4.0, 1: 1.5}.get(distance, 0.0)
    for day in hard:
        if (long_day - day) % 7 == 1:
            score -= 3.0  # hard the day before the long run
        elif (day - long_day) % 7 == 1:
            score -= 2.0  # hard the day after the long run
    return score
