"""One push attempt of held outbox rows: the fence, one adapter call, the outcome recorded."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow, utcnow
from coach.providers.base import Provider, ProviderError, PushItem, PushResult
from coach.providers.retry import RetryPolicy
from coach.push.lease import renew
from coach.push.outbox import record_failure, record_pushed

log = logging.getLogger("coach.push")


@dataclass(frozen=True)
class Failed:
    """The attempt failed; `retry_in` None when no row will be tried again."""

    error: ProviderError
    retry_in: float | None


async def push_attempt(
    db: Database,
    adapter: Provider,
    chunk: Sequence[tuple[PlannedWorkoutRow, PushItem]],
    *,
    token: str,
    lease_s: float,
    reconcile: bool,
    policy: RetryPolicy,
    hold: bool = False,
    waited: float = 0.0,
) -> list[PushResult] | Failed | None:
    """Push the rows still held with `token` in one adapter call, and record the outcome.

    Returns the results (in chunk order), or how it failed; None when another claim has
    taken every row meanwhile (nothing was pushed). A failure is classified by `policy`
    from the error and the attempts so far (`waited`: back-off already spent by the
    caller); `hold` keeps the claim for a caller that makes the next attempt itself. The
    in-memory rows' `attempts` follow what was recorded.
    """
    ids = [row.id or 0 for row, _ in chunk]
    # The fence: push only rows no other worker has claimed meanwhile.
    held = await db.run(lambda s: renew(s, ids, token, lease_s))
    chunk = [(row, item) for row, item in chunk if row.id in held]
    if not chunk:
        return None
    try:
        results = await adapter.push_many([item for _, item in chunk], reconcile=reconcile)
    except ProviderError as exc:
        waits = policy.schedule([row.attempts + 1 for row, _ in chunk], exc, waited=waited)
        retry_in = next((w for w in waits if w is not None), None)
        log.warning(
            "push of %d workouts to %s failed (%s): %s",
            len(chunk),
            adapter.name,
            "final" if retry_in is None else f"retry in {retry_in:.1f} s",
            exc.message,
        )

        error = exc.message

        def failed(session: Session) -> None:
            now = utcnow()
            for (row, _), wait in zip(chunk, waits, strict=True):
                record_failure(session, row.id or 0, error=error, retry_in=wait, hold=hold, now=now)

        await db.run(failed)
        for row, _ in chunk:
            row.attempts += 1
        return Failed(exc, retry_in)

    def pushed(session: Session) -> None:
        for (row, _), result in zip(chunk, results, strict=True):
            record_pushed(
                session,
                row.id or 0,
                provider_workout_id=result.provider_workout_id,
                warnings=[w.model_dump(mode="json") for w in result.warnings],
                artifact=result.artifact,
            )

    await db.run(pushed)
    return results
