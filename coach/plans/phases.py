"""Training phases: their names, what each week of a phase focuses on, and a default phase."""

from __future__ import annotations

from typing import get_args

from coach.plans.models import Phase

PHASES: tuple[Phase, ...] = get_args(Phase)

# A week's focus when nothing more specific is known; drafts show it in each week header.
FOCUS: dict[Phase, str] = {
    "base": "aerobic base and durability",
    "build": "threshold work and volume",
    "peak": "race-specific sharpness",
    "taper": "freshen up, keep the legs sharp",
    "recovery": "absorb the training, lower volume",
}


def default_phase(week: int, weeks: int) -> Phase:
    """The phase of a week whose draft names none: base, build, peak, then a taper week."""
    if weeks >= 4 and week == weeks:
        return "taper"
    share = (week - 1) / max(weeks, 1)
    return "base" if share < 0.4 else "build" if share < 0.8 else "peak"
