"""Pushing one planned workout while a request waits: the outbox row, a few attempts inline."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel import Session

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow, WorkoutTemplateRow, utcnow
from coach.providers.base import Clock, Provider, ProviderError, PushItem, PushResult
from coach.providers.retry import RetryPolicy, retry_inline
from coach.push.attempt import Failed, push_attempt
from coach.push.lease import kept_leased
from coach.push.policy import inline_policy
from coach.settings import Settings
from coach.templates.models import WorkoutTemplate

T = TypeVar("T")


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
    """Write a planned workout row, push it at once; its id. Raises the ProviderError that
    ended it (the row is then `failed`).

    The row is written, held by this request, before the provider is called: if the
    process dies meanwhile the push worker takes it over when the lease runs out.
    """
    row = PlannedWorkoutRow(
        organization_id=organization_id,
        user_id=user_id,
        connection_id=connection_id,
        workout_id=template_row.id or 0,
        planned_date=planned_date,
        status="queued",
        idempotency_key=f"pw-{uuid.uuid4().hex}",
        in_flight=True,
        lease_until=utcnow() + dt.timedelta(seconds=settings.push_lease_s),
        claim_token=uuid.uuid4().hex,
    )

    def store(session: Session) -> PlannedWorkoutRow:
        session.add(row)
        session.flush()
        return row

    row = await db.run(store)
    template = WorkoutTemplate.model_validate(template_row.template)
    adapter = make_adapter()
    try:
        await push_row_now(
            db,
            adapter,
            row,
            template,
            policy=inline_policy(settings),
            lease_s=settings.push_lease_s,
        )
    finally:
        await adapter.aclose()
    return row.id or 0


async def push_row_now(
    db: Database,
    adapter: Provider,
    row: PlannedWorkoutRow,
    template: WorkoutTemplate,
    *,
    policy: RetryPolicy,
    lease_s: float,
    reconcile: bool = False,
) -> PushResult:
    """Push a row this caller holds (its `claim_token`) through the worker's own attempt,
    retrying inline while `policy` allows; raises the error that ended it.

    Every attempt after a failed one reconciles: that one may have reached the provider.
    """
    token = row.claim_token or ""
    item = PushItem(template, row.planned_date, row.idempotency_key)
    waited = 0.0
    last: ProviderError | None = None
    async with kept_leased(db, [row.id or 0], token, lease_s):
        while True:
            outcome = await push_attempt(
                db,
                adapter,
                [(row, item)],
                token=token,
                lease_s=lease_s,
                reconcile=reconcile,
                policy=policy,
                hold=True,
                waited=waited,
            )
            if outcome is None:
                # Lost to a worker's claim (this request's lease ran out): it finishes the
                # row; this request can only report how its own last attempt ended.
                raise last or ProviderError(
                    "the push was taken over by the push worker", retryable=True
                )
            if not isinstance(outcome, Failed):
                return outcome[0]
            if outcome.retry_in is None:
                raise outcome.error
            last = outcome.error
            await adapter.context.clock.sleep(outcome.retry_in)
            waited += outcome.retry_in
            reconcile = True


async def call_now(settings: Settings, clock: Clock, call: Callable[[], Awaitable[T]]) -> T:
    """A provider call a request waits for (a move, a delete): safe to repeat, so it is
    simply tried again, on the same policy as a push."""
    return await retry_inline(lambda _again: call(), inline_policy(settings), clock)
