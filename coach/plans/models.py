"""The structured plan: Workout, Segment, Step and Target, as docs/http-api.md defines them.

These classes are the single source of the plan's shape: the HTTP responses, the OpenAPI
schema, the LLM's JSON schema and the validator all come from them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Phase = Literal["base", "build", "peak", "taper", "recovery"]
Intensity = Literal["warmup", "cooldown", "active", "interval", "recovery", "rest"]
DurationType = Literal["time", "distance_meters", "open"]
TargetType = Literal["pace", "heart_rate", "power", "speed", "rpe", "open"]
SegmentKind = Literal["warmup", "main", "cooldown"]
WorkoutSource = Literal["ai", "library", "builtin"]
Sport = Literal["running", "cycling", "swimming", "triathlon"]

# Workout types the engines produce. Hard types count as quality sessions for the rule
# "never two hard days back to back".
WorkoutType = Literal[
    "easy-run",
    "recovery-run",
    "long-run",
    "tempo",
    "threshold",
    "intervals",
    "hills",
    "fartlek",
    "progression",
    "race",
    "easy-ride",
    "recovery-ride",
    "long-ride",
    "sweet-spot",
    "vo2max",
    "endurance-swim",
    "technique-swim",
    "swim-intervals",
    "brick",
    "strength",
]
HARD_TYPES: frozenset[str] = frozenset(
    {
        "tempo",
        "threshold",
        "intervals",
        "hills",
        "fartlek",
        "progression",
        "race",
        "sweet-spot",
        "vo2max",
        "swim-intervals",
        "brick",
    }
)


# The limits of a workout are those of a library template (coach.templates.models), the
# other source of workouts; edits keep them too.


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Strict):
    """What the athlete aims for during a step: a range in the unit of `type`, or a zone.

    Units: pace in seconds per km, heart_rate in bpm, power in W, speed in m/s, rpe 1-10.
    """

    type: TargetType
    low: float | None = None
    high: float | None = None
    zone: int | None = Field(default=None, ge=1, le=7)


class Step(_Strict):
    intensity: Intensity
    duration_type: DurationType
    duration_value: float | None = Field(default=None, ge=0)
    target: Target | None = None
    notes: str | None = Field(default=None, max_length=10000)


class Segment(_Strict):
    kind: SegmentKind
    repeats: int = Field(default=1, ge=1, le=100)
    steps: list[Step] = Field(min_length=1, max_length=200)


class Workout(_Strict):
    """One training day of a plan."""

    week: int = Field(ge=1, le=52)
    day: int = Field(ge=1, le=7)
    date: dt.date | None = None
    original_date: dt.date | None = Field(
        default=None,
        description="Set when an edit moved the workout: the date it was first planned on, "
        "so planned and done stay comparable.",
    )
    title: str = Field(min_length=1, max_length=200)
    phase: Phase
    type: WorkoutType
    description: str = Field(default="", max_length=10000)
    duration: int = Field(ge=0, description="Seconds.")
    distance: int = Field(ge=0, description="Meters.")
    segments: list[Segment] = Field(default_factory=list, max_length=200)
    source: WorkoutSource = "builtin"


class WeekInfo(_Strict):
    phase: Phase
    focus: str
    total_distance: int = Field(ge=0, description="Meters.")
