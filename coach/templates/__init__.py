"""Workout templates: the Terra-shaped model, plan conversion, and FIT/ZWO/ICS exporters."""

from __future__ import annotations

from coach.templates.convert import estimate_totals, template_to_workout, workout_to_template
from coach.templates.fit import encode_fit, template_to_fit
from coach.templates.ics import CalendarItem, planned_workouts_to_ics
from coach.templates.models import (
    CoercionWarning,
    Export,
    WorkoutTemplate,
    WorkoutTemplateRequest,
)
from coach.templates.zwo import encode_zwo, template_to_zwo

__all__ = [
    "CalendarItem",
    "CoercionWarning",
    "Export",
    "WorkoutTemplate",
    "WorkoutTemplateRequest",
    "encode_fit",
    "encode_zwo",
    "estimate_totals",
    "planned_workouts_to_ics",
    "template_to_fit",
    "template_to_workout",
    "template_to_zwo",
    "workout_to_template",
]
