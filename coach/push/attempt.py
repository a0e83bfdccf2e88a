"""One attempt on held outbox rows: the fence, one adapter call under a deadline, the outcome
recorded by compare-and-set.

Whatever goes wrong inside the call is that attempt's failure, classified and counted on
the rows it was for: a provider error as the adapter classified it, any other exception
as a retryable failure whose outcome is unknown (the request may have left). A call cut
off by its deadline is unknown too. An unknown outcome is never failed blind: when the
retries run out, the row gets a look-up by its marker instead (`verify`), and it fails
only if the workout is not found there.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import anyio
from sqlmodel import Session

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow, utcnow
from coach.providers.base import (
    Provider,
    ProviderError,
    ProviderTimeout,
    PushItem,
    PushResult,
    RateLimitDeferred,
)
from coach.providers.retry import RetryPolicy
from coach.push.lease import renew
from coach.push.outbox import (
    DELETING,
    PUSHED,
    progress_of,
    record_change_failure,
    record_deleted,
    record_failure,
    record_found_nothing,
    record_moved,
    record_pushed,
)
from coach.push.outbox import defer as defer_rows

log = logging.getLogger("coach.push")
T = TypeVar("T")

Chunk = Sequence[tuple[PlannedWorkoutRow, PushItem]]


@dataclass(frozen=True)
class Failed:
    """The attempt failed; `retry_in`: when this caller's rows are due again (None: none
    of them will be, by this caller). `handed_off`: the outcome is unknown and a row went
    back to the push worker, which looks for it before anything else."""

    error: ProviderError
    retry_in: float | None
    handed_off: bool = False


@dataclass(frozen=True)
class Deferred:
    """Nothing was sent: the provider account has no request slot for `wait_s`."""

    error: RateLimitDeferred
    wait_s: float


@dataclass(frozen=True)
class Split:
    """The provider refused the batch as a whole: its halves go out on their own, so one
    refused workout costs none of the others an attempt."""


Outcome = list[PushResult] | Failed | Deferred | Split | None


def unexpected(provider: str, exc: BaseException) -> ProviderError:
    """An exception that is no provider error (a bug, an answer an adapter did not
    expect): the details go to the log; the row gets our words and a retry."""
    log.error("unexpected error in a %s call", provider, exc_info=exc)
    return ProviderError(
        f"{provider}: unexpected error while calling it (push_internal_error)",
        retryable=True,
        unknown=True,
        code="push_internal_error",
        provider=provider,
    )


def cut_off(provider: str) -> ProviderError:
    return ProviderTimeout(
        f"{provider} did not answer before the claim's deadline (provider_timeout)",
        provider=provider,
    )


async def guarded(provider: str, call: Callable[[], Awaitable[T]], cutoff_s: float) -> T:
    """`call()` under a deadline; every failure a ProviderError (RateLimitDeferred too)."""
    try:
        with anyio.fail_after(cutoff_s):
            return await call()
    except ProviderError:
        raise
    except TimeoutError as exc:
        raise cut_off(provider) from exc
    except Exception as exc:
        raise unexpected(provider, exc) from exc


async def push_attempt(
    db: Database,
    adapter: Provider,
    chunk: Chunk,
    *,
    token: str,
    lease_s: float,
    reconcile: bool,
    policy: RetryPolicy,
    outbox: RetryPolicy | None = None,
    hold: bool = False,
    waited: float = 0.0,
    earlier_unknown: bool = False,
    cutoff_s: float = math.inf,
    checks: Sequence[float] = (),
) -> Outcome:
    """Push the rows still held with `token` in one adapter call, and record the outcome.

    Returns the results (in chunk order), how it failed, or None when another claim (or
    a delete, a disconnect) has taken every row meanwhile (nothing was pushed). A failure
    is classified by `policy` from the error and the attempts so far (`waited`: back-off
    already spent by the caller); `hold` keeps the claim for a caller that makes the next
    attempt itself. When the worker's `policy` gives up on a retryable failure, a look-up
    by marker decides the row (it may be there from an earlier attempt); when a request's
    does (`outbox`: the worker's policy) on an outcome that is unknown, now or in an
    earlier attempt (`earlier_unknown`), the row goes to the worker instead of failing.
    The in-memory rows' `attempts` follow what was recorded. `checks`: when a row pushed
    after an unanswered attempt is looked at again for late copies (seconds from now).
    """
    ids = [row.id or 0 for row, _ in chunk]
    # The fence: push only rows no other worker has claimed meanwhile.
    held = await db.run(lambda s: renew(s, ids, token, lease_s))
    chunk = [(row, item) for row, item in chunk if row.id in held]
    if not chunk:
        return None
    items = [item for _, item in chunk]
    try:
        results = await guarded(
            adapter.name, lambda: adapter.push_many(items, reconcile=reconcile), cutoff_s
        )
        if len(results) != len(chunk):
            raise unexpected(adapter.name, ValueError("results do not match the items"))
    except RateLimitDeferred as exc:
        wait, note, deferred = exc.retry_after or 0.0, exc.message, exc
        if not hold:
            await db.run(
                lambda s: defer_rows(
                    s, [r.id or 0 for r, _ in chunk], token, wait_s=wait, error=note
                )
            )
        return Deferred(deferred, wait)
    except ProviderError as exc:
        if len(chunk) > 1 and exc.code == "provider_rejected":
            return Split()
        return await _failed(
            db, adapter, chunk, exc, token, policy, outbox, hold, waited, earlier_unknown
        )

    def pushed(session: Session) -> None:
        # Rows are locked in id order everywhere, so two writers never wait on each other.
        for (row, item), result in sorted(
            zip(chunk, results, strict=True), key=lambda pair: pair[0][0].id or 0
        ):
            record_pushed(
                session,
                row.id or 0,
                token,
                provider_workout_id=result.provider_workout_id,
                provider_date=result.planned_date or item.planned_date,
                warnings=[w.model_dump(mode="json") for w in result.warnings],
                artifact=result.artifact,
                checks=checks,
            )

    await db.run(pushed)
    return results


async def _failed(
    db: Database,
    adapter: Provider,
    chunk: Chunk,
    exc: ProviderError,
    token: str,
    policy: RetryPolicy,
    outbox: RetryPolicy | None,
    hold: bool,
    waited: float,
    earlier_unknown: bool,
) -> Failed:
    worker = outbox or policy
    attempts = [row.attempts + 1 for row, _ in chunk]
    waits = policy.schedule(attempts, exc, waited=waited)
    # (retry in, held by this caller, look-up only) per row; None: failed for good.
    plans: list[tuple[float | None, bool, bool]] = []
    for (row, _), count, wait in zip(chunk, attempts, waits, strict=True):
        unknown = exc.unknown or earlier_unknown or bool(progress_of(row).get("unknown"))
        if wait is not None:
            plans.append((wait, hold, False))
        elif not exc.retryable and not exc.unknown:
            plans.append((None, False, False))  # refused: no retry and no look-up mends it
        elif outbox is None:
            # The worker's attempts ran out, and any of them may have reached the provider
            # (a 5xx may come after a commit too): a look-up by its marker decides.
            plans.append((worker.backoff(count), False, True))
        elif not unknown:
            plans.append((None, False, False))  # a request's attempts, each answered: failed
        elif (later := outbox.retry_in(count, exc)) is not None:
            plans.append((later, False, False))  # the worker carries on where this stopped
        else:
            plans.append((worker.backoff(count), False, True))  # never failed blind
    mine = next((w for w, held, _ in plans if held), None)
    handed_off = any(w is not None and not held for w, held, _ in plans) and hold
    log.warning(
        "push of %d workouts to %s failed (%s): %s",
        len(chunk),
        adapter.name,
        "final" if all(w is None for w, _, _ in plans) else "retried",
        exc.message,
    )
    error = exc.message

    def failed(session: Session) -> None:
        now = utcnow()
        for (row, item), (wait, held, verify) in sorted(
            zip(chunk, plans, strict=True), key=lambda pair: pair[0][0].id or 0
        ):
            record_failure(
                session,
                row.id or 0,
                token,
                error=error,
                retry_in=wait,
                hold=held,
                verify=verify,
                unknown=exc.unknown,
                adapter_progress=dict(item.progress),
                now=now,
            )

    await db.run(failed)
    for row, _ in chunk:
        row.attempts += 1
    return Failed(exc, mine, handed_off)


async def verify_attempt(
    db: Database,
    adapter: Provider,
    chunk: Chunk,
    *,
    token: str,
    lease_s: float,
    policy: RetryPolicy,
    cutoff_s: float = math.inf,
    checks: Sequence[float] = (),
) -> None:
    """The rows' attempts ran out on an unknown outcome: look for them by marker. Found:
    pushed (and looked at again `checks` seconds from now for late copies). Not found:
    failed, and certainly not on the provider. The look-up failing: again later (the
    row's deadline bounds it)."""
    ids = [row.id or 0 for row, _ in chunk]
    held = await db.run(lambda s: renew(s, ids, token, lease_s))
    chunk = [(row, item) for row, item in chunk if row.id in held]
    if not chunk:
        return
    items = [item for _, item in chunk]
    try:
        found = await guarded(adapter.name, lambda: adapter.find(items), cutoff_s)
    except ProviderError as exc:
        wait = exc.retry_after if exc.retry_after is not None else 0.0
        wait = max(wait, policy.backoff(policy.max_attempts))
        note = exc.message

        def later(session: Session) -> None:
            for row, _ in sorted(chunk, key=lambda pair: pair[0].id or 0):
                record_failure(
                    session,
                    row.id or 0,
                    token,
                    error=row.last_error or note,
                    retry_in=wait,
                    verify=True,
                    unknown=True,
                )

        await db.run(later)
        return

    def settle(session: Session) -> None:
        for row, item in sorted(chunk, key=lambda pair: pair[0].id or 0):
            result = found.get(item.idempotency_key)
            if result is None:
                record_found_nothing(
                    session,
                    row.id or 0,
                    token,
                    error=f"{row.last_error or 'failed'}; not found on the provider afterwards",
                )
                continue
            record_pushed(
                session,
                row.id or 0,
                token,
                provider_workout_id=result.provider_workout_id,
                provider_date=result.planned_date or item.planned_date,
                warnings=[],
                artifact=result.artifact,
                checks=checks,
            )

    await db.run(settle)


Runner = Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]


async def _once(call: Callable[[], Awaitable[None]]) -> None:
    await call()


async def move_attempt(
    db: Database,
    adapter: Provider,
    rows: Sequence[PlannedWorkoutRow],
    *,
    token: str,
    lease_s: float,
    policy: RetryPolicy,
    run: Runner = _once,
    final: bool = True,
    cutoff_s: float = math.inf,
) -> Failed | Deferred | None:
    """Move the held rows to their planned date on the provider (setting a date is safe to
    repeat). `run` makes the call: once (the worker), or a request's few tries inline.
    `final` False: when that gives up, the row stays due for the worker."""
    ids = [r.id or 0 for r in rows]
    held = await db.run(lambda s: renew(s, ids, token, lease_s, statuses=(PUSHED,)))
    rows = [r for r in rows if r.id in held and r.provider_workout_id is not None]
    if not rows:
        return None
    moves = [(r.provider_workout_id or "", r.planned_date) for r in rows]
    try:
        await guarded(adapter.name, lambda: run(lambda: adapter.move_many(moves)), cutoff_s)
    except ProviderError as exc:
        return await _change_failed(db, rows, exc, token, policy, final)

    def moved(session: Session) -> None:
        for row, (_, day) in sorted(zip(rows, moves, strict=True), key=lambda p: p[0].id or 0):
            record_moved(session, row.id or 0, token, moved_to=day)

    await db.run(moved)
    return None


async def delete_attempt(
    db: Database,
    adapter: Provider,
    rows: Sequence[tuple[PlannedWorkoutRow, PushItem]],
    *,
    token: str,
    lease_s: float,
    policy: RetryPolicy,
    run: Runner = _once,
    final: bool = True,
    cutoff_s: float = math.inf,
) -> Failed | Deferred | None:
    """Remove the held rows from the provider: by its id, else (a push whose answer never
    came) whatever carries the row's marker; a row pushed after an unanswered attempt
    (its look for late copies still to come) loses every copy with its marker too. A
    workout already gone is done."""
    ids = [r.id or 0 for r, _ in rows]
    held = await db.run(lambda s: renew(s, ids, token, lease_s, statuses=(DELETING,)))
    rows = [(r, i) for r, i in rows if r.id in held]
    if not rows:
        return None

    async def remove() -> None:
        known = [r.provider_workout_id for r, _ in rows if r.provider_workout_id]
        unknown = [item for r, item in rows if not r.provider_workout_id]
        if unknown:
            found = await adapter.find(unknown)
            known += [f.provider_workout_id for f in found.values()]
        doubted = [item for r, item in rows if r.provider_workout_id and r.verify_at]
        if doubted:
            copies = await adapter.find_copies(doubted)
            known += [c.provider_workout_id for found in copies.values() for c in found]
        if known:
            await adapter.delete_many(list(dict.fromkeys(known)))

    try:
        await guarded(adapter.name, lambda: run(remove), cutoff_s)
    except ProviderError as exc:
        return await _change_failed(db, [r for r, _ in rows], exc, token, policy, final)

    def deleted(session: Session) -> None:
        for row, _ in sorted(rows, key=lambda pair: pair[0].id or 0):
            record_deleted(session, row.id or 0, token)

    await db.run(deleted)
    return None


async def _change_failed(
    db: Database,
    rows: Sequence[PlannedWorkoutRow],
    exc: ProviderError,
    token: str,
    policy: RetryPolicy,
    final: bool,
) -> Failed | Deferred:
    ids = [r.id or 0 for r in rows]
    if isinstance(exc, RateLimitDeferred):
        wait = exc.retry_after or 0.0
        await db.run(lambda s: defer_rows(s, ids, token, wait_s=wait, error=None))
        return Deferred(exc, wait)
    waits = policy.schedule([r.attempts + 1 for r in rows], exc)
    if not final and exc.retryable:
        # A request stopped waiting: the worker carries on from here on its own curve.
        waits = [
            w if w is not None else policy.backoff(r.attempts + 1)
            for r, w in zip(rows, waits, strict=True)
        ]

    def failed(session: Session) -> None:
        for row, wait in sorted(zip(rows, waits, strict=True), key=lambda p: p[0].id or 0):
            record_change_failure(session, row.id or 0, token, error=exc.message, retry_in=wait)

    await db.run(failed)
    for row in rows:
        row.attempts += 1
    return Failed(exc, next((w for w in waits if w is not None), None))
