"""Plan revisions: the one place a plan's content changes after generation.

Every change is a compare-and-set on `plans.revision` (`UPDATE … WHERE revision =
expected`), so of two editors who read the same revision exactly one saves and the other
gets PreconditionFailed; each saved state is kept in `plan_revisions` with who changed
what, and when. Revision 1 is the generated plan (see `record_generated`).
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from coach.db.tables import PlanRevisionRow, PlanRow, utcnow
from coach.errors import Conflict, NotFound, PreconditionFailed
from coach.plans.models import WeekInfo, Workout

GENERATED_SUMMARY = "generated"


def dump_workouts(workouts: list[Workout]) -> list[dict[str, Any]]:
    return [w.model_dump(mode="json") for w in workouts]


def dump_weekly_info(weekly_info: dict[int, WeekInfo]) -> dict[str, Any]:
    return {str(k): v.model_dump(mode="json") for k, v in sorted(weekly_info.items())}


def load_workouts(content: list[dict[str, Any]]) -> list[Workout]:
    return [Workout.model_validate(w) for w in content]


def load_weekly_info(weekly_info: dict[str, Any]) -> dict[int, WeekInfo]:
    return {int(k): WeekInfo.model_validate(v) for k, v in weekly_info.items()}


def record_generated(session: Session, row: PlanRow) -> None:
    """Keep the just generated content of `row` as its revision 1."""
    session.add(
        PlanRevisionRow(
            plan_id=row.id,
            revision=1,
            member_id=row.member_id,
            summary=GENERATED_SUMMARY,
            changes=[],
            content=list(row.content),
            weekly_info=dict(row.weekly_info),
            created_at=row.finished_at or utcnow(),
        )
    )


def save_revision(
    session: Session,
    *,
    plan_id: uuid.UUID,
    expected_revision: int,
    member_id: int | None,
    summary: str,
    changes: list[dict[str, Any]],
    workouts: list[Workout],
    weekly_info: dict[int, WeekInfo],
) -> PlanRow:
    """Save `workouts`/`weekly_info` as revision `expected_revision + 1` of a complete
    plan; PreconditionFailed when the plan is no longer at `expected_revision` (another
    editor saved first), Conflict when it is not complete, NotFound when it does not exist.
    """
    current = session.get(PlanRow, str(plan_id))
    if current is None:
        raise NotFound(f"plan {plan_id} not found")
    check_editable(current, expected_revision)
    content = dump_workouts(workouts)
    weeks = dump_weekly_info(weekly_info)
    saved = cast(
        "CursorResult[Any]",
        session.execute(
            update(PlanRow)
            .where(
                col(PlanRow.id) == str(plan_id),
                col(PlanRow.revision) == expected_revision,
                col(PlanRow.status) == "complete",
            )
            .values(revision=expected_revision + 1, content=content, weekly_info=weeks)
            .execution_options(synchronize_session=False)
        ),
    )
    if not saved.rowcount:
        # Another editor's update committed between our read and our write.
        session.expire_all()
        latest = session.get(PlanRow, str(plan_id))
        raise _stale(plan_id, expected_revision, latest.revision if latest else None)
    session.add(
        PlanRevisionRow(
            plan_id=str(plan_id),
            revision=expected_revision + 1,
            member_id=member_id,
            summary=summary,
            changes=changes,
            content=content,
            weekly_info=weeks,
        )
    )
    session.flush()
    session.expire_all()
    row = session.get(PlanRow, str(plan_id))
    assert row is not None
    return row


def check_editable(row: PlanRow, expected_revision: int) -> None:
    """Conflict unless the plan is complete, PreconditionFailed unless it is still at
    `expected_revision` (an edit made on an older revision would undo the newer ones)."""
    if row.status != "complete":
        raise Conflict(f"plan {row.id} is {row.status}; only a complete plan can be edited")
    if row.revision != expected_revision:
        raise _stale(uuid.UUID(row.id), expected_revision, row.revision)


def _stale(plan_id: uuid.UUID, expected: int, current: int | None) -> PreconditionFailed:
    return PreconditionFailed(
        f"plan {plan_id} is at revision {current}, not {expected}; "
        "read it again and apply the change to the current revision",
        [{"field": "If-Match", "message": f"current revision is {current}"}],
    )


def list_revisions(session: Session, plan_id: uuid.UUID) -> list[PlanRevisionRow]:
    """Every kept revision of the plan, newest first."""
    return list(
        session.exec(
            select(PlanRevisionRow)
            .where(col(PlanRevisionRow.plan_id) == str(plan_id))
            .order_by(col(PlanRevisionRow.revision).desc())
        ).all()
    )


def get_revision(session: Session, plan_id: uuid.UUID, revision: int) -> PlanRevisionRow | None:
    return session.exec(
        select(PlanRevisionRow).where(
            col(PlanRevisionRow.plan_id) == str(plan_id),
            col(PlanRevisionRow.revision) == revision,
        )
    ).first()
