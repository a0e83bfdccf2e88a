"""Lays out the weeks: phases (base, build, peak, taper), recovery weeks, taper shares."""

from __future__ import annotations

from dataclasses import dataclass

from coach.plans.models import Phase
from coach.principles import PrincipleRules

_BLOCKS: tuple[Phase, ...] = ("base", "build", "peak")


@dataclass(frozen=True)
class WeekFrame:
    week: int
    phase: Phase  # the phase the plan shows: base, build, peak, taper or recovery
    block: str  # the training block the week belongs to (base, build, peak, taper)
    kind: str  # load, recovery, taper or race
    progress: float  # 0..1 through the weeks before the taper
    taper_share: float = 1.0  # volume share of peak, taper and race weeks only


def taper_length(weeks: int, rules: PrincipleRules, *, race: bool, no_taper: bool) -> int:
    """Short plans get a shorter taper; a race week is always a taper week."""
    if no_taper and not race:
        return 0
    if weeks == 1:
        return 1 if race else 0
    if weeks < 6:
        wanted = 1
    elif weeks < 10:
        wanted = min(rules.taper_weeks, 1)
    elif weeks < 16:
        wanted = min(rules.taper_weeks, 2)
    else:
        wanted = rules.taper_weeks
    if no_taper:
        wanted = 0
    return max(wanted, 1 if race else 0)


def _block_counts(weeks: int, shares: dict[str, float]) -> list[int]:
    if weeks <= 0:
        return [0, 0, 0]
    if weeks < 3:
        return [1, weeks - 1, 0]
    raw = [max(shares.get(b, 0.0), 0.0) for b in _BLOCKS]
    total = sum(raw) or 1.0
    exact = [weeks * r / total for r in raw]
    counts = [max(1, int(x)) for x in exact]
    # Largest remainder, then trim from the largest block, so the counts add up.
    while sum(counts) < weeks:
        i = max(range(3), key=lambda j: (exact[j] - counts[j], -j))
        counts[i] += 1
    while sum(counts) > weeks:
        i = max(range(3), key=lambda j: (counts[j], -j))
        counts[i] -= 1
    return counts


def lay_out(weeks: int, rules: PrincipleRules, *, race: bool, no_taper: bool) -> list[WeekFrame]:
    taper = taper_length(weeks, rules, race=race, no_taper=no_taper)
    loading = weeks - taper
    counts = _block_counts(loading, rules.phase_shares)
    blocks = [b for b, n in zip(_BLOCKS, counts, strict=True) for _ in range(n)]
    shares = list(rules.taper_volume) or [0.6]
    taper_shares = (
        (shares if len(shares) >= taper else [shares[0]] * (taper - len(shares)) + shares)[-taper:]
        if taper
        else []
    )
    frames: list[WeekFrame] = []
    for week in range(1, loading + 1):
        block = blocks[week - 1]
        progress = (week - 1) / max(1, loading - 1)
        # A recovery week never falls on the last week before the taper (or the plan's end).
        recovery = week % rules.recovery_week_every == 0 and week < loading
        frames.append(
            WeekFrame(
                week,
                "recovery" if recovery else block,
                block,
                "recovery" if recovery else "load",
                progress,
            )
        )
    for i, share in enumerate(taper_shares):
        week = loading + i + 1
        kind = "race" if race and week == weeks else "taper"
        frames.append(WeekFrame(week, "taper", "taper", kind, 1.0, share))
    return frames
