"""FIT workout files: no remote, the pushed workout is a file the athlete downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coach.providers.base import Capabilities, Provider, ProviderWorkout, PushResult
from coach.providers.capabilities import FIT
from coach.providers.coerce import coerce
from coach.templates.fit import encode_fit
from coach.templates.models import WorkoutTemplate


class FitProvider(Provider):
    """push returns the FIT bytes; nothing is kept, so move and delete have nothing to do."""

    name = "fit"

    @classmethod
    def capabilities_of(cls, settings: Any) -> Capabilities:
        return FIT

    async def push(
        self,
        template: WorkoutTemplate,
        planned_date: dt.date,
        *,
        idempotency_key: str,
        reconcile: bool = False,
    ) -> PushResult:
        coerced, warnings = coerce(template, FIT, thresholds=self.thresholds)
        # A fixed creation time keeps the file identical for the same workout and date,
        # so a re-push serves the same bytes.
        created = dt.datetime.combine(planned_date, dt.time(), tzinfo=dt.UTC)
        export = encode_fit(coerced, created=created)
        extra = [w for w in export.warnings if w not in warnings]
        return PushResult(
            provider_workout_id=f"fit:{idempotency_key}",
            warnings=warnings + extra,
            artifact=export.data,
        )

    async def move(self, provider_workout_id: str, new_date: dt.date) -> None:
        return None  # the file has no date; the planned workout row has it

    async def delete(self, provider_workout_id: str) -> None:
        return None

    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        return []  # files are not stored anywhere but in our own planned workouts
