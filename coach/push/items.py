"""An outbox row as the adapter's PushItem: its payload, dates to search, kept progress."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from coach.db.tables import PlannedWorkoutRow, WorkoutTemplateRow
from coach.providers.base import PushItem
from coach.push.outbox import progress_of, search_dates
from coach.templates.models import WorkoutTemplate

TEMPLATE_GONE = "the workout template was deleted before this workout was pushed"


def payload_of(
    row: PlannedWorkoutRow, templates: dict[int, WorkoutTemplateRow]
) -> dict[str, Any] | None:
    """The template the row pushes: its own copy, else (rows older than the copies) the
    library's, while it exists."""
    if row.template is not None:
        return row.template
    live = templates.get(row.workout_id)
    return live.template if live is not None else None


def item_for(
    row: PlannedWorkoutRow, templates: dict[int, WorkoutTemplateRow], *, lookup_only: bool = False
) -> PushItem | None:
    """The row as a PushItem; None when it has nothing to push. `lookup_only`: for a
    look-up by marker, which reads no template (a placeholder stands in for a lost one)."""
    data = payload_of(row, templates)
    template: WorkoutTemplate | None = None
    if data is not None:
        try:
            template = WorkoutTemplate.model_validate(data)
        except ValidationError:
            template = None
    if template is None:
        if not lookup_only:
            return None
        template = WorkoutTemplate.model_construct(
            name="(deleted)", sport="running", step_blocks=[]
        )
    adapter_progress = progress_of(row).get("adapter")
    return PushItem(
        template,
        row.planned_date,
        row.idempotency_key,
        search_dates(row),
        dict(adapter_progress) if isinstance(adapter_progress, dict) else {},
    )
