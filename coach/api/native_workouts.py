"""Provider-native planned workouts: what an athlete's platforms hold that we did not push.

The reference's list "fetches all planned workouts for a user, including both Terra-created
and provider-native workouts": each of the athlete's active connections whose adapter can
list is asked for its workouts in the window; those its adapter marks `external` and that
no planned workout of ours names are listed with `external_only: true`,
`planned_workout_id: 0` and `workout_id: null`. A provider that cannot answer (down, rate
limited, not configured here) is named in `provider_errors`; our own rows are listed anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from sqlmodel import Session, col, select

from coach.db.tables import AthleteRow, ConnectionRow, PlannedWorkoutRow
from coach.errors import BadRequest, CoachError
from coach.providers.base import ProviderWorkout
from coach.services import Services

DEFAULT_WINDOW_DAYS = 30  # the reference: start_date defaults to 30 days ago


class ProviderListError(BaseModel):
    """A connection whose provider could not list its workouts (our words)."""

    connection_id: int
    provider_name: str
    error: str


@dataclass
class NativeWorkout:
    connection: ConnectionRow
    workout: ProviderWorkout


def window(
    start: dt.date | None, end: dt.date | None, timezone: str | None
) -> tuple[dt.date, dt.date]:
    """The reference's defaults: from 30 days ago to today (the athlete's today)."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    today = dt.datetime.now(zone).date()
    end = end if end is not None else today
    start = start if start is not None else today - dt.timedelta(days=DEFAULT_WINDOW_DAYS)
    if start > end:
        raise BadRequest.field(
            "end_date",
            f"end_date {end} is before start_date {start} (defaults: 30 days ago, today)",
        )
    return start, end


async def native_workouts(
    services: Services,
    connections: list[ConnectionRow],
    athlete: AthleteRow | None,
    start: dt.date,
    end: dt.date,
) -> tuple[list[NativeWorkout], list[ProviderListError]]:
    """The provider-native workouts of these connections from `start` to `end`."""
    active = [c for c in connections if c.disconnected_at is None]
    if not active or not services.settings.list_provider_workouts:
        return [], []
    ids = {c.id for c in active}

    def ours(session: Session) -> set[tuple[int, str]]:
        rows = session.exec(
            select(PlannedWorkoutRow.connection_id, PlannedWorkoutRow.provider_workout_id).where(
                col(PlannedWorkoutRow.connection_id).in_(ids),
                col(PlannedWorkoutRow.provider_workout_id).is_not(None),
            )
        ).all()
        return {(cid, str(pid)) for cid, pid in rows}

    known = await services.db.run(ours)
    found: list[NativeWorkout] = []
    errors: list[ProviderListError] = []
    for connection in active:
        try:
            async with services.adapter(connection, athlete) as adapter:
                listed = await adapter.list(start, end)
        except CoachError as exc:
            errors.append(
                ProviderListError(
                    connection_id=connection.id or 0,
                    provider_name=connection.provider,
                    error=exc.message,
                )
            )
            continue
        found += [
            NativeWorkout(connection, w)
            for w in listed
            if w.external
            and start <= w.planned_date <= end
            and (connection.id or 0, w.provider_workout_id) not in known
        ]
    return found, errors
