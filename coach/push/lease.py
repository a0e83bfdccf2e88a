"""Holding claimed outbox rows while they are worked on: the lease, renewed until the claim's
deadline, and the fence before each provider call.

A claim leases its rows for `COACH_PUSH_LEASE_S`. A push can take longer (a slow provider,
the inline retries of a request), so the holder renews the lease every third of it, but
never past the claim's deadline: a claim cannot keep rows from everyone else longer than
`COACH_PUSH_CLAIM_MAX_S`. Just before each provider call the holder renews the rows it is
about to work on and works only on those it still holds (the claim token is the fence:
another worker's claim, a delete or a disconnect replaces or clears it).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Collection

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow, utcnow

log = logging.getLogger("coach.push")


def _held(
    row_ids: Collection[int], token: str, statuses: Collection[str] | None
) -> ColumnElement[bool]:
    held = col(PlannedWorkoutRow.id).in_(list(row_ids)) & (
        col(PlannedWorkoutRow.claim_token) == token
    )
    if statuses is not None:
        held = held & col(PlannedWorkoutRow.status).in_(list(statuses))
    return held


def renew(
    session: Session,
    row_ids: Collection[int],
    token: str,
    lease_s: float,
    *,
    until: dt.datetime | None = None,
    statuses: Collection[str] | None = ("queued",),
) -> set[int]:
    """Extend the lease of the rows still held with `token` (in `statuses`), never past
    `until`; return their ids."""
    if not row_ids:
        return set()
    lease = utcnow() + dt.timedelta(seconds=lease_s)
    if until is not None:
        lease = min(lease, until)
    session.execute(
        update(PlannedWorkoutRow)
        .where(_held(row_ids, token, statuses))
        .values(lease_until=lease)
        .execution_options(synchronize_session=False)
    )
    return {
        i
        for i in session.exec(select(PlannedWorkoutRow.id).where(_held(row_ids, token, statuses)))
        if i is not None
    }


@contextlib.asynccontextmanager
async def kept_leased(
    db: Database,
    row_ids: Collection[int],
    token: str,
    lease_s: float,
    *,
    until: dt.datetime | None = None,
) -> AsyncIterator[None]:
    """Renew the rows' lease every third of it while the body runs (up to `until`)."""

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(lease_s / 3)
            try:
                await db.run(
                    lambda s: renew(s, row_ids, token, lease_s, until=until, statuses=None)
                )
            except Exception:  # the fence before each call still protects the rows
                log.warning(
                    "could not renew the lease of %d planned workouts", len(row_ids), exc_info=True
                )

    task = asyncio.create_task(heartbeat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
