"""What a request waits for: pushing one planned workout, moving or deleting one, through
the worker's own attempts, a few times inline.

The row is written (or taken) and held by the request before the provider is called, so
a process that dies meanwhile leaves it to the worker when the lease runs out. A request
that stops waiting leaves no guess behind: a push whose outcome is unknown (a timeout
after the request left) stays queued for the worker, which looks for it by its marker
before anything else; a move or removal not confirmed stays due. Asking again for a push
that failed or is still unsettled (same connection, template and date) takes the same
row, with its idempotency key, instead of making a second copy.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

from sqlmodel import Session, col, select

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow, WorkoutTemplateRow, utcnow
from coach.providers.base import Clock, Provider, ProviderError, PushItem, PushResult
from coach.providers.retry import RetryPolicy, retry_inline
from coach.push.attempt import Deferred, Failed, delete_attempt, move_attempt, push_attempt
from coach.push.items import item_for
from coach.push.lease import kept_leased
from coach.push.outbox import (
    FAILED,
    QUEUED,
    ChangeState,
    defer,
    held_by_someone,
    locked,
    open_attempt,
    progress_of,
    release,
    request_delete,
    request_move,
)
from coach.push.policy import copy_checks, inline_policy, outbox_policy
from coach.settings import Settings

T = TypeVar("T")

HANDED_OFF = (
    "planned workout {id} stays queued: the push worker looks for it on the provider by its "
    "marker and finishes it"
)


def _handed_off(exc: ProviderError, row_id: int) -> ProviderError:
    """The request's error, saying the row was not given up (our words only)."""
    exc.message = f"{exc.message}; {HANDED_OFF.format(id=row_id)}"
    exc.details = [*exc.details, {"planned_workout_id": row_id, "status": QUEUED}]
    return exc


def _open_row(
    session: Session,
    *,
    settings: Settings,
    token: str,
    organization_id: int,
    user_id: str,
    connection_id: int,
    template_row: WorkoutTemplateRow,
    planned_date: dt.date,
) -> tuple[PlannedWorkoutRow, bool, bool]:
    """The row to push, held with `token`: an unsettled one for the same workout (its
    key kept), else a new one. Also whether it is held (False: another holder has it)
    and whether an earlier attempt may have reached the provider."""
    now = utcnow()
    lease = now + dt.timedelta(seconds=settings.push_lease_s)
    deadline = now + dt.timedelta(seconds=settings.push_deadline_s)
    data = template_row.template
    found = session.exec(
        select(PlannedWorkoutRow)
        .where(
            col(PlannedWorkoutRow.connection_id) == connection_id,
            col(PlannedWorkoutRow.workout_id) == (template_row.id or 0),
            col(PlannedWorkoutRow.planned_date) == planned_date,
            col(PlannedWorkoutRow.status).in_((QUEUED, FAILED)),
            col(PlannedWorkoutRow.provider_workout_id).is_(None),
        )
        .order_by(col(PlannedWorkoutRow.id).desc())
        .limit(1)
    ).first()
    row = locked(session, found.id or 0) if found is not None else None
    if row is not None and row.status in (QUEUED, FAILED) and row.provider_workout_id is None:
        if held_by_someone(row, now):
            return row, False, row.in_flight
        tried = row.in_flight
        if not tried:
            row.template = data  # nothing went out yet: push the template as it is now
        progress = progress_of(row)
        progress.pop("verify", None)
        row.progress = progress or None
        open_attempt(row)
        if row.status == FAILED:
            row.status, row.attempts = QUEUED, 0
        row.next_attempt_at = None
        row.claim_token, row.lease_until, row.in_flight = token, lease, True
        row.deadline_at = deadline
        row.updated_at = now
        session.add(row)
        return row, True, tried
    row = PlannedWorkoutRow(
        organization_id=organization_id,
        user_id=user_id,
        connection_id=connection_id,
        workout_id=template_row.id or 0,
        template=data,
        planned_date=planned_date,
        status=QUEUED,
        idempotency_key=f"pw-{uuid.uuid4().hex}",
        in_flight=True,
        lease_until=lease,
        claim_token=token,
        deadline_at=deadline,
        progress={"open": True},
    )
    session.add(row)
    session.flush()
    return row, True, False


async def push_new(
    db: Database,
    settings: Settings,
    make_adapter: Callable[[], Provider],
    *,
    organization_id: int,
    user_id: str,
    connection_id: int,
    template_row: WorkoutTemplateRow,
    planned_date: dt.date,
) -> int:
    """Push a template on a date now; the planned workout's id. Raises the ProviderError
    that ended it: the row is then `failed`, or (outcome unknown, or no rate-limit slot
    in time) left queued for the worker, as the error says."""
    adapter = make_adapter()  # an unusable connection fails before any row is written
    try:
        token = uuid.uuid4().hex
        row, held, tried = await db.run(
            lambda s: _open_row(
                s,
                settings=settings,
                token=token,
                organization_id=organization_id,
                user_id=user_id,
                connection_id=connection_id,
                template_row=template_row,
                planned_date=planned_date,
            )
        )
        if not held:
            return row.id or 0  # the worker is at it; the row shows how it goes
        item = item_for(row, {})
        assert item is not None
        await push_row_now(
            db,
            adapter,
            row,
            item,
            policy=inline_policy(settings),
            outbox=outbox_policy(settings),
            lease_s=settings.push_lease_s,
            reconcile=tried,
            checks=copy_checks(settings),
        )
    finally:
        await adapter.aclose()
    return row.id or 0


async def push_row_now(
    db: Database,
    adapter: Provider,
    row: PlannedWorkoutRow,
    item: PushItem,
    *,
    policy: RetryPolicy,
    outbox: RetryPolicy,
    lease_s: float,
    reconcile: bool = False,
    checks: Sequence[float] = (),
) -> PushResult | None:
    """Push a row this caller holds (its `claim_token`) through the worker's own attempt,
    retrying inline while `policy` allows; raises the error that ended it. None: a
    delete came meanwhile (the row is being removed).

    Every attempt after a failed one reconciles: that one may have reached the provider,
    and when one went unanswered the row is looked at again `checks` seconds after its
    push, for a late copy that reconcile could not see yet.
    """
    token = row.claim_token or ""
    row_id = row.id or 0
    waited = 0.0
    last: ProviderError | None = None
    # Whether an attempt of this request reached the provider unanswered (then the row is
    # never failed; earlier ones are remembered on the row).
    unknown = False
    clock = adapter.context.clock
    async with kept_leased(db, [row_id], token, lease_s):
        while True:
            outcome = await push_attempt(
                db,
                adapter,
                [(row, item)],
                token=token,
                lease_s=lease_s,
                reconcile=reconcile,
                policy=policy,
                outbox=outbox,
                hold=True,
                waited=waited,
                earlier_unknown=unknown,
                checks=checks,
            )
            if outcome is None:
                # Lost (this request's lease ran out, a delete or a disconnect came): whoever
                # took the row finishes it; this request reports how its last attempt ended.
                stored = await db.run(lambda s: s.get(PlannedWorkoutRow, row_id))
                if stored is not None and stored.status not in (QUEUED, FAILED):
                    return None
                if stored is not None and stored.status == FAILED:  # e.g. a disconnect
                    raise ProviderError(
                        stored.last_error or "the push was stopped (push_stopped)",
                        code="push_stopped",
                    )
                raise last or ProviderError(
                    "the push was taken over by the push worker (push_taken_over)",
                    retryable=True,
                    code="push_taken_over",
                )
            if isinstance(outcome, list):
                return outcome[0]
            if isinstance(outcome, Deferred):
                if waited + outcome.wait_s > policy.wait_budget_s:
                    # Nothing was sent: the worker pushes it when the account has room.
                    await db.run(
                        partial(
                            defer, row_ids=[row_id], token=token, wait_s=outcome.wait_s, error=None
                        )
                    )
                    raise _handed_off(outcome.error, row_id)
                await clock.sleep(outcome.wait_s)
                waited += outcome.wait_s
                continue
            if not isinstance(outcome, Failed):
                raise ProviderError("unexpected push outcome (push_internal_error)")
            if outcome.handed_off:
                raise _handed_off(outcome.error, row_id)
            if outcome.retry_in is None:
                raise outcome.error
            last = outcome.error
            unknown = unknown or outcome.error.unknown
            await clock.sleep(outcome.retry_in)
            waited += outcome.retry_in
            reconcile = True


def _inline(
    settings: Settings, clock: Clock
) -> Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]:
    """How a request makes a move or a removal: a few tries, on the push's inline policy
    (setting a date and removing are safe to repeat)."""

    async def run(call: Callable[[], Awaitable[None]]) -> None:
        await retry_inline(lambda _again: call(), inline_policy(settings), clock)

    return run


async def _change_now(
    db: Database,
    settings: Settings,
    make_adapter: Callable[[], Provider],
    row_id: int,
    token: str,
    state: ChangeState,
    *,
    delete: bool,
) -> None:
    if state != "claimed":
        return
    try:
        adapter = make_adapter()
    except Exception:
        await db.run(lambda s: release(s, [row_id], token))  # the worker reports why
        raise
    try:
        row = await db.run(lambda s: s.get(PlannedWorkoutRow, row_id))
        assert row is not None
        lease_s, policy = settings.push_lease_s, outbox_policy(settings)
        run = _inline(settings, adapter.context.clock)
        out: Failed | Deferred | None
        async with kept_leased(db, [row_id], token, lease_s):
            if delete:
                item = item_for(row, {}, lookup_only=True)
                assert item is not None
                out = await delete_attempt(
                    db,
                    adapter,
                    [(row, item)],
                    token=token,
                    lease_s=lease_s,
                    policy=policy,
                    run=run,
                    final=False,
                )
            else:
                out = await move_attempt(
                    db,
                    adapter,
                    [row],
                    token=token,
                    lease_s=lease_s,
                    policy=policy,
                    run=run,
                    final=False,
                )
    finally:
        await adapter.aclose()
        await db.run(lambda s: release(s, [row_id], token))
    if isinstance(out, Failed | Deferred):
        raise out.error


async def move_now(
    db: Database,
    settings: Settings,
    make_adapter: Callable[[], Provider],
    row_id: int,
    new_date: dt.date,
) -> ChangeState:
    """Re-date a planned workout, and move it on the provider when it is there. Raises the
    provider's error when that failed; the row keeps the new date and stays due, so the
    worker carries the move on."""
    token = uuid.uuid4().hex
    state: ChangeState = await db.run(
        lambda s: request_move(
            s,
            row_id,
            new_date,
            token=token,
            lease_s=settings.push_lease_s,
            deadline_s=settings.push_deadline_s,
        )
    )
    await _change_now(db, settings, make_adapter, row_id, token, state, delete=False)
    return state


async def delete_now(
    db: Database, settings: Settings, make_adapter: Callable[[], Provider], row_id: int
) -> ChangeState:
    """Delete a planned workout, and remove it from the provider when it is (or may be)
    there. Raises the provider's error when that failed; the row stays `deleting` and the
    worker carries the removal on."""
    token = uuid.uuid4().hex
    state: ChangeState = await db.run(
        lambda s: request_delete(
            s,
            row_id,
            token=token,
            lease_s=settings.push_lease_s,
            deadline_s=settings.push_deadline_s,
        )
    )
    await _change_now(db, settings, make_adapter, row_id, token, state, delete=True)
    return state
