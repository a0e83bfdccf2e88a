"""What each provider or device can take, from the coercion table of research/workout-formats §7."""

from __future__ import annotations

from typing import get_args

from coach.providers.base import Capabilities, TextLimits
from coach.templates.models import (
    IntensityTargetType,
    TemplateDurationType,
    TemplateSport,
)

ALL_SPORTS = frozenset(get_args(TemplateSport))
ALL_DURATIONS = frozenset(get_args(TemplateDurationType))
ALL_TARGETS = frozenset(get_args(IntensityTargetType))
ALL_COMPLETIONS = frozenset(
    {
        "fixed_repetition",
        "distance_threshold",
        "time_threshold",
        "calories_threshold",
        "hr_below",
        "hr_above",
        "power_below",
        "power_above",
        "open",
    }
)
_RUN_FOLD = {"treadmill_running": "running", "indoor_running": "running"}
_BIKE_FOLD = {"mountain_biking": "biking", "road_biking": "biking", "stationary_biking": "biking"}

# Garmin behind Terra: the Training API V2 (100 steps, repeat counts <= 100, no % targets,
# names <= 80, descriptions <= 1024, step text <= 512). Unknown sports become GENERIC.
GARMIN = Capabilities(
    name="garmin",
    sports=frozenset(
        {
            "running",
            "biking",
            "swimming_swimming_pool",
            "strength_training",
            "cardio_training",
            "yoga",
            "pilates",
        }
    ),
    sport_fallback={
        **_RUN_FOLD,
        **_BIKE_FOLD,
        "weightlifting": "strength_training",
        "hiit": "cardio_training",
    },
    generic_sport="generic",
    duration_types=ALL_DURATIONS - {"steps"},
    target_types=frozenset(
        {"speed", "pace", "heart_rate", "power", "cadence", "open", "swim_stroke"}
    ),
    completion_types=frozenset(
        {"fixed_repetition", "time_threshold", "distance_threshold", "open"}
    ),
    max_steps=100,
    max_repeat_count=100,
    duration_decimals={"time": 0, "fixed_rest": 0, "distance_meters": 2},
    target_decimals={"heart_rate": 0, "power": 0, "cadence": 0, "pace": 0, "speed": 3},
    text=TextLimits(name=80, description=1024, notes=512),
)

# Wahoo plan.json: run and bike only, time/distance endings, relative targets native.
WAHOO = Capabilities(
    name="wahoo",
    sports=frozenset({"running", "biking"}),
    sport_fallback={**_RUN_FOLD, **_BIKE_FOLD},
    duration_types=frozenset({"time", "distance_meters"}),
    target_types=frozenset({"power", "heart_rate", "speed", "cadence", "open"}),
    relative_targets=frozenset(
        {"power_percentage", "heart_rate_threshold_percentage", "heart_rate_max_percentage"}
    ),
    completion_types=frozenset({"fixed_repetition"}),
    intensity_types=frozenset({"warmup", "active", "recovery", "rest", "cooldown"}),
    intensity_fallback={"interval": "active"},
    pool_lengths_m=None,
    zone_targets=False,
    target_decimals={"heart_rate": 0, "power": 0, "cadence": 0, "speed": 3},
    text=TextLimits(description=5000),
)

# COROS Training Plan API: one target per step, integer lengths and percentages.
COROS = Capabilities(
    name="coros",
    sports=frozenset({"running", "biking", "swimming"}),
    sport_fallback={
        **_RUN_FOLD,
        **_BIKE_FOLD,
        "swimming_swimming_pool": "swimming",
        "swimming_open_water": "swimming",
    },
    duration_types=frozenset({"time", "distance_meters", "open"}),
    target_types=frozenset({"power", "heart_rate", "speed", "cadence", "open", "swim_stroke"}),
    relative_targets=frozenset({"power_percentage", "heart_rate_threshold_percentage"}),
    max_targets=1,
    completion_types=frozenset({"fixed_repetition"}),
    intensity_types=frozenset({"warmup", "cooldown", "active", "rest"}),
    intensity_fallback={"recovery": "rest", "interval": "active"},
    pool_lengths_m=None,
    zone_targets=False,
    duration_decimals={"time": 0, "distance_meters": 0},
    target_decimals={
        "heart_rate": 0,
        "power": 0,
        "cadence": 0,
        "speed": 2,
        "power_percentage": 0,
        "heart_rate_threshold_percentage": 0,
    },
)

# Shape's step format (https://shapecalendar.com/llms.txt): no rest or active step type, no pool
# length field, pace in s/km as the reference's example shows (210-240 for 400 m repeats).
SHAPE = Capabilities(
    name="shape",
    sports=frozenset({"running", "biking", "swimming", "strength_training", "yoga"}),
    sport_fallback={
        **_RUN_FOLD,
        **_BIKE_FOLD,
        "swimming_swimming_pool": "swimming",
        "swimming_open_water": "swimming",
        "weightlifting": "strength_training",
    },
    generic_sport="other",
    duration_types=frozenset({"time", "distance_meters", "open"}),
    target_types=frozenset({"heart_rate", "pace", "power", "speed", "cadence", "open"}),
    intensity_types=frozenset({"warmup", "cooldown", "interval", "recovery"}),
    intensity_fallback={"active": "interval", "rest": "recovery"},
    max_steps=50,
    max_repeat_count=100,
    pool_lengths_m=None,
    duration_decimals={"time": 0, "distance_meters": 0},
    target_decimals={"heart_rate": 0, "power": 0, "cadence": 0, "pace": 0, "speed": 2},
    text=TextLimits(name=80, description=1024, notes=512),
)

# Zwift .zwo: time steps, power as a fraction of FTP, repeats only as 2-step IntervalsT.
ZWIFT = Capabilities(
    name="zwift",
    sports=frozenset({"biking", "running"}),
    sport_fallback={**_RUN_FOLD, **_BIKE_FOLD},
    duration_types=frozenset({"time"}),
    # Watts become FTP fractions in the .zwo writer (it needs the athlete's FTP).
    target_types=frozenset({"power", "cadence", "open"}),
    relative_targets=frozenset({"power_percentage"}),
    max_targets=1,
    completion_types=frozenset({"fixed_repetition"}),
    max_repeat_steps=2,
    pool_lengths_m=None,
    zone_targets=False,
    duration_decimals={"time": 0},
    target_decimals={"power_percentage": 0, "cadence": 0},
)

# A FIT workout file: every sport, all durations but "steps"; devices cope with ~50 steps.
FIT = Capabilities(
    name="fit",
    sports=ALL_SPORTS,
    duration_types=ALL_DURATIONS - {"steps"},
    target_types=frozenset(
        {
            "speed",
            "pace",
            "heart_rate",
            "power",
            "cadence",
            "speed_lap",
            "heart_rate_lap",
            "open",
            "swim_stroke",
        }
    ),
    relative_targets=frozenset({"heart_rate_max_percentage", "power_percentage"}),
    completion_types=ALL_COMPLETIONS,
    max_steps=50,
    duration_decimals={"time": 3, "fixed_rest": 3, "distance_meters": 2},
    target_decimals={"speed": 3, "heart_rate": 0, "power": 0, "cadence": 0},
    text=TextLimits(name=254, description=254, notes=254, unit="bytes"),
)

# A calendar event is text: it takes everything as it is.
ICS = Capabilities(
    name="ics",
    sports=ALL_SPORTS,
    duration_types=ALL_DURATIONS,
    target_types=ALL_TARGETS,
    relative_targets=ALL_TARGETS,
    max_targets=99,
    completion_types=ALL_COMPLETIONS,
)

# AI Endurance takes our workouts as FIT files (fit_partner_ping): the FIT format's limits.
AIENDURANCE = FIT.model_copy(update={"name": "aiendurance"})

BY_NAME: dict[str, Capabilities] = {
    c.name: c for c in (GARMIN, WAHOO, COROS, SHAPE, ZWIFT, FIT, ICS, AIENDURANCE)
}


def capabilities_for(name: str) -> Capabilities:
    """Capabilities by provider or device name (garmin, wahoo, coros, shape, zwift, fit, ...)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"no capabilities for {name!r}; known: {', '.join(sorted(BY_NAME))}"
        ) from None
