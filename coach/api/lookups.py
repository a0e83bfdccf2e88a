"""Rows a request names, loaded for its caller: 404 when absent, 403 when another
organization's. Handlers of every resource share these."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from starlette.requests import Request

from coach.accounts import Caller
from coach.api.security import owned
from coach.api.validation import path_int, path_uuid
from coach.db.tables import AthleteRow, ConnectionRow, DraftRow, PlanRow
from coach.errors import BadRequest, NotFound
from coach.plans.draft_store import get_draft
from coach.plans.store import get_plan
from coach.services import Services, services_of


async def athlete_for(services: Services, caller: Caller, user_id: uuid.UUID) -> AthleteRow:
    """The caller's organization's athlete `user_id`; 404 otherwise."""
    row = await services.db.run(lambda s: s.get(AthleteRow, str(user_id)))
    return owned(row, caller, f"athlete {user_id}")


async def load_athlete(request: Request, caller: Caller, user_id: uuid.UUID) -> AthleteRow:
    return await athlete_for(services_of(request), caller, user_id)


async def load_connection(request: Request, athlete: AthleteRow) -> ConnectionRow:
    """The athlete's active connection named by the path's connection_id."""
    connection_id = path_int(request, "connection_id")
    row = await services_of(request).db.run(lambda s: s.get(ConnectionRow, connection_id))
    if row is None or row.user_id != athlete.user_id or row.disconnected_at is not None:
        raise NotFound(f"connection {connection_id} not found")
    return row


async def choose_connection(
    services: Services, athlete: AthleteRow, connection_id: int | None
) -> ConnectionRow:
    """The connection a push goes through: the one named, else the athlete's only one."""
    rows = await services.db.run(
        lambda s: s.exec(
            select(ConnectionRow).where(
                col(ConnectionRow.user_id) == athlete.user_id,
                col(ConnectionRow.disconnected_at).is_(None),
            )
        ).all()
    )
    if connection_id is not None:
        match = [r for r in rows if r.id == connection_id]
        if not match:
            raise NotFound(f"athlete {athlete.user_id} has no connection {connection_id}")
        return match[0]
    if not rows:
        raise BadRequest.field("user_id", "the athlete has no connection to push to")
    if len(rows) > 1:
        raise BadRequest.field("connection_id", "the athlete has several connections; name one")
    return rows[0]


async def plan_for(services: Services, caller: Caller, plan_id: uuid.UUID) -> PlanRow:
    """The caller's organization's plan `plan_id`; 404 otherwise."""
    row = await services.db.run(lambda s: get_plan(s, plan_id))
    return owned(row, caller, f"plan {plan_id}")


async def load_plan(request: Request, caller: Caller) -> PlanRow:
    """The plan named by the path's plan_id."""
    return await plan_for(services_of(request), caller, path_uuid(request, "plan_id"))


async def load_draft(request: Request, caller: Caller) -> DraftRow:
    """The draft named by the path's draft_id."""
    draft_id = path_uuid(request, "draft_id")
    row = await services_of(request).db.run(lambda s: get_draft(s, draft_id))
    return owned(row, caller, f"draft {draft_id}")
