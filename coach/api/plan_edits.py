"""Editing a stored plan over HTTP: one workout (change, move, delete, add), a week
(reorder, copy), everything from a day on (shift), and its revisions (list, read, restore).

Every write names the revision it was made on in `If-Match` and saves the next revision
(coach.plans.revisions); the answer is the plan with its new `ETag` and its coaching
report, so an editor shows the rules the edit broke at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select
from starlette.responses import Response

from coach.api.endpoint import AnyEndpoint, Call, Endpoint
from coach.api.lookups import load_plan
from coach.api.plan_view import PlanView, plan_response, plan_view
from coach.api.preconditions import if_match_revision
from coach.api.responses import model_response
from coach.api.validation import path_int
from coach.db.tables import Member, PlanRevisionRow, PlanRow
from coach.errors import NotFound
from coach.plans import edits
from coach.plans.edits import Change, Edit, PlanContent, WorkoutCreate, WorkoutPatch
from coach.plans.models import WeekInfo, Workout
from coach.plans.revisions import (
    check_editable,
    get_revision,
    list_revisions,
    load_weekly_info,
    load_workouts,
    save_revision,
)

Week = Annotated[int, Field(ge=1, le=52)]
Day = Annotated[int, Field(ge=1, le=7)]
# A shift moves by at most the longest plan.
MAX_SHIFT_DAYS = 52 * 7


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReorderBody(_Body):
    days: dict[Day, Day] = Field(
        description='The week\'s workouts to move: day → new day, e.g. {"2": 4, "4": 2} swaps '
        "days 2 and 4; days not named stay."
    )


class ShiftBody(_Body):
    from_week: Week
    from_day: Day
    days: int = Field(
        ge=-MAX_SHIFT_DAYS,
        le=MAX_SHIFT_DAYS,
        description="Move every workout on or after from_week/from_day by this many days "
        "(7 per week; negative: earlier).",
    )


class CopyBody(_Body):
    to_week: Week = Field(description="The week that becomes a copy (its workouts replaced).")


class RevisionSummary(BaseModel):
    revision: int
    member_id: int | None = Field(description="Who saved it (the generating coach for 1).")
    member_name: str | None
    summary: str
    changes: list[Change]
    created_at: dt.datetime


class RevisionList(BaseModel):
    items: list[RevisionSummary] = Field(description="Newest first.")


class RevisionView(RevisionSummary):
    content: list[Workout]
    weekly_info: dict[str, WeekInfo]


async def _save(call: Call[Any, None], make: Callable[[PlanContent], Edit]) -> Response:
    """Apply the edit `make` builds from the plan's content to the revision If-Match
    names."""
    services = call.services
    row = await load_plan(call.request, call.caller)
    expected = if_match_revision(call.request)
    # Checked before the edit is made, so a stale edit is a 412 whatever its body says.
    check_editable(row, expected)
    edit = make(PlanContent.of(row))
    plan_id, member_id = uuid.UUID(row.id), call.caller.member_id

    def save(session: Session) -> PlanRow:
        return save_revision(
            session,
            plan_id=plan_id,
            expected_revision=expected,
            member_id=member_id,
            summary=edit.summary,
            changes=edit.dumped_changes(),
            workouts=edit.content.workouts,
            weekly_info=edit.content.weekly_info,
        )

    saved = await services.db.run(save)
    return plan_response(plan_view(saved, principles_dir=services.settings.principles_dir))


def _week_day(call: Call[Any, None]) -> tuple[int, int]:
    return path_int(call.request, "week"), path_int(call.request, "day")


async def update_workout(call: Call[BaseModel, None]) -> Response:
    week, day = _week_day(call)
    patch = call.body.model_dump(exclude_unset=True)
    return await _save(call, lambda content: edits.update_workout(content, week, day, patch))


async def delete_workout(call: Call[None, None]) -> Response:
    week, day = _week_day(call)
    return await _save(call, lambda content: edits.delete_workout(content, week, day))


async def add_workout(call: Call[BaseModel, None]) -> Response:
    fields = call.body.model_dump()
    return await _save(call, lambda content: edits.add_workout(content, fields))


async def reorder_week(call: Call[ReorderBody, None]) -> Response:
    week, days = path_int(call.request, "week"), call.body.days
    return await _save(call, lambda content: edits.reorder_week(content, week, days))


async def shift_plan(call: Call[ShiftBody, None]) -> Response:
    body = call.body
    return await _save(
        call,
        lambda content: edits.shift(content, body.from_week, body.from_day, body.days),
    )


async def copy_week(call: Call[CopyBody, None]) -> Response:
    week, to_week = path_int(call.request, "week"), call.body.to_week
    return await _save(call, lambda content: edits.copy_week(content, week, to_week))


def _member_names(session: Session, rows: list[PlanRevisionRow]) -> dict[int, str]:
    ids = {r.member_id for r in rows if r.member_id is not None}
    if not ids:
        return {}
    members = session.exec(select(Member.id, Member.name).where(col(Member.id).in_(ids))).all()
    return {member_id or 0: name for member_id, name in members}


def _summary(row: PlanRevisionRow, names: dict[int, str]) -> dict[str, Any]:
    return {
        "revision": row.revision,
        "member_id": row.member_id,
        "member_name": names.get(row.member_id) if row.member_id is not None else None,
        "summary": row.summary,
        "changes": row.changes,
        "created_at": row.created_at,
    }


async def read_revisions(call: Call[None, None]) -> Response:
    plan = await load_plan(call.request, call.caller)
    plan_id = uuid.UUID(plan.id)

    def load(session: Session) -> RevisionList:
        rows = list_revisions(session, plan_id)
        names = _member_names(session, rows)
        return RevisionList.model_validate({"items": [_summary(r, names) for r in rows]})

    return model_response(await call.services.db.run(load))


async def _revision(call: Call[Any, None]) -> tuple[PlanRow, PlanRevisionRow, dict[int, str]]:
    plan = await load_plan(call.request, call.caller)
    plan_id, number = uuid.UUID(plan.id), path_int(call.request, "revision")

    def load(session: Session) -> tuple[PlanRevisionRow | None, dict[int, str]]:
        row = get_revision(session, plan_id, number)
        return row, _member_names(session, [row] if row else [])

    row, names = await call.services.db.run(load)
    if row is None:
        raise NotFound(f"plan {plan_id} has no revision {number}")
    return plan, row, names


async def read_revision(call: Call[None, None]) -> Response:
    _, row, names = await _revision(call)
    view = {**_summary(row, names), "content": row.content, "weekly_info": row.weekly_info}
    return model_response(RevisionView.model_validate(view))


async def restore_revision(call: Call[None, None]) -> Response:
    _, kept, _ = await _revision(call)

    def restore(current: PlanContent) -> Edit:
        content = PlanContent(
            workouts=load_workouts(kept.content),
            weekly_info=load_weekly_info(kept.weekly_info),
            weeks=current.weeks,
            start_date=current.start_date,
        )
        return Edit(
            content,
            f"restored revision {kept.revision}",
            [Change(op="restore", revision=kept.revision)],
        )

    return await _save(call, restore)


_PLAN = "/v1/coach/plans/{plan_id}"
_WRITE_ERRORS = (400, 401, 403, 404, 413)


def _write(
    method: str, path: str, handler: Any, summary: str, body: type[BaseModel] | None = None
) -> AnyEndpoint:
    return Endpoint(
        method,
        _PLAN + path,
        handler,
        summary,
        "editor",
        body=body,
        response=PlanView,
        errors=_WRITE_ERRORS if body is not None else (400, 401, 403, 404),
        etag=True,
        if_match=True,
    )


ENDPOINTS: list[AnyEndpoint] = [
    _write(
        "PATCH",
        "/workouts/{week}/{day}",
        update_workout,
        "Change one workout (any field, steps included); a new week/day moves it, keeping "
        "its original date",
        WorkoutPatch,
    ),
    _write("DELETE", "/workouts/{week}/{day}", delete_workout, "Delete one workout"),
    _write("POST", "/workouts", add_workout, "Add a workout on a free day", WorkoutCreate),
    _write(
        "POST",
        "/weeks/{week}/reorder",
        reorder_week,
        "Move workouts to other days of their week",
        ReorderBody,
    ),
    _write(
        "POST",
        "/shift",
        shift_plan,
        "Move every workout from a day on by a number of days",
        ShiftBody,
    ),
    _write(
        "POST", "/weeks/{week}/copy", copy_week, "Make another week a copy of this one", CopyBody
    ),
    Endpoint(
        "GET",
        _PLAN + "/revisions",
        read_revisions,
        "A plan's revisions, newest first: who saved each, when, and what changed",
        "editor",
        response=RevisionList,
    ),
    Endpoint(
        "GET",
        _PLAN + "/revisions/{revision}",
        read_revision,
        "One revision of a plan, with its workouts as they were",
        "editor",
        response=RevisionView,
    ),
    _write(
        "POST",
        "/revisions/{revision}/restore",
        restore_revision,
        "Save a revision's workouts as the plan's newest revision",
    ),
]
