"""The planned-workout outbox: rows are written before any provider call, then claimed.

A row wants something of the provider while it is `queued` (push it), `deleting` (remove
it) or `pushed` on another date than the provider has (move it). A worker claims such
rows of one connection with a lease and a deadline (on PostgreSQL under
`FOR UPDATE SKIP LOCKED`, so several workers never claim the same row), works on them
and records the outcome.

Every change of a row's state is a compare-and-set on (status, claim_token), made under
the row's lock: a worker records a push only on a row still `queued` and still carrying
its token. A request that deletes a row a push holds leaves the token and sets
`deleting`, so the holder learns of it when it records, and records the provider's id
for the removal; a disconnect cancels a connection's rows and takes their tokens, so
nothing of it is recorded or sent again.

A row stays `in_flight` from its first claim until it is pushed: a worker that died, or
an attempt that failed, may have reached the provider, so the next attempt has the
adapter look for the idempotency marker before creating.

That look cannot see an attempt still under way at the provider: a call cut off (or
timed out, or dropped) after it was sent may commit after the retry made the workout
again. So a row pushed after such an attempt is checked later (`verify_at`): a claim
takes it again, the adapter lists every copy carrying its marker and removes all but
the row's own (coach/push/copies.py). Its job waits for the first check.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, update
from sqlmodel import Session, col, select

from coach.db.tables import (
    AthleteRow,
    ConnectionRow,
    PlannedWorkoutRow,
    PushJobItemRow,
    PushJobRow,
    WorkoutTemplateRow,
    utcnow,
)

QUEUED, PUSHED, FAILED, DELETING, DELETED = "queued", "pushed", "failed", "deleting", "deleted"
# Statuses a client sees in lists (deleting rows are gone for the client already).
LISTED = (QUEUED, PUSHED, FAILED)

CANCELLED = "cancelled: the connection was disconnected before this workout was pushed"
PAST_DEADLINE = {
    QUEUED: "not pushed before its deadline (COACH_PUSH_DEADLINE_S)",
    DELETING: "not removed from the provider before its deadline (COACH_PUSH_DEADLINE_S)",
    PUSHED: "not moved on the provider before its deadline (COACH_PUSH_DEADLINE_S)",
}


@dataclass
class Claim:
    connection: ConnectionRow
    athlete: AthleteRow | None
    rows: list[PlannedWorkoutRow]
    # The live templates of rows written before rows carried their own (migration 0006).
    templates: dict[int, WorkoutTemplateRow]
    # Rows tried before (a failed attempt, a worker that stopped): they may be on the
    # provider already, so their push reconciles first.
    in_flight: frozenset[int]
    token: str  # carried by the claimed rows until another claim takes them
    deadline: dt.datetime  # the rows are released by then


# ------------------------------------------------------------------ what is due


def _needs_work() -> ColumnElement[bool]:
    return or_(
        col(PlannedWorkoutRow.status).in_((QUEUED, DELETING)),
        and_(
            col(PlannedWorkoutRow.status) == PUSHED,
            col(PlannedWorkoutRow.provider_date).is_not(None),
            col(PlannedWorkoutRow.provider_date) != col(PlannedWorkoutRow.planned_date),
        ),
    )


def _unleased(now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        col(PlannedWorkoutRow.lease_until).is_(None), col(PlannedWorkoutRow.lease_until) < now
    )


def _check_due(now: dt.datetime) -> ColumnElement[bool]:
    """A pushed row whose look for late copies is due."""
    return (
        (col(PlannedWorkoutRow.status) == PUSHED)
        & col(PlannedWorkoutRow.verify_at).is_not(None)
        & (col(PlannedWorkoutRow.verify_at) <= now)
        & _unleased(now)
    )


def _wanted(now: dt.datetime) -> ColumnElement[bool]:
    """Due for a worker: a push, move or removal, or a check for late copies."""
    return _due(now) | _check_due(now)


def _due(now: dt.datetime) -> ColumnElement[bool]:
    return (
        _needs_work()
        & or_(
            col(PlannedWorkoutRow.next_attempt_at).is_(None),
            col(PlannedWorkoutRow.next_attempt_at) <= now,
        )
        & _unleased(now)
    )


def _connected() -> ColumnElement[bool]:
    return col(ConnectionRow.disconnected_at).is_(None)


def due_connections(
    session: Session, *, exclude: Collection[int] = (), limit: int = 100
) -> list[int]:
    """Connections with rows due now, those waiting longest first (disconnected ones never)."""
    now = utcnow()
    waiting = func.min(
        func.coalesce(col(PlannedWorkoutRow.next_attempt_at), col(PlannedWorkoutRow.updated_at))
    )
    statement = (
        select(PlannedWorkoutRow.connection_id)
        .join(ConnectionRow, col(ConnectionRow.id) == col(PlannedWorkoutRow.connection_id))
        .where(_wanted(now), _connected())
        .group_by(col(PlannedWorkoutRow.connection_id))
        .order_by(waiting)
        .limit(limit)
    )
    if exclude:
        statement = statement.where(col(PlannedWorkoutRow.connection_id).not_in(list(exclude)))
    return list(session.exec(statement).all())


def claim(
    session: Session,
    *,
    lease_s: float,
    limit_for: Callable[[str], int],
    connection_id: int | None = None,
    deadline_s: float | None = None,
) -> Claim | None:
    """Lease up to `limit_for(provider)` due rows of one connection (the named one, else
    the one whose row is due longest), until `deadline_s` at most.

    The rows read are only candidates: each is taken by an UPDATE that re-checks the due
    condition, and only the rows that UPDATE changed (carrying this claim's token) are
    ours. On PostgreSQL `SKIP LOCKED` also keeps concurrent claims from waiting on
    each other.
    """
    now = utcnow()
    if connection_id is None:
        first = session.exec(
            select(PlannedWorkoutRow)
            .join(ConnectionRow, col(ConnectionRow.id) == col(PlannedWorkoutRow.connection_id))
            .where(_wanted(now), _connected())
            .order_by(col(PlannedWorkoutRow.planned_date), col(PlannedWorkoutRow.id))
            .limit(1)
            .with_for_update(skip_locked=True, of=PlannedWorkoutRow)
        ).first()
        if first is None:
            return None
        connection_id = first.connection_id
    connection = session.get(ConnectionRow, connection_id)
    if connection is None or connection.disconnected_at is not None:
        return None
    candidates = list(
        session.exec(
            select(PlannedWorkoutRow.id)
            .where(_wanted(now), col(PlannedWorkoutRow.connection_id) == connection_id)
            .order_by(col(PlannedWorkoutRow.planned_date), col(PlannedWorkoutRow.id))
            .limit(limit_for(connection.provider))
            .with_for_update(skip_locked=True)
        ).all()
    )
    if not candidates:
        return None
    was_in_flight = dict(
        session.exec(
            select(PlannedWorkoutRow.id, PlannedWorkoutRow.in_flight).where(
                col(PlannedWorkoutRow.id).in_(candidates)
            )
        ).all()
    )
    token = uuid.uuid4().hex
    deadline = now + dt.timedelta(seconds=deadline_s if deadline_s is not None else lease_s)
    session.execute(
        update(PlannedWorkoutRow)
        .where(col(PlannedWorkoutRow.id).in_(candidates), _wanted(now))
        .values(
            lease_until=min(now + dt.timedelta(seconds=lease_s), deadline),
            # A push may reach the provider from now on; moves and deletes keep theirs.
            in_flight=case(
                (col(PlannedWorkoutRow.status) == QUEUED, True),
                else_=col(PlannedWorkoutRow.in_flight),
            ),
            claim_token=token,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    rows = list(
        session.exec(
            select(PlannedWorkoutRow)
            .where(col(PlannedWorkoutRow.claim_token) == token)
            .order_by(col(PlannedWorkoutRow.planned_date), col(PlannedWorkoutRow.id))
        ).all()
    )
    if not rows:
        return None
    athlete = session.get(AthleteRow, connection.user_id)
    legacy = {r.workout_id for r in rows if r.template is None}
    templates = {
        t.id or 0: t
        for t in session.exec(
            select(WorkoutTemplateRow).where(col(WorkoutTemplateRow.id).in_(legacy))
        ).all()
    }
    in_flight = frozenset(r.id for r in rows if r.id is not None and was_in_flight.get(r.id))
    for row in rows:
        if row.status == QUEUED:
            open_attempt(row)
            session.add(row)
    return Claim(connection, athlete, rows, templates, in_flight, token, deadline)


def open_attempt(row: PlannedWorkoutRow) -> None:
    """Note that an attempt may start. One still open from an earlier holder was never
    recorded (it died, or was cut off): whatever it sent may be there unanswered."""
    progress = progress_of(row)
    if progress.get("open"):
        progress["unknown"] = True
    progress["open"] = True
    row.progress = progress


def _close_attempt(row: PlannedWorkoutRow) -> None:
    progress = progress_of(row)
    if progress.pop("open", None) is not None:
        row.progress = progress or None


# --------------------------------------------------------- compare-and-set changes


def locked(session: Session, row_id: int) -> PlannedWorkoutRow | None:
    """The row, locked until the transaction ends (SQLite's write transaction already is)."""
    return session.exec(
        select(PlannedWorkoutRow).where(col(PlannedWorkoutRow.id) == row_id).with_for_update()
    ).first()


def _held(session: Session, row_id: int, token: str) -> PlannedWorkoutRow | None:
    row = locked(session, row_id)
    return row if row is not None and row.claim_token == token else None


def _release(row: PlannedWorkoutRow) -> None:
    row.lease_until = None
    row.claim_token = None


def progress_of(row: PlannedWorkoutRow) -> dict[str, Any]:
    """The row's progress: `adapter` (what the adapter keeps), `dates` (other dates an
    unanswered attempt may have used), `unknown` (an attempt may have reached the provider
    unanswered), `open` (an attempt is under way, or was never recorded), `verify` (only
    a look-up remains). A pushed row with checks for late copies to come keeps `adapter`
    and `dates`, with `checks` (when each is due), `early` (its job asked for one now)
    and `check_failures`."""
    return dict(row.progress or {})


def search_dates(row: PlannedWorkoutRow) -> tuple[dt.date, ...]:
    return tuple(
        dt.date.fromisoformat(d) for d in progress_of(row).get("dates", []) if isinstance(d, str)
    )


PushRecord = Literal["pushed", "deleting", "lost"]


def record_pushed(
    session: Session,
    row_id: int,
    token: str,
    *,
    provider_workout_id: str,
    provider_date: dt.date,
    warnings: list[dict[str, object]],
    artifact: bytes | None,
    checks: Sequence[float] = (),
) -> PushRecord:
    """The workout is on the provider. "pushed" when the row was still queued under this
    token; "deleting" when a delete came meanwhile (the id is kept for the removal and the
    row released to it); "lost" when another claim or a disconnect took the row.

    When an earlier attempt went unanswered, it may still commit a second copy: the
    provider is looked at again `checks` seconds from now (see `record_checked`)."""
    row = _held(session, row_id, token)
    if row is None or row.status not in (QUEUED, DELETING):
        return "lost"
    now = utcnow()
    earlier = progress_of(row)
    row.provider_workout_id = provider_workout_id
    row.provider_date = provider_date
    row.in_flight = False
    row.attempts += 1
    row.updated_at = now
    _release(row)
    if row.status == DELETING:
        session.add(row)
        return "deleting"
    row.status = PUSHED
    row.coercion_warnings = warnings
    row.artifact = artifact
    row.last_error = None
    row.next_attempt_at = None
    row.progress = None
    if checks and earlier.get("unknown"):
        _schedule_checks(row, earlier, checks, now)
    session.add(row)
    return "pushed"


def _schedule_checks(
    row: PlannedWorkoutRow, earlier: dict[str, Any], checks: Sequence[float], now: dt.datetime
) -> None:
    """Keep what finds the row's copies (the adapter's progress, every date an attempt
    may have used) and when to look."""
    due = sorted(now + dt.timedelta(seconds=s) for s in checks)
    dates = {*earlier.get("dates", []), row.planned_date.isoformat()}
    if row.provider_date is not None:
        dates.add(row.provider_date.isoformat())
    progress: dict[str, Any] = {"dates": sorted(dates), "checks": [d.isoformat() for d in due]}
    if isinstance(earlier.get("adapter"), dict):
        progress["adapter"] = earlier["adapter"]
    row.progress = progress
    row.verify_at = due[0]
    row.verified_at = None


def record_checked(session: Session, row_id: int, token: str, *, removed: int) -> bool:
    """A look for late copies was made and `removed` of them were deleted. The row is
    due again at its next check still to come, else its checks are over."""
    row = _held(session, row_id, token)
    if row is None:
        return False
    row.duplicates_removed += removed
    _check_made(row, utcnow())
    session.add(row)
    return True


def record_check_failed(
    session: Session, row_id: int, token: str, *, retry_in: float, max_failures: int
) -> bool:
    """The look for late copies failed: again in `retry_in`, until it failed
    `max_failures` times in a row (then that check is given up; True is returned)."""
    row = _held(session, row_id, token)
    if row is None:
        return False
    now = utcnow()
    progress = progress_of(row)
    failures = int(progress.get("check_failures", 0)) + 1
    if failures >= max_failures:
        _check_made(row, now)  # given up as if made: its job settles, later checks stay
    else:
        progress["check_failures"] = failures
        row.progress = progress
        row.verify_at = now + dt.timedelta(seconds=retry_in)
        row.updated_at = now
        _release(row)
    session.add(row)
    return failures >= max_failures


def _check_made(row: PlannedWorkoutRow, now: dt.datetime) -> None:
    """A check is over: the row is due at the next one still to come, if any."""
    progress = progress_of(row)
    left = [t for t in progress.get("checks", []) if dt.datetime.fromisoformat(t) > now]
    progress.pop("check_failures", None)
    progress["checks"] = left
    row.verified_at = now
    row.verify_at = dt.datetime.fromisoformat(left[0]) if left else None
    row.progress = None if not left and row.status == PUSHED else progress
    row.updated_at = now
    _release(row)


def record_failure(
    session: Session,
    row_id: int,
    token: str,
    *,
    error: str,
    retry_in: float | None,
    hold: bool = False,
    verify: bool = False,
    unknown: bool = False,
    adapter_progress: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """One failed push attempt. `retry_in` None: the row has failed for good. Else it is due
    again in `retry_in` seconds: released to any worker, or kept by a caller that makes the
    next attempt itself (`hold`); `verify`: the next attempt only looks for it. Rows that
    failed in one call pass one `now`, so they come due together as one batch.

    The row stays in flight: the attempt may have reached the provider, so every later
    one looks for it first. `unknown`: it may have done so without an answer (a timeout,
    a drop), which is remembered: such a row is never failed without a look-up. False
    when the row is no longer this token's queued row (nothing recorded; a delete that
    came meanwhile gets the row released to it).
    """
    row = _held(session, row_id, token)
    if row is None:
        return False
    if row.status == DELETING:
        _release(row)
        session.add(row)
        return False
    if row.status != QUEUED:
        return False
    now = now or utcnow()
    row.attempts += 1
    row.last_error = error
    row.updated_at = now
    progress = progress_of(row)
    if adapter_progress:
        progress["adapter"] = adapter_progress
    progress["verify"] = verify
    progress["unknown"] = bool(progress.get("unknown")) or unknown
    progress.pop("open", None)
    row.progress = progress
    if retry_in is None:
        row.status = FAILED
    else:
        # Also for a held row: if its holder dies, whoever takes it over keeps the wait.
        row.next_attempt_at = now + dt.timedelta(seconds=retry_in)
    if retry_in is None or not hold:
        _release(row)
    session.add(row)
    return True


def record_found_nothing(session: Session, row_id: int, token: str, *, error: str) -> bool:
    """The look-up after the last attempt found nothing: the row failed, and is certainly
    not on the provider."""
    row = _held(session, row_id, token)
    if row is None or row.status != QUEUED:
        return False
    row.status = FAILED
    row.in_flight = False
    row.last_error = error
    row.progress = None
    row.updated_at = utcnow()
    _release(row)
    session.add(row)
    return True


def defer(
    session: Session, row_ids: Iterable[int], token: str, *, wait_s: float, error: str | None
) -> None:
    """Nothing was sent (a rate limit): the rows come back in `wait_s`, no attempt counted."""
    now = utcnow()
    for row_id in sorted(row_ids):  # locked in id order, as everywhere
        row = _held(session, row_id, token)
        if row is None:
            continue
        row.next_attempt_at = now + dt.timedelta(seconds=wait_s)
        if error is not None:
            row.last_error = error
        row.updated_at = now
        _close_attempt(row)  # nothing went out
        _release(row)
        session.add(row)


def defer_connection(session: Session, connection_id: int, *, wait_s: float, error: str) -> int:
    """The provider rate-limits the connection's account: every row of it that is due
    waits as long (none is claimed only to be refused). The number of rows deferred."""
    now = utcnow()
    result = session.execute(
        update(PlannedWorkoutRow)
        .where(
            col(PlannedWorkoutRow.connection_id) == connection_id,
            col(PlannedWorkoutRow.status) == QUEUED,
            _due(now),
        )
        .values(
            next_attempt_at=now + dt.timedelta(seconds=wait_s), last_error=error, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release(session: Session, row_ids: Iterable[int], token: str) -> None:
    """Give back the rows still held with `token` that nothing was sent for (the claim's
    deadline came first, or the turn stopped)."""
    rows = session.exec(
        select(PlannedWorkoutRow)
        .where(col(PlannedWorkoutRow.id).in_(list(row_ids)))
        .where(col(PlannedWorkoutRow.claim_token) == token)
        .order_by(col(PlannedWorkoutRow.id))
        .with_for_update()
    ).all()
    for row in rows:
        _close_attempt(row)
        _release(row)
        session.add(row)


def record_moved(session: Session, row_id: int, token: str, *, moved_to: dt.date) -> bool:
    """The provider has it on `moved_to` now (a later move leaves it due again)."""
    row = _held(session, row_id, token)
    if row is None:
        return False
    row.provider_date = moved_to
    row.attempts = 0
    row.next_attempt_at = None
    row.last_error = None
    row.updated_at = utcnow()
    _release(row)
    session.add(row)
    return True


def record_deleted(session: Session, row_id: int, token: str) -> bool:
    row = _held(session, row_id, token)
    if row is None or row.status != DELETING:
        return False
    row.status = DELETED
    row.in_flight = False
    row.last_error = None
    row.progress = None
    row.verify_at = None  # its copies went with it (a later commit is not looked for)
    row.next_attempt_at = None
    row.updated_at = utcnow()
    _release(row)
    session.add(row)
    return True


def record_change_failure(
    session: Session, row_id: int, token: str, *, error: str, retry_in: float | None
) -> bool:
    """A move or a removal failed; `retry_in` None: given up, the row is `failed` (it is on
    the provider, out of step with what was asked)."""
    row = _held(session, row_id, token)
    if row is None:
        return False
    now = utcnow()
    row.attempts += 1
    row.updated_at = now
    if retry_in is None:
        what = "remove it from" if row.status == DELETING else "move it on"
        row.last_error = f"could not {what} the provider: {error}"
        row.status = FAILED
    else:
        row.last_error = error
        row.next_attempt_at = now + dt.timedelta(seconds=retry_in)
    _release(row)
    session.add(row)
    return True


# ------------------------------------------------------------- what requests ask

ChangeState = Literal["done", "claimed", "held", "gone"]


def held_by_someone(row: PlannedWorkoutRow, now: dt.datetime) -> bool:
    """A live claim holds the row."""
    lease = row.lease_until
    if row.claim_token is None or lease is None:
        return False
    return lease >= now


def _take(row: PlannedWorkoutRow, token: str, lease_s: float, now: dt.datetime) -> bool:
    """Hold the row for a request's own attempt when nobody holds it."""
    if held_by_someone(row, now):
        return False
    row.claim_token = token
    row.lease_until = now + dt.timedelta(seconds=lease_s)
    return True


def request_move(
    session: Session,
    row_id: int,
    new_date: dt.date,
    *,
    token: str,
    lease_s: float,
    deadline_s: float,
    take: bool = True,
) -> ChangeState:
    """Re-date a row. "done": nothing on the provider to move now (a push still to come
    takes the new date; the provider already has it); "claimed": the caller holds the row
    to move it; "held": someone holds it (or `take` is False: the worker moves it), and
    the row stays due until the provider has the new date."""
    row = locked(session, row_id)
    if row is None or row.status in (DELETING, DELETED):
        return "gone"
    now = utcnow()
    old = row.planned_date
    row.planned_date = new_date
    row.updated_at = now
    on_provider = row.provider_workout_id is not None and row.provider_date is not None
    if row.status == QUEUED or not on_provider:
        if row.in_flight and old != new_date:
            # An unanswered attempt may have put it on the old date: look there too.
            progress = progress_of(row)
            progress["dates"] = sorted({*progress.get("dates", []), old.isoformat()})
            row.progress = progress
        session.add(row)
        return "done"
    row.status = PUSHED
    if row.provider_date == new_date:
        session.add(row)
        return "done"
    row.attempts = 0
    row.next_attempt_at = None
    row.last_error = None
    row.deadline_at = now + dt.timedelta(seconds=deadline_s)
    took = take and _take(row, token, lease_s, now)
    session.add(row)
    return "claimed" if took else "held"


def request_delete(
    session: Session,
    row_id: int,
    *,
    token: str,
    lease_s: float,
    deadline_s: float,
    take: bool = True,
) -> ChangeState:
    """Delete a row. "done": nothing was or may be on the provider, the row is `deleted`;
    else the row is `deleting` until the provider no longer has it: "claimed" (the caller
    removes it), "held" (its holder leaves it to the removal when it records, or `take`
    is False: the worker removes it)."""
    row = locked(session, row_id)
    if row is None or row.status == DELETED:
        return "gone"
    now = utcnow()
    row.updated_at = now
    state: ChangeState
    if row.provider_workout_id is None and not row.in_flight:
        row.status = DELETED
        _release(row)
        state = "done"
    else:
        row.status = DELETING
        row.attempts = 0
        row.next_attempt_at = None
        row.last_error = None
        row.deadline_at = now + dt.timedelta(seconds=deadline_s)
        state = "claimed" if take and _take(row, token, lease_s, now) else "held"
    session.add(row)
    if row.push_job_id:
        session.flush()
        settle_job(session, row.push_job_id)  # its last waiting row may be this one
    return state


def cancel_connection(session: Session, connection_id: int) -> tuple[set[str], int]:
    """A disconnect: the connection's queued rows end failed, removals it can no longer
    make end deleted. A holder keeps its token only to release it: a push in flight
    records nothing on a row that is no longer queued, and sends nothing more (the fence
    before each call wants queued rows). The ids of the jobs touched, and how many pushes
    were cancelled."""
    now = utcnow()
    rows = session.exec(
        select(PlannedWorkoutRow)
        .where(
            col(PlannedWorkoutRow.connection_id) == connection_id,
            col(PlannedWorkoutRow.status).in_((QUEUED, DELETING)),
        )
        .order_by(col(PlannedWorkoutRow.id))
        .with_for_update()
    ).all()
    jobs = set()
    cancelled = 0
    for row in rows:
        if row.status == QUEUED:
            row.status, row.last_error = FAILED, CANCELLED
            cancelled += 1
        else:
            row.status = DELETED
            row.last_error = "not removed from the provider: the connection was disconnected"
        row.next_attempt_at = None
        row.updated_at = now
        session.add(row)
        if row.push_job_id:
            jobs.add(row.push_job_id)
    # No adapter can look for late copies any more: their checks end (jobs settle).
    checked = session.exec(
        select(PlannedWorkoutRow)
        .where(
            col(PlannedWorkoutRow.connection_id) == connection_id,
            col(PlannedWorkoutRow.verify_at).is_not(None),
        )
        .order_by(col(PlannedWorkoutRow.id))
        .with_for_update()
    ).all()
    for row in checked:
        row.verify_at = None
        row.verified_at = row.verified_at or now
        session.add(row)
        if row.push_job_id:
            jobs.add(row.push_job_id)
    return jobs, cancelled


def expire(session: Session, *, limit: int = 500) -> set[str]:
    """Rows past their deadline that nobody holds end failed (a pending move leaves the
    row failed too: it is on the provider on another date). The ids of the jobs touched."""
    now = utcnow()
    rows = session.exec(
        select(PlannedWorkoutRow)
        .where(
            col(PlannedWorkoutRow.deadline_at) < now,
            _needs_work(),
            _unleased(now),
        )
        .order_by(col(PlannedWorkoutRow.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    jobs = set()
    for row in rows:
        row.last_error = f"{PAST_DEADLINE[row.status]}; last error: {row.last_error or 'none'}"
        row.status = FAILED
        row.next_attempt_at = None
        _release(row)
        row.updated_at = now
        session.add(row)
        if row.push_job_id:
            jobs.add(row.push_job_id)
    return jobs


# ------------------------------------------------------------------------- jobs


def job_counts(session: Session, job_id: str) -> dict[str, int]:
    """The job's rows by status, with `duplicates_removed` and `checks_pending`."""
    return jobs_counts(session, [job_id]).get(job_id, {})


def jobs_counts(session: Session, job_ids: list[str]) -> dict[str, dict[str, int]]:
    """`job_counts` of several jobs in one query (jobs without rows are absent)."""
    if not job_ids:
        return {}
    rows = session.exec(
        select(PlannedWorkoutRow.push_job_id, PlannedWorkoutRow.status, func.count())
        .where(col(PlannedWorkoutRow.push_job_id).in_(job_ids))
        .group_by(col(PlannedWorkoutRow.push_job_id), col(PlannedWorkoutRow.status))
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for job_id, status, count in rows:
        counts.setdefault(job_id or "", {})[status] = count
    pending = case((_checking(), 1), else_=0)
    checks = session.exec(
        select(
            PlannedWorkoutRow.push_job_id,
            func.sum(col(PlannedWorkoutRow.duplicates_removed)),
            func.sum(pending),
        )
        .where(col(PlannedWorkoutRow.push_job_id).in_(job_ids))
        .group_by(col(PlannedWorkoutRow.push_job_id))
    ).all()
    for job_id, removed, waiting in checks:
        job = counts.setdefault(job_id or "", {})
        job[DUPLICATES_REMOVED] = int(removed or 0)
        job[CHECKS_PENDING] = int(waiting or 0)
    return counts


DUPLICATES_REMOVED, CHECKS_PENDING = "duplicates_removed", "checks_pending"


def _checking() -> ColumnElement[bool]:
    """A pushed row with a look for late copies still to come."""
    return (col(PlannedWorkoutRow.status) == PUSHED) & col(PlannedWorkoutRow.verify_at).is_not(None)


ItemState = Literal["waiting", "done", "failed"]


def item_state(
    action: str, method: str | None, row: PlannedWorkoutRow, old: PlannedWorkoutRow | None
) -> ItemState:
    """Where one item of an assignment's job stands: `waiting` while the provider does not
    match it yet (a push, a removal, a move still to make), then `done` or `failed`."""
    if action == "delete":
        return "waiting" if row.status == DELETING else "failed" if row.status == FAILED else "done"
    # The workout's push (a later job may have removed it since: this one is done).
    if row.status == QUEUED or (old is not None and old.status == DELETING):
        return "waiting"
    if row.status == FAILED or (old is not None and old.status == FAILED):
        return "failed"
    moving = (
        method == "move"
        and row.status == PUSHED
        and row.provider_date is not None
        and row.provider_date != row.planned_date
    )
    return "waiting" if moving else "done"


def item_states(session: Session, job_id: str) -> list[tuple[PushJobItemRow, ItemState]]:
    """The items of an assignment's job, each with where it stands."""
    items = session.exec(
        select(PushJobItemRow)
        .where(col(PushJobItemRow.job_id) == job_id)
        .order_by(col(PushJobItemRow.week), col(PushJobItemRow.day), col(PushJobItemRow.id))
    ).all()
    ids = {i.planned_workout_id for i in items} | {i.replaces_id for i in items if i.replaces_id}
    rows = {
        r.id: r
        for r in session.exec(
            select(PlannedWorkoutRow).where(col(PlannedWorkoutRow.id).in_(list(ids)))
        ).all()
    }
    out: list[tuple[PushJobItemRow, ItemState]] = []
    for item in items:
        old = rows.get(item.replaces_id) if item.replaces_id else None
        out.append((item, item_state(item.action, item.method, rows[item.planned_workout_id], old)))
    return out


def settle_job(session: Session, job_id: str) -> None:
    """Mark a job finished once none of its rows (an assignment's job: none of its items)
    is waiting any more."""
    job = session.get(PushJobRow, job_id)
    if job is None or job.status != "running":
        return
    if job.assignment_id is not None:
        states = [state for _, state in item_states(session, job_id)]
        if "waiting" in states:
            return
        failed = "failed" in states
    else:
        counts = job_counts(session, job_id)
        if counts.get(QUEUED, 0):
            return
        failed = bool(counts.get(FAILED, 0))
    if _check_before_settling(session, job_id):
        return
    job.status = "failed" if failed else "complete"
    job.finished_at = utcnow()
    session.add(job)


def _check_before_settling(session: Session, job_id: str) -> bool:
    """Whether rows of the job pushed after an unanswered attempt were never checked for
    late copies: the job waits for that check, which is asked for now (once)."""
    unchecked = session.exec(
        select(PlannedWorkoutRow.id).where(
            col(PlannedWorkoutRow.push_job_id) == job_id,
            _checking(),
            col(PlannedWorkoutRow.verified_at).is_(None),
        )
    ).all()
    if not unchecked:
        return False
    now = utcnow()
    rows = session.exec(
        select(PlannedWorkoutRow)
        .where(col(PlannedWorkoutRow.id).in_(list(unchecked)))
        .order_by(col(PlannedWorkoutRow.id))
        .with_for_update(skip_locked=True)  # a row locked now is asked for next time
    ).all()
    for row in rows:
        progress = progress_of(row)
        if progress.get("early"):
            continue
        progress["early"] = True
        row.progress = progress
        row.verify_at = now
        session.add(row)
    return True


def settle_jobs(session: Session, job_ids: Iterable[str]) -> None:
    for job_id in sorted(set(job_ids)):
        settle_job(session, job_id)
