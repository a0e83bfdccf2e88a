"""What pushing a plan's revision to a connection changes: the workouts it wants against
the rows the connection has, matched by plan day and template content.

Pure: no database, no provider. A row stands for one plan day (week, day) and carries
the hash of the template it pushed; the marker on the provider is the row's idempotency
key, so whatever the diff decides for a row reaches the provider's copy of it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Wanted:
    """One workout of the revision being pushed, on the date the assignment gives it."""

    week: int
    day: int
    planned_date: dt.date
    content_hash: str
    template: dict[str, Any] = field(compare=False)

    @property
    def slot(self) -> tuple[int, int]:
        return (self.week, self.day)


@dataclass(frozen=True)
class Held:
    """A row of the assignment on the connection (queued, pushed or failed)."""

    row_id: int
    week: int
    day: int
    planned_date: dt.date
    content_hash: str
    failed: bool

    @property
    def slot(self) -> tuple[int, int]:
        return (self.week, self.day)


@dataclass
class Diff:
    """Each wanted workout and each held row lands in exactly one list."""

    unchanged: list[tuple[Wanted, Held]] = field(default_factory=list)
    # Same day and content, but its push failed: queued again.
    retries: list[tuple[Wanted, Held]] = field(default_factory=list)
    # Same content on another day or date: moved on the provider.
    moves: list[tuple[Wanted, Held]] = field(default_factory=list)
    # Same day, other content: the old copy removed, the new one created.
    replaces: list[tuple[Wanted, Held]] = field(default_factory=list)
    creates: list[Wanted] = field(default_factory=list)
    deletes: list[Held] = field(default_factory=list)


def diff(wanted: list[Wanted], held: list[Held]) -> Diff:
    """Match in three passes: the same day and content; the same content elsewhere (a
    moved workout, or a new start date), nearest date first; the same day with other
    content. What is left is created or deleted."""
    out = Diff()
    left_wanted = sorted(wanted, key=lambda w: (w.planned_date, w.slot))
    left_held = sorted(held, key=lambda h: (h.planned_date, h.slot, h.row_id))

    by_slot = {h.slot: h for h in left_held}
    rest: list[Wanted] = []
    for w in left_wanted:
        h = by_slot.get(w.slot)
        if h is not None and h.content_hash == w.content_hash:
            del by_slot[w.slot]
            if h.failed:
                out.retries.append((w, h))
            elif h.planned_date != w.planned_date:
                out.moves.append((w, h))
            else:
                out.unchanged.append((w, h))
        else:
            rest.append(w)
    matched = {h.row_id for _, h in out.unchanged + out.retries + out.moves}
    left_held = [h for h in left_held if h.row_id not in matched]

    by_content: dict[str, list[Held]] = defaultdict(list)
    for h in left_held:
        if not h.failed:  # a failed push is not on the provider to be moved
            by_content[h.content_hash].append(h)
    still: list[Wanted] = []
    for w in rest:
        candidates = by_content.get(w.content_hash)
        if candidates:
            nearest = min(candidates, key=lambda h: abs((h.planned_date - w.planned_date).days))
            candidates.remove(nearest)
            out.moves.append((w, nearest))
        else:
            still.append(w)
    moved = {h.row_id for _, h in out.moves}
    left_held = [h for h in left_held if h.row_id not in moved]

    by_slot = {h.slot: h for h in left_held}
    for w in still:
        h = by_slot.pop(w.slot, None)
        if h is not None:
            out.replaces.append((w, h))
        else:
            out.creates.append(w)
    replaced = {h.row_id for _, h in out.replaces}
    out.deletes = [h for h in left_held if h.row_id not in replaced]
    return out
