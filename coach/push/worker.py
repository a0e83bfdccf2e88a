"""The push worker: each connection with due rows is worked by a task of its own, at most
`COACH_PUSH_CONCURRENCY` at once per process, so one connection's slow or rate-limited
provider never holds up another's.

It runs as a background task of the service (one per process; on PostgreSQL any number
of processes may run one). The dispatcher starts a turn for each connection with due
rows, longest unserved first; a turn claims one batch of the connection's rows (with a
lease and a deadline), removes, moves and pushes them, records every outcome and ends.
Nothing in a turn sleeps with rows claimed: a wait longer than `COACH_PUSH_HOLD_MAX_S`
(a rate limit's window, a Retry-After) releases the rows with `next_attempt_at`, and
the claim's deadline (`COACH_PUSH_CLAIM_MAX_S`) cuts off a provider call still running.
Each attempt's outcome is per row (see coach/push/attempt.py); past its deadline
(`COACH_PUSH_DEADLINE_S`) a row fails, so every job settles. A row pushed after an
unanswered attempt comes back to a turn for its looks for late copies
(coach/push/copies.py).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator, Sequence
from typing import TypeVar

import anyio
from anyio.abc import TaskGroup
from sqlmodel import Session

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow, utcnow
from coach.providers import registry
from coach.providers.base import (
    Provider,
    ProviderAuthError,
    ProviderContext,
    ProviderError,
    ProviderRateLimited,
)
from coach.push.adapters import adapter_for, unusable_reason
from coach.push.attempt import (
    Deferred,
    Failed,
    Split,
    delete_attempt,
    move_attempt,
    push_attempt,
    verify_attempt,
)
from coach.push.copies import check_copies, check_failed, is_check
from coach.push.items import TEMPLATE_GONE, item_for
from coach.push.lease import kept_leased
from coach.push.outbox import (
    DELETING,
    PUSHED,
    QUEUED,
    Claim,
    claim,
    defer,
    defer_connection,
    due_connections,
    expire,
    progress_of,
    record_change_failure,
    record_failure,
    release,
    settle_jobs,
)
from coach.push.policy import copy_checks, outbox_policy
from coach.secrets import CredentialBox
from coach.settings import Settings

log = logging.getLogger("coach.push")
T = TypeVar("T")

# Rows claimed at once for providers without a batch endpoint; each is committed alone.
SINGLE_CLAIM = 10
# How often rows past their deadline are looked for.
SWEEP_EVERY_S = 1.0


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class PushWorker:
    def __init__(
        self, settings: Settings, db: Database, box: CredentialBox, context: ProviderContext
    ) -> None:
        self.settings = settings
        self.db = db
        self.box = box
        self.context = context
        self.policy = outbox_policy(settings)
        self.checks = copy_checks(settings)
        self.active: set[int] = set()  # connections being worked by this process
        self._served: dict[int, float] = {}  # when each connection's last turn ended
        self._wake = anyio.Event()
        self._swept = 0.0

    async def run(self) -> None:
        """Work until cancelled: dispatch, then wait for a turn to end or `push_poll_s`."""
        async with anyio.create_task_group() as tasks:
            while True:
                try:
                    await self.dispatch(tasks)
                except Exception:
                    log.exception("push dispatch failed")
                with anyio.move_on_after(self.settings.push_poll_s):
                    await self._wake.wait()
                self._wake = anyio.Event()

    async def dispatch(self, tasks: TaskGroup) -> None:
        """Settle rows past their deadline; start a turn for each connection due (free slots
        permitting), the one served longest ago first."""
        if time.monotonic() - self._swept >= SWEEP_EVERY_S:
            self._swept = time.monotonic()
            await self.db.run(lambda s: settle_jobs(s, expire(s)))
        free = self.settings.push_concurrency - len(self.active)
        if free <= 0:
            return
        exclude = set(self.active)
        due = await self.db.run(lambda s: due_connections(s, exclude=exclude, limit=4 * free + 4))
        due.sort(key=lambda c: self._served.get(c, 0.0))  # stable: the longest waiting first
        for connection_id in due[:free]:
            self.active.add(connection_id)
            tasks.start_soon(self._turn, connection_id)

    async def _turn(self, connection_id: int) -> None:
        try:
            claimed = await self.db.run(
                lambda s: claim(
                    s,
                    connection_id=connection_id,
                    lease_s=self.settings.push_lease_s,
                    limit_for=self._claim_size,
                    deadline_s=self.settings.push_claim_max_s,
                )
            )
            if claimed is not None:
                await self.work(claimed)
                jobs = {r.push_job_id for r in claimed.rows if r.push_job_id}
                await self.db.run(lambda s: settle_jobs(s, jobs))
        except Exception:
            log.exception("push turn of connection %s failed", connection_id)
        finally:
            self.active.discard(connection_id)
            self._served[connection_id] = time.monotonic()
            if len(self._served) > 10_000:  # forget the connections served longest ago
                for old in sorted(self._served, key=self._served.__getitem__)[:5_000]:
                    del self._served[old]
            self._wake.set()

    @staticmethod
    def _claim_size(provider: str) -> int:
        # As many rows as the provider takes in one request, else a few committed one by one.
        return max(SINGLE_CLAIM, registry.get(provider).batch_size)

    async def work(self, claimed: Claim) -> None:
        """One claim: its rows' removals, moves, looks for late copies, look-ups and pushes,
        until its deadline."""
        ids = [r.id or 0 for r in claimed.rows]
        try:
            adapter = adapter_for(
                claimed.connection, claimed.athlete, box=self.box, context=self.context
            )
        except Exception as exc:
            # Only this connection's rows are affected; they fail visibly (the job shows
            # why) instead of coming back every lease. Re-posting the push retries them.
            log.error("connection %s: no adapter: %r", claimed.connection.id, exc)
            reason = unusable_reason(exc)
            looks = [r for r in claimed.rows if is_check(r)]  # pushed: they stay pushed
            await self._fail_all(claimed, [r for r in claimed.rows if not is_check(r)], reason)
            await self.db.run(lambda s: check_failed(s, looks, claimed.token, self.policy, reason))
            return
        remaining = (claimed.deadline - utcnow()).total_seconds()
        deadline = anyio.current_time() + remaining
        try:
            async with kept_leased(
                self.db, ids, claimed.token, self.settings.push_lease_s, until=claimed.deadline
            ):
                await self._work_rows(claimed, adapter, deadline)
        finally:
            await adapter.aclose()
            # Whatever the turn did not get to goes back, due as it was.
            await self.db.run(lambda s: release(s, ids, claimed.token))

    async def _work_rows(self, claimed: Claim, adapter: Provider, deadline: float) -> None:
        def left() -> float:
            return deadline - anyio.current_time()

        token, lease_s, policy = claimed.token, self.settings.push_lease_s, self.policy
        size = max(1, adapter.batch_size)
        removals, moves, checks, lookups, pushes = [], [], [], [], []
        for row in claimed.rows:
            if row.status == DELETING:
                item = item_for(row, claimed.templates, lookup_only=True)
                assert item is not None
                removals.append((row, item))
            elif is_check(row):
                checks.append(row)
            elif row.status == PUSHED:
                moves.append(row)  # a look for late copies due too waits for the next claim
            elif row.status == QUEUED:
                verify = bool(progress_of(row).get("verify"))
                item = item_for(row, claimed.templates, lookup_only=verify)
                if item is None:
                    await self._fail_all(claimed, [row], TEMPLATE_GONE)
                elif verify:
                    lookups.append((row, item))
                else:
                    pushes.append((row, item))

        for chunk in _chunks(removals, size):
            if left() <= 0:
                return
            out = await delete_attempt(
                self.db,
                adapter,
                chunk,
                token=token,
                lease_s=lease_s,
                policy=policy,
                cutoff_s=left(),
            )
            if await self._stop(claimed, out):
                return
        for rows in _chunks(moves, size):
            if left() <= 0:
                return
            out = await move_attempt(
                self.db,
                adapter,
                rows,
                token=token,
                lease_s=lease_s,
                policy=policy,
                cutoff_s=left(),
            )
            if await self._stop(claimed, out):
                return
        for rows in _chunks(checks, size):
            if left() <= 0:
                return
            await check_copies(
                self.db,
                adapter,
                rows,
                token=token,
                lease_s=lease_s,
                policy=policy,
                cutoff_s=left(),
            )
        for chunk in _chunks(lookups, size):
            if left() <= 0:
                return
            await verify_attempt(
                self.db,
                adapter,
                chunk,
                token=token,
                lease_s=lease_s,
                policy=policy,
                cutoff_s=left(),
                checks=self.checks,
            )
        queue = deque(_chunks(pushes, size))
        while queue:
            chunk = queue.popleft()
            if left() <= 0:
                return
            outcome = await push_attempt(
                self.db,
                adapter,
                chunk,
                token=token,
                lease_s=lease_s,
                reconcile=any(row.id in claimed.in_flight for row, _ in chunk),
                policy=policy,
                cutoff_s=left(),
                checks=self.checks,
            )
            if isinstance(outcome, Split):
                half = len(chunk) // 2
                queue.extendleft([chunk[half:], chunk[:half]])
                continue
            if isinstance(outcome, Failed) and isinstance(outcome.error, ProviderAuthError):
                # The athlete must reconnect: the other rows would only be refused the same.
                rest = [row for c in queue for row, _ in c]
                await self._fail_all(claimed, rest, outcome.error.message)
                return
            if await self._stop(claimed, outcome):
                return

    async def _stop(self, claimed: Claim, outcome: object) -> bool:
        """After a rate limit the connection's account waits: the claim's other rows and
        every other due row of the connection come back when it ends, none is sent now."""
        error: ProviderError | None = None
        wait: float | None = None
        if isinstance(outcome, Deferred):
            error, wait = outcome.error, outcome.wait_s
        elif isinstance(outcome, Failed) and isinstance(outcome.error, ProviderRateLimited):
            error, wait = outcome.error, outcome.retry_in or outcome.error.retry_after
        if error is None or wait is None:
            return False
        ids = [r.id or 0 for r in claimed.rows]
        connection_id = claimed.connection.id or 0
        note = error.message

        def hold_off(session: Session) -> None:
            defer(session, ids, claimed.token, wait_s=wait, error=note)
            defer_connection(session, connection_id, wait_s=wait, error=note)

        await self.db.run(hold_off)
        log.info(
            "connection %s: rate-limited, its rows wait %.0f s (%s)", connection_id, wait, note
        )
        return True

    async def _fail_all(
        self, claimed: Claim, rows: Sequence[PlannedWorkoutRow], error: str
    ) -> None:
        """A failure no retry of this claim can mend: the rows end `failed` with `error`."""
        token = claimed.token

        def fail(session: Session) -> None:
            for row in sorted(rows, key=lambda r: r.id or 0):
                if row.status == QUEUED:
                    record_failure(session, row.id or 0, token, error=error, retry_in=None)
                else:
                    record_change_failure(session, row.id or 0, token, error=error, retry_in=None)

        await self.db.run(fail)
