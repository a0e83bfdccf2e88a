"""Holding claimed planned-workout rows while they are pushed.

A claim leases rows for `push_lease_s`. A push can outlast that (a slow provider, a rate
limiter's wait, retries), and another worker would then claim the same rows and push them
again. So while rows are being pushed their lease is renewed in the background, and just
before each provider call the worker renews the rows it is about to push and pushes only
those it still holds (the claim token is the fence: another worker's claim replaces it).
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


def _held(row_ids: Collection[int], token: str) -> ColumnElement[bool]:
    return (
        col(PlannedWorkoutRow.id).in_(list(row_ids))
        & (col(PlannedWorkoutRow.claim_token) == token)
        & (col(PlannedWorkoutRow.status) == "queued")
    )


def renew(session: Session, row_ids: Collection[int], token: str, lease_s: float) -> set[int]:
    """Extend the lease of the rows still held with `token`; return their ids."""
    if not row_ids:
        return set()
    session.execute(
        update(PlannedWorkoutRow)
        .where(_held(row_ids, token))
        .values(lease_until=utcnow() + dt.timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    return {
        i
        for i in session.exec(select(PlannedWorkoutRow.id).where(_held(row_ids, token)))
        if i is not None
    }


@contextlib.asynccontextmanager
async def kept_leased(
    db: Database, row_ids: Collection[int], token: str, lease_s: float
) -> AsyncIterator[None]:
    """Renew the rows' lease every third of it while the body runs."""

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(lease_s / 3)
            try:
                await db.run(lambda s: renew(s, row_ids, token, lease_s))
            except Exception:  # the fence before each push still protects the rows
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
