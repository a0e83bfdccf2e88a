"""Imported AI Endurance workouts into an organization's library, each once (by its marker).

Each stored template's description ends with the line `[aiendurance:<key>]`, the key
being AI Endurance's workout id (else `<date>/<name>`, made safe). A later import finds
the marker and updates that template in place, or leaves it alone if nothing changed.
The template JSON is strict and the table has no column for an external id; a
description line survives export and shows where a pushed workout came from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from coach.db.tables import Organization, WorkoutTemplateRow
from coach.providers.aiendurance_import import ImportedWorkout
from coach.templates.models import WorkoutTemplate

MARKER_PREFIX = "[aiendurance:"
_MARKER = re.compile(r"\[aiendurance:([A-Za-z0-9._:/-]{1,120})\]\s*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._:/-]+")

ImportStatus = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class StoredImport:
    """One imported workout as the library holds it."""

    workout_id: int
    template: WorkoutTemplate  # with its marker line
    key: str
    planned_date: dt.date | None
    status: ImportStatus


def marker_key(workout: ImportedWorkout) -> str:
    if workout.source_id:
        key = workout.source_id
    else:
        day = workout.planned_date.isoformat() if workout.planned_date else "undated"
        key = f"{day}/{workout.template.name}"
    return _UNSAFE.sub("-", key)[:120]


def with_marker(template: WorkoutTemplate, key: str) -> WorkoutTemplate:
    marker = f"{MARKER_PREFIX}{key}]"
    description = f"{template.description}\n{marker}" if template.description else marker
    return template.model_copy(update={"description": description})


def marker_of(template: dict[str, Any]) -> str | None:
    match = _MARKER.search(str(template.get("description") or ""))
    return match.group(1) if match else None


def store_imported(
    session: Session, organization_id: int, workouts: Sequence[ImportedWorkout]
) -> list[StoredImport]:
    """Create, update or keep a library template per workout, in the workouts' order."""
    # Serialize imports per organization on PostgreSQL (SQLite ignores FOR UPDATE).
    session.exec(
        select(Organization).where(col(Organization.id) == organization_id).with_for_update()
    ).first()
    candidates = session.exec(
        select(WorkoutTemplateRow)
        .where(
            col(WorkoutTemplateRow.organization_id) == organization_id,
            cast(col(WorkoutTemplateRow.template), String).contains(MARKER_PREFIX, autoescape=True),
        )
        .order_by(col(WorkoutTemplateRow.id))
    ).all()
    by_key: dict[str, WorkoutTemplateRow] = {}
    for candidate in candidates:
        found = marker_of(candidate.template)
        if found is not None:
            by_key.setdefault(found, candidate)
    out = []
    for workout in workouts:
        key = marker_key(workout)
        template = with_marker(workout.template, key)
        data = template.model_dump(mode="json", exclude_none=True)
        row = by_key.get(key)
        status: ImportStatus
        if row is None:
            row = WorkoutTemplateRow(
                organization_id=organization_id,
                name=template.name,
                sport=template.sport,
                template=data,
            )
            status = "created"
        elif row.template != data:
            row.name, row.sport, row.template = template.name, template.sport, data
            status = "updated"
        else:
            status = "unchanged"
        if status != "unchanged":
            session.add(row)
            session.flush()
        by_key[key] = row  # the same workout twice in one answer stays one template
        out.append(StoredImport(row.id or 0, template, key, workout.planned_date, status))
    return out
