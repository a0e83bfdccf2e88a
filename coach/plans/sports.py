"""Which sport a workout belongs to, from its type or its title, and how long it may last."""

from __future__ import annotations

import re
from typing import Literal

from coach.plans.models import Sport

# The sports a single workout can be in; a triathlon plan mixes them.
Discipline = Literal["running", "cycling", "swimming"]

RUN_TYPES: frozenset[str] = frozenset({"easy-run", "recovery-run", "long-run"})
# A brick starts on the bike; vo2max is the cycling name of VO2max intervals.
RIDE_TYPES: frozenset[str] = frozenset(
    {"easy-ride", "recovery-ride", "long-ride", "sweet-spot", "vo2max", "brick"}
)
SWIM_TYPES: frozenset[str] = frozenset({"endurance-swim", "technique-swim", "swim-intervals"})

# Words that make a session a ride whatever the plan's sport: "Threshold ride", "Bike hill
# repeats". The draft parser and the template conversion both read titles with it.
RIDE_WORDS = re.compile(r"\b(ride|bike|cycl\w*|spin|trainer|zwift)\b", re.IGNORECASE)

# A workout shorter than MIN_MINUTES is not a session, and one longer than its sport's cap
# is not plausible.
MIN_MINUTES = 10
# The steady paces (s/km) a person can hold, from a slow walk (or an easy spin, or drills)
# to faster than any marathon record: a distance that needs more is not a session.
HUMAN_PACE: dict[str, tuple[float, float]] = {
    "running": (150.0, 900.0),
    "cycling": (50.0, 450.0),
    "swimming": (550.0, 3000.0),
}
MAX_MINUTES: dict[Sport, int] = {"running": 240, "cycling": 360, "swimming": 180, "triathlon": 360}
STRENGTH_MAX_MINUTES = 240


def type_sport(kind: str) -> Discipline | None:
    """The sport a workout type names; None for the types every sport has (tempo,
    threshold, intervals, hills, fartlek, progression, race) and for strength."""
    if kind in RUN_TYPES:
        return "running"
    if kind in RIDE_TYPES:
        return "cycling"
    if kind in SWIM_TYPES:
        return "swimming"
    return None


def sport_of(kind: str, plan_sport: Sport) -> Discipline:
    """The sport of a `kind` workout in a `plan_sport` plan: the one its type names, else
    the plan's; a triathlon's generic sessions are runs."""
    named = type_sport(kind)
    if named is not None:
        return named
    return "running" if plan_sport == "triathlon" else plan_sport


def max_minutes(kind: str, plan_sport: Sport) -> int:
    """The longest plausible `kind` workout; a race is held to its plan's sport."""
    if kind == "strength":
        return STRENGTH_MAX_MINUTES
    if kind == "race":
        return MAX_MINUTES[plan_sport]
    return MAX_MINUTES[sport_of(kind, plan_sport)]
