"""The push worker: claims due planned workouts and pushes them through their adapters.

It runs as a background task of the service (one per process; on PostgreSQL any number
of processes may run one). Retryable provider failures come back after a back-off (or
the provider's Retry-After); others, and rows out of attempts, end as `failed`.
"""

from __future__ import annotations

import logging
import random

import anyio

from coach.db.database import Database
from coach.db.tables import PlannedWorkoutRow
from coach.providers import registry
from coach.providers.base import (
    Provider,
    ProviderContext,
    ProviderError,
    PushItem,
    PushResult,
)
from coach.push.adapters import adapter_for
from coach.push.lease import kept_leased, renew
from coach.push.outbox import Claim, claim, record_failure, record_pushed, settle_job
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


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    # Exponential with jitter, as openai-python does: spreads retries of many rows.
    return min(cap, base * 2 ** max(0, attempt - 1)) * (1 - 0.25 * random.random())


class PushWorker:
    def __init__(
        self, settings: Settings, db: Database, box: CredentialBox, context: ProviderContext
    ) -> None:
        self.settings = settings
        self.db = db
        self.box = box
        self.context = context

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
            await self.db.run(lambda s, j=job_id: settle_job(s, j))
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
                await self._fail(row.id or 0, UNREADABLE_CREDENTIALS, None)
            return
        token = claimed.token
        lease_s = self.settings.push_lease_s
        try:
            async with kept_leased(self.db, [r.id or 0 for r in claimed.rows], token, lease_s):
                ready = []
                for row in claimed.rows:
                    template_row = claimed.templates.get(row.workout_id)
                    if template_row is None:
                        await self._fail(row.id or 0, "the workout template was deleted", None)
                        continue
                    template = WorkoutTemplate.model_validate(template_row.template)
                    ready.append((row, PushItem(template, row.planned_date, row.idempotency_key)))
                size = max(1, adapter.batch_size)
                for start in range(0, len(ready), size):
                    chunk = ready[start : start + size]
                    # The fence: push only rows no other worker has claimed meanwhile.
                    ids = [row.id or 0 for row, _ in chunk]
                    held = await self.db.run(lambda s, ids=ids: renew(s, ids, token, lease_s))
                    chunk = [(row, item) for row, item in chunk if row.id in held]
                    if chunk:
                        await self._push_many(adapter, chunk, claimed.reconcile)
        finally:
            await adapter.aclose()

    async def _push_many(
        self, adapter: Provider, chunk: list[tuple[PlannedWorkoutRow, PushItem]], reconcile: bool
    ) -> None:
        try:
            results: list[PushResult] = await adapter.push_many(
                [item for _, item in chunk], reconcile=reconcile
            )
        except ProviderError as exc:
            retry_in = None
            if exc.retryable:
                attempt = max(row.attempts for row, _ in chunk) + 1
                retry_in = exc.retry_after or backoff_seconds(attempt)
            log.warning(
                "push to %s failed (%s): %s",
                adapter.name,
                "will retry" if retry_in is not None else "final",
                exc.message,
            )
            for row, _ in chunk:
                await self._fail(row.id or 0, exc.message, retry_in)
            return
        for (row, _), result in zip(chunk, results, strict=True):
            warnings = [w.model_dump(mode="json") for w in result.warnings]
            await self.db.run(
                lambda s, r=row, res=result, w=warnings: record_pushed(
                    s,
                    r.id or 0,
                    provider_workout_id=res.provider_workout_id,
                    warnings=w,
                    artifact=res.artifact,
                )
            )

    async def _fail(self, row_id: int, error: str, retry_in: float | None) -> None:
        await self.db.run(
            lambda s: record_failure(
                s,
                row_id,
                error=error,
                retry_in=retry_in,
                max_attempts=self.settings.push_max_attempts,
            )
        )
