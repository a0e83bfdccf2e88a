"""Splits a week's volume over its days: quality sessions, one long session, easy days."""

from __future__ import annotations

from coach.principles import PrincipleRules

QUALITY_MINUTES = {"beginner": 45, "intermediate": 60, "advanced": 70}
MIN_MINUTES = {"running": 20, "cycling": 30, "swimming": 20, "triathlon": 20}
_RACE_WEEK_EASY = {"beginner": 30, "intermediate": 40, "advanced": 45}
_RECOVERY_WEIGHT = 0.7  # a recovery day after the long run is shorter than an easy day


def floor5(minutes: float) -> int:
    return int(minutes // 5 * 5)


def mark_recovery_days(roles: tuple[tuple[int, str], ...]) -> tuple[tuple[int, str], ...]:
    """The easy day right after the long session becomes a recovery day."""
    long_days = {d for d, r in roles if r == "long"}
    # The week repeats, so day 1 follows the usual day-7 long session of the week before.
    return tuple(
        (d, "recovery" if r == "easy" and ((d - 2) % 7) + 1 in long_days else r) for d, r in roles
    )


def distribute(
    volume: int,
    roles: tuple[tuple[int, str], ...],
    *,
    level: str,
    sport: str,
    rules: PrincipleRules,
    kind: str,
) -> tuple[tuple[tuple[int, str], ...], dict[int, int]]:
    """Roles and minutes per training day (race days excluded), at most `volume` in all.

    The long session stays within long_run_max_share of what the week really holds: with
    few training days the easy days cannot absorb the rest, so the week gets smaller rather
    than the long run taking a larger share. A long session that would end up shorter than
    the quality sessions is no long session: that day becomes an easy day.
    """
    minimum = MIN_MINUTES[sport]
    quality_days = [d for d, r in roles if r == "quality"]
    long_days = [d for d, r in roles if r == "long"]
    easy_days = [
        (d, _RECOVERY_WEIGHT if r == "recovery" else 1.0)
        for d, r in roles
        if r in ("easy", "recovery")
    ]
    quality_min = QUALITY_MINUTES[level] + (30 if sport == "cycling" else 0)
    if kind != "load":
        quality_min = floor5(quality_min * 0.85)
    if quality_days:
        # Quality sessions grow with the week so they never crowd out the easy running.
        quality_min = max(
            35, min(quality_min, max(40, floor5(volume * 0.2)), floor5(volume * 0.35))
        )
    long_cap = rules.long_run_max_minutes * (2 if sport == "cycling" else 1)
    if sport == "swimming":
        long_cap = min(long_cap, 90)
    share = rules.long_run_max_share
    effective = volume
    minutes: dict[int, int] = {}
    for _ in range(12):
        long_min = min(floor5(share * effective), long_cap) if long_days else 0
        if kind == "race":
            easy_cap = _RACE_WEEK_EASY[level]
        elif long_days:
            easy_cap = max(long_min, minimum)
        else:
            easy_cap = max(minimum, long_cap // 2)
        rest = volume - long_min - quality_min * len(quality_days)
        weight = sum(w for _, w in easy_days) or 1.0
        minutes = {d: quality_min for d in quality_days}
        minutes.update({d: long_min for d in long_days})
        for day, w in easy_days:
            minutes[day] = min(easy_cap, max(minimum, floor5(rest * w / weight)))
        total = sum(minutes.values())
        # Hand out what flooring left over, 5 minutes at a time, full-weight days first.
        changed = True
        while total + 5 <= volume and changed:
            changed = False
            for day, w in sorted(easy_days, key=lambda x: (-x[1], x[0])):
                cap = easy_cap if w == 1.0 else max(minimum, floor5(easy_cap * w))
                if minutes[day] + 5 <= cap and total + 5 <= volume:
                    minutes[day] += 5
                    total += 5
                    changed = True
        if not long_days or long_min <= share * total + 1e-9:
            break
        effective = total
    if long_days and (long_min < minimum or (quality_days and long_min < quality_min)):
        easy_roles = tuple((d, "easy" if r == "long" else r) for d, r in roles)
        return distribute(volume, easy_roles, level=level, sport=sport, rules=rules, kind=kind)
    return roles, minutes


def cap_increase(
    minutes: dict[int, int], roles: tuple[tuple[int, str], ...], allowed: int, sport: str
) -> dict[int, int]:
    """Trim easy days 5 minutes at a time until the week fits under `allowed` minutes.

    Minimum session lengths can push a small week over the weekly-increase cap; the cap is
    the rule, so the easy running gives way.
    """
    minimum = MIN_MINUTES[sport]
    trimmed = dict(minutes)
    easy = [d for d, r in roles if r in ("easy", "recovery")]
    while sum(trimmed.values()) > allowed:
        day = max(easy, key=lambda d: (trimmed[d], -d), default=None)
        if day is None or trimmed[day] - 5 < minimum:
            break
        trimmed[day] -= 5
    return trimmed
