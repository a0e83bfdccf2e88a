"""FIT workout files: no remote, the pushed workout is a file the athlete downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coach.providers.base import (
    Capabilities,
    Provider,
    ProviderWorkout,
    PushResult,
    Thresholds,
)
from coach.providers.capabilities import FIT
from coach.providers.coerce import coerce
from coach.templates.fit import encode_fit
from coach.templates.models import CoercionWarning, WorkoutTemplate


def file_time(planned_date: dt.date) -> dt.datetime:
    """The FIT file's creation time: the planned day's midnight UTC. Fixed, so the same
    workout on the same date is the same bytes (a re-push serves the same file)."""
    return dt.datetime.combine(planned_date, dt.time(), tzinfo=dt.UTC)


def fit_file(
    template: WorkoutTemplate,
    planned_date: dt.date,
    thresholds: Thresholds | None = None,
    caps: Capabilities = FIT,
) -> tuple[bytes, list[CoercionWarning]]:
    """The template as a FIT workout file, and what had to change to fit the format
    (`caps`: FIT's, under the name of the provider that takes the file)."""
    coerced, warnings = coerce(template, caps, thresholds=thresholds)
    export = encode_fit(coerced, created=file_time(planned_date))
    return export.data, warnings + [w for w in export.warnings if w not in warnings]


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
        data, warnings = fit_file(template, planned_date, self.thresholds)
        return PushResult(
            provider_workout_id=f"fit:{idempotency_key}", warnings=warnings, artifact=data
        )

    async def move(self, provider_workout_id: str, new_date: dt.date) -> None:
        return None  # the file has no date; the planned workout row has it

    async def delete(self, provider_workout_id: str) -> None:
        return None

    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        return []  # files are not stored anywhere but in our own planned workouts
