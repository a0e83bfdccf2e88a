"""Looking for late copies of pushed workouts, and removing them.

A call cut off (or timed out, or dropped) after it was sent may commit at the provider
after the row's retry made the workout again; the retry's look by marker could not see
it, and providers such as Terra have no idempotency key to refuse it. So a row pushed
after such an attempt is looked for again later (its `verify_at`): the adapter lists
every workout carrying the row's marker on every date an attempt used, and every one
but the copy the row records is removed. The count removed is kept on the row (and
shown on its job).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from sqlmodel import Session

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow
from coach.providers.base import Provider, ProviderError, PushItem
from coach.providers.retry import RetryPolicy
from coach.push.attempt import guarded
from coach.push.items import item_for
from coach.push.lease import renew
from coach.push.outbox import PUSHED, progress_of, record_check_failed, record_checked

log = logging.getLogger("coach.push")


async def check_copies(
    db: Database,
    adapter: Provider,
    rows: Sequence[PlannedWorkoutRow],
    *,
    token: str,
    lease_s: float,
    policy: RetryPolicy,
    cutoff_s: float = math.inf,
) -> int:
    """Look for the held rows' copies and remove every one but each row's own; the
    number removed. A failed look comes back later (`policy`'s back-off)."""
    ids = [r.id or 0 for r in rows]
    held = await db.run(lambda s: renew(s, ids, token, lease_s, statuses=(PUSHED,)))
    chunk: list[tuple[PlannedWorkoutRow, PushItem]] = []
    for row in rows:
        item = item_for(row, {}, lookup_only=True)
        if row.id in held and item is not None:
            chunk.append((row, item))
    if not chunk:
        return 0
    extras: dict[int, list[str]] = {}

    async def look_and_remove() -> None:
        copies = await adapter.find_copies([item for _, item in chunk])
        for row, item in chunk:
            found = {c.provider_workout_id for c in copies.get(item.idempotency_key, [])}
            own = row.provider_workout_id
            extras[row.id or 0] = sorted(found - {own}) if own else []
        late = [pid for pids in extras.values() for pid in pids]
        if late:
            await adapter.delete_copies(late)

    try:
        await guarded(adapter.name, look_and_remove, cutoff_s)
    except ProviderError as exc:
        wait, note = exc.retry_after or 0.0, exc.message
        looked = [row for row, _ in chunk]
        await db.run(lambda s: check_failed(s, looked, token, policy, note, wait_s=wait))
        return 0

    def checked(session: Session) -> None:
        for row, _ in sorted(chunk, key=lambda pair: pair[0].id or 0):
            removed = len(extras.get(row.id or 0, []))
            record_checked(session, row.id or 0, token, removed=removed)

    await db.run(checked)
    removed = 0
    for row, _ in chunk:
        late = extras.get(row.id or 0, [])
        if late:
            removed += len(late)
            log.warning(
                "planned workout %s: removed %d late copies from %s (%s)",
                row.id,
                len(late),
                adapter.name,
                ", ".join(late),
            )
    return removed


def is_check(row: PlannedWorkoutRow) -> bool:
    """A claimed pushed row there for a look for late copies (not for a move)."""
    return row.status == PUSHED and row.provider_date in (None, row.planned_date)


def check_failed(
    session: Session,
    rows: Sequence[PlannedWorkoutRow],
    token: str,
    policy: RetryPolicy,
    note: str,
    *,
    wait_s: float = 0.0,
) -> None:
    """The rows' look failed (`note` says why): each comes back on `policy`'s back-off
    (at least `wait_s`), and gives that look up after `policy.max_attempts` failures."""
    for row in sorted(rows, key=lambda r: r.id or 0):
        failures = int(progress_of(row).get("check_failures", 0)) + 1
        wait = max(wait_s, policy.backoff(failures))
        given_up = record_check_failed(
            session, row.id or 0, token, retry_in=wait, max_failures=policy.max_attempts
        )
        if given_up:
            log.warning("planned workout %s: gave up a look for late copies: %s", row.id, note)
