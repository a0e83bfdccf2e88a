"""Edits of a stored plan's content: change, move, add or delete one workout, reorder a
week, shift everything from a day on, copy a week.

Each edit takes the plan's content and answers the new content with what changed; saving
it as a revision is coach.plans.revisions' job. A workout is named by its week and day
(one workout per day). Dates follow the plan's calendar (its start date, else the dates
it has); a workout moved off its first date keeps that date as `original_date`. Every
edited workout is validated by the Workout model, so an edit keeps the limits a generated
plan keeps; a bad value is a 400 naming the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, create_model

from coach.db.tables import PlanRow
from coach.errors import BadRequest, Conflict, NotFound
from coach.field_errors import error_details
from coach.plans.models import WeekInfo, Workout
from coach.plans.report import plan_weeks
from coach.plans.revisions import load_weekly_info, load_workouts

# Fields an edit never sets: they follow from where the workout is.
DERIVED_FIELDS = frozenset({"date", "original_date"})
DAYS_PER_WEEK = 7


class Change(BaseModel):
    """One change a revision made (fields that do not apply to its `op` are absent)."""

    op: str = Field(description="update, move, add, delete, shift, copy, restore, regenerate.")
    week: int | None = None
    day: int | None = None
    to_week: int | None = None
    to_day: int | None = None
    fields: list[str] | None = Field(default=None, description="update: the fields changed.")
    days: int | None = Field(default=None, description="shift: by how many days.")
    revision: int | None = Field(default=None, description="restore: the revision restored.")


def _optional_fields() -> dict[str, Any]:
    """Workout's own fields with their limits, each optional (and never null)."""
    fields: dict[str, Any] = {}
    for name, info in Workout.model_fields.items():
        if name in DERIVED_FIELDS:
            continue
        annotation = (
            Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        )
        fields[name] = (annotation, Field(default=None, description=info.description))
    return fields


def _own_fields() -> dict[str, Any]:
    """Workout's fields as Workout declares them, less the derived ones."""
    return {
        name: (info.annotation, info)
        for name, info in Workout.model_fields.items()
        if name not in DERIVED_FIELDS
    }


# The bodies of the edit endpoints, made from Workout so the limits are the same.
WorkoutPatch: type[BaseModel] = create_model(
    "WorkoutPatch",
    __config__=Workout.model_config,
    __doc__="The fields of one workout to change; a new `week`/`day` moves it.",
    **_optional_fields(),
)
WorkoutCreate: type[BaseModel] = create_model(
    "WorkoutCreate",
    __config__=Workout.model_config,
    __doc__="A workout to add; its date follows from its week and day.",
    **_own_fields(),
)


@dataclass(frozen=True)
class PlanContent:
    """What an edit changes: the workouts and the weekly summaries of a plan of `weeks`
    weeks starting on `start_date` (when it has one)."""

    workouts: list[Workout]
    weekly_info: dict[int, WeekInfo]
    weeks: int
    start_date: dt.date | None

    @classmethod
    def of(cls, row: PlanRow) -> PlanContent:
        """The stored plan's current content."""
        workouts = load_workouts(row.content)
        start = row.request.get("start_date")
        return cls(
            workouts=workouts,
            weekly_info=load_weekly_info(row.weekly_info),
            weeks=plan_weeks(row.request, workouts),
            start_date=dt.date.fromisoformat(start) if isinstance(start, str) else None,
        )


@dataclass(frozen=True)
class Edit:
    content: PlanContent
    summary: str
    changes: list[Change]

    def dumped_changes(self) -> list[dict[str, Any]]:
        return [c.model_dump(mode="json", exclude_none=True) for c in self.changes]


Slot = tuple[int, int]


def _index(week: int, day: int) -> int:
    return (week - 1) * DAYS_PER_WEEK + day - 1


def _slot(index: int) -> Slot:
    week, day = divmod(index, DAYS_PER_WEEK)
    return week + 1, day + 1


def _anchor(content: PlanContent) -> dt.date | None:
    """The date of week 1 day 1: the start date, else what the plan's dates say."""
    if content.start_date is not None:
        return content.start_date
    for w in content.workouts:
        if w.date is not None:
            return w.date - dt.timedelta(days=_index(w.week, w.day))
    return None


def _placed(content: PlanContent, workout: Workout, week: int, day: int) -> Workout:
    """`workout` moved from its week/day to `week`/`day`: its date follows the plan's
    calendar, and a workout moved off its first date keeps that date as `original_date`
    (cleared when it returns there)."""
    anchor = _anchor(content)
    date = anchor + dt.timedelta(days=_index(week, day)) if anchor else None
    original = workout.original_date or workout.date
    return workout.model_copy(
        update={
            "week": week,
            "day": day,
            "date": date,
            "original_date": None if original == date else original,
        }
    )


def _validated(data: Mapping[str, Any], where: str = "") -> Workout:
    try:
        return Workout.model_validate(dict(data))
    except ValidationError as exc:
        details = [
            {**d, "field": f"{where}{d['field']}"} if where else d for d in error_details(exc)
        ]
        fields = ", ".join(dict.fromkeys(d["field"] for d in details))
        raise BadRequest(f"invalid workout: {fields}", details) from exc


def _find(content: PlanContent, week: int, day: int) -> Workout:
    for w in content.workouts:
        if (w.week, w.day) == (week, day):
            return w
    raise NotFound(f"the plan has no workout on week {week} day {day}")


def _check_week(content: PlanContent, week: int, field: str) -> None:
    if week > content.weeks:
        raise BadRequest.field(field, f"the plan has {content.weeks} weeks")


def _check_free(content: PlanContent, week: int, day: int, moving: Workout | None = None) -> None:
    for w in content.workouts:
        if (w.week, w.day) == (week, day) and w is not moving:
            raise Conflict(
                f"week {week} day {day} already has a workout ({w.title}); move or delete it first"
            )


def _with(content: PlanContent, workouts: list[Workout], **weekly: WeekInfo) -> PlanContent:
    """The content with `workouts` (sorted by day) and each week's total distance summed
    again from them."""
    ordered = sorted(workouts, key=lambda w: _index(w.week, w.day))
    info = {**content.weekly_info, **{int(k): v for k, v in weekly.items()}}
    totals: dict[int, int] = {}
    for w in ordered:
        totals[w.week] = totals.get(w.week, 0) + w.distance
    info = {
        week: summary.model_copy(update={"total_distance": totals.get(week, 0)})
        for week, summary in sorted(info.items())
    }
    return PlanContent(ordered, info, content.weeks, content.start_date)


def _where(week: int, day: int) -> str:
    return f"week {week} day {day}"


def update_workout(content: PlanContent, week: int, day: int, patch: Mapping[str, Any]) -> Edit:
    """Change fields of the workout on week/day; a new week or day moves it there."""
    if not patch:
        raise BadRequest.field("body", "name at least one field to change")
    current = _find(content, week, day)
    before = current.model_dump()
    merged = _validated({**before, **patch})
    to_week, to_day = merged.week, merged.day
    _check_week(content, to_week, "week")
    _check_free(content, to_week, to_day, moving=current)
    after = merged.model_dump()
    placed = _placed(content, merged.model_copy(update={"week": week, "day": day}), to_week, to_day)
    workouts = [placed if w is current else w for w in content.workouts]
    changed = sorted(k for k in patch if k not in ("week", "day") and before[k] != after[k])
    changes: list[Change] = []
    summaries: list[str] = []
    if changed:
        changes.append(Change(op="update", week=week, day=day, fields=changed))
        summaries.append(f"changed {', '.join(changed)} of {_where(week, day)}")
    if (to_week, to_day) != (week, day):
        changes.append(Change(op="move", week=week, day=day, to_week=to_week, to_day=to_day))
        summaries.append(f"moved {_where(week, day)} to {_where(to_week, to_day)}")
    if not changes:
        raise BadRequest.field("body", "the workout already is as the body says")
    return Edit(_with(content, workouts), "; ".join(summaries), changes)


def delete_workout(content: PlanContent, week: int, day: int) -> Edit:
    current = _find(content, week, day)
    workouts = [w for w in content.workouts if w is not current]
    return Edit(
        _with(content, workouts),
        f"deleted {_where(week, day)} ({current.title})",
        [Change(op="delete", week=week, day=day)],
    )


def add_workout(content: PlanContent, fields: Mapping[str, Any]) -> Edit:
    added = _validated(fields)
    _check_week(content, added.week, "week")
    _check_free(content, added.week, added.day)
    placed = _placed(content, added, added.week, added.day).model_copy(
        update={"original_date": None}
    )
    return Edit(
        _with(content, [*content.workouts, placed]),
        f"added {_where(added.week, added.day)} ({added.title})",
        [Change(op="add", week=added.week, day=added.day)],
    )


def _moved_all(content: PlanContent, moves: dict[Slot, Slot], field: str) -> list[Workout]:
    """The plan's workouts with the workout on each slot of `moves` on its new slot; 400
    (naming `field`) when two workouts would share a day."""
    taken: dict[Slot, Workout] = {}
    result: list[Workout] = []
    for w in content.workouts:
        slot = moves.get((w.week, w.day), (w.week, w.day))
        if slot in taken:
            raise BadRequest.field(
                field, f"{_where(*slot)} would hold two workouts ({taken[slot].title}, {w.title})"
            )
        taken[slot] = w
        result.append(_placed(content, w, *slot) if slot != (w.week, w.day) else w)
    return result


def reorder_week(content: PlanContent, week: int, days: Mapping[int, int]) -> Edit:
    """Move workouts within one week: `days` maps a workout's day to its new day."""
    if not days:
        raise BadRequest.field("days", "name at least one day to move")
    slots = {(w.week, w.day) for w in content.workouts}
    moves: dict[Slot, Slot] = {}
    for day, to_day in sorted(days.items()):
        if (week, day) not in slots:
            raise BadRequest.field(f"days.{day}", f"week {week} has no workout on day {day}")
        if to_day != day:
            moves[(week, day)] = (week, to_day)
    if not moves:
        raise BadRequest.field("days", "every day named stays where it is")
    workouts = _moved_all(content, moves, "days")
    changes = [
        Change(op="move", week=week, day=day, to_week=to[0], to_day=to[1])
        for (_, day), to in sorted(moves.items())
    ]
    moved = ", ".join(f"day {c.day} to day {c.to_day}" for c in changes)
    return Edit(_with(content, workouts), f"reordered week {week}: {moved}", changes)


def shift(content: PlanContent, from_week: int, from_day: int, days: int) -> Edit:
    """Move every workout on or after week/day by `days` days (negative: earlier)."""
    if days == 0:
        raise BadRequest.field("days", "must not be 0")
    _check_week(content, from_week, "from_week")
    start = _index(from_week, from_day)
    last = content.weeks * DAYS_PER_WEEK - 1
    moves: dict[Slot, Slot] = {}
    for w in content.workouts:
        index = _index(w.week, w.day)
        if index < start:
            continue
        if not 0 <= index + days <= last:
            raise BadRequest.field(
                "days", f"{_where(w.week, w.day)} would leave the plan's {content.weeks} weeks"
            )
        moves[(w.week, w.day)] = _slot(index + days)
    if not moves:
        raise BadRequest.field("from_week", f"no workout on or after {_where(from_week, from_day)}")
    workouts = _moved_all(content, moves, "days")
    unit = f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'later' if days > 0 else 'earlier'}"
    return Edit(
        _with(content, workouts),
        f"shifted {len(moves)} workouts from {_where(from_week, from_day)} {unit}",
        [Change(op="shift", week=from_week, day=from_day, days=days)],
    )


def copy_week(content: PlanContent, week: int, to_week: int) -> Edit:
    """Make `to_week` a copy of `week` (its workouts replaced, its summary copied)."""
    if to_week == week:
        raise BadRequest.field("to_week", "must be another week than the one copied")
    _check_week(content, week, "week")
    _check_week(content, to_week, "to_week")
    source = [w for w in content.workouts if w.week == week]
    if not source:
        raise NotFound(f"the plan has no workout in week {week}")
    kept = [w for w in content.workouts if w.week != to_week]
    copies = [
        _placed(content, w, to_week, w.day).model_copy(update={"original_date": None})
        for w in source
    ]
    weekly = {str(to_week): content.weekly_info[week]} if week in content.weekly_info else {}
    return Edit(
        _with(content, [*kept, *copies], **weekly),
        f"copied week {week} to week {to_week}",
        [Change(op="copy", week=week, to_week=to_week)],
    )
