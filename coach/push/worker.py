"""The push worker: claims due planned workouts and pushes them through their adapters.

It runs as a background task of the service (one per process; on PostgreSQL any number
of processes may run one). Each pass makes one attempt per row: a retryable failure
brings the row back after the outbox policy's wait (or the provider's Retry-After);
others, and rows out of attempts, end as `failed`.
"""

from __future__ import annotations

import logging
from functools import partial

import anyio

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow
from coach.providers import registry
from coach.providers.base import ProviderContext, PushItem
from coach.push.adapters import adapter_for
from coach.push.attempt import push_attempt
from coach.push.lease import kept_leased
from coach.push.outbox import Claim, claim, record_failure, settle_job
from coach.push.policy import outbox_policy
from coach.secrets import CredentialBox, SecretsError
from coach.settings import Settings
from coach.templates.models import WorkoutTemplate

log = logging.getLogger("coach.push")

# Rows claimed at once for providers without a batch endpoint; each is committed alone.
SINGLE_CLAIM = 10

UNREADABLE_CREDENTIALS = (
    "the connection's credentials cannot be decrypted: COACH_SECRET_KEY is not the key "
    "they were sealed with (restore that key, or reconnect the athlete)"
)


class PushWorker:
    def __init__(
        self, settings: Settings, db: Database, box: CredentialBox, context: ProviderContext
    ) -> None:
        self.settings = settings
        self.db = db
        self.box = box
        self.context = context
        self.policy = outbox_policy(settings)

    async def run(self) -> None:
        """Work until cancelled; sleep `push_poll_s` whenever nothing is due."""
        while True:
            try:
                worked = await self.run_once()
            except Exception:
                log.exception("push worker pass failed")
                worked = False
            if not worked:
                await anyio.sleep(self.settings.push_poll_s)

    async def run_once(self) -> bool:
        """Claim and push one batch; False when nothing was due."""
        claimed = await self.db.run(
            lambda s: claim(s, lease_s=self.settings.push_lease_s, limit_for=self._claim_size)
        )
        if claimed is None:
            return False
        await self._push(claimed)
        for job_id in {r.push_job_id for r in claimed.rows if r.push_job_id}:
            await self.db.run(partial(settle_job, job_id=job_id))
        return True

    @staticmethod
    def _claim_size(provider: str) -> int:
        # As many rows as the provider takes in one request, else a few committed one by one.
        return max(SINGLE_CLAIM, registry.get(provider).batch_size)

    async def _push(self, claimed: Claim) -> None:
        try:
            adapter = adapter_for(
                claimed.connection, claimed.athlete, box=self.box, context=self.context
            )
        except SecretsError:
            # Only this connection's rows are affected; they fail visibly (the job shows
            # why) instead of stopping the worker. Re-posting the push retries them.
            log.error(
                "connection %s: credentials cannot be opened with this service's COACH_SECRET_KEY",
                claimed.connection.id,
            )
            for row in claimed.rows:
                await self._fail(row.id or 0, UNREADABLE_CREDENTIALS)
            return
        token = claimed.token
        lease_s = self.settings.push_lease_s
        try:
            async with kept_leased(self.db, [r.id or 0 for r in claimed.rows], token, lease_s):
                ready: list[tuple[PlannedWorkoutRow, PushItem]] = []
                for row in claimed.rows:
                    template_row = claimed.templates.get(row.workout_id)
                    if template_row is None:
                        await self._fail(row.id or 0, "the workout template was deleted")
                        continue
                    template = WorkoutTemplate.model_validate(template_row.template)
                    ready.append((row, PushItem(template, row.planned_date, row.idempotency_key)))
                size = max(1, adapter.batch_size)
                for start in range(0, len(ready), size):
                    chunk = ready[start : start + size]
                    await push_attempt(
                        self.db,
                        adapter,
                        chunk,
                        token=token,
                        lease_s=lease_s,
                        reconcile=any(row.id in claimed.in_flight for row, _ in chunk),
                        policy=self.policy,
                    )
        finally:
            await adapter.aclose()

    async def _fail(self, row_id: int, error: str) -> None:
        """A failure no retry can mend: the row ends `failed` with `error`."""
        await self.db.run(lambda s: record_failure(s, row_id, error=error, retry_in=None))
