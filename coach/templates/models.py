"""The Terra-shaped `workout_template` models: every accepted enum string, and the rules."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

# The "Accepted Enum Strings" tables of Terra's Planned Workouts API reference, verbatim
# (https://docs.tryterra.co/planned-workouts-api/core-concepts).
TemplateSport = Literal[
    "running",
    "treadmill_running",
    "indoor_running",
    "biking",
    "mountain_biking",
    "road_biking",
    "stationary_biking",
    "swimming",
    "swimming_swimming_pool",
    "swimming_open_water",
    "strength_training",
    "weightlifting",
    "yoga",
    "pilates",
    "hiit",
    "cardio_training",
]
CompletionConditionType = Literal[
    "fixed_repetition",
    "distance_threshold",
    "time_threshold",
    "calories_threshold",
    "hr_below",
    "hr_above",
    "power_below",
    "power_above",
    "open",
]
TemplateDurationType = Literal[
    "time",
    "distance_meters",
    "hr_less_than",
    "hr_greater_than",
    "calories",
    "open",
    "power_less_than",
    "power_greater_than",
    "reps",
    "fixed_rest",
    "steps",
]
IntensityType = Literal["rest", "warmup", "cooldown", "recovery", "interval", "active"]
IntensityTargetType = Literal[
    "speed",
    "heart_rate",
    "open",
    "cadence",
    "power",
    "swim_stroke",
    "speed_lap",
    "heart_rate_lap",
    "pace",
    "heart_rate_threshold_percentage",
    "heart_rate_max_percentage",
    "speed_percentage",
    "power_percentage",
    "repetition",
    "tss",
    "if",
    "rpe",
]
Environment = Literal["indoor", "outdoor", "pool"]
StrokeType = Literal["backstroke", "breaststroke", "drill", "butterfly", "freestyle", "mixed", "im"]
DrillType = Literal["kick", "pull", "drill"]
EquipmentType = Literal[
    "none", "swim_fins", "swim_kickboard", "swim_paddles", "swim_pull_buoy", "swim_snorkel"
]
ExerciseCategory = Literal[
    "bench_press",
    "calf_raise",
    "cardio",
    "carry",
    "chop",
    "core",
    "crunch",
    "curl",
    "deadlift",
    "fly",
    "hip_raise",
    "hip_stability",
    "hip_swing",
    "hyperextension",
    "lateral_raise",
    "leg_curl",
    "leg_raise",
    "lunge",
    "olympic_lift",
    "plank",
    "plyo",
    "pull_up",
    "push_up",
    "row",
    "shoulder_press",
    "shoulder_stability",
    "shrug",
    "sit_up",
    "squat",
    "total_body",
    "triceps_extension",
    "warm_up",
    "run",
    "bike",
    "cardio_sensors",
    "battle_rope",
    "sandbag",
    "sled",
    "sledge_hammer",
    "suspension",
    "tire",
    "elliptical",
    "stair_stepper",
    "ladder",
]
WeightUnit = Literal["kilogram", "pound"]

SWIM_SPORTS: frozenset[str] = frozenset(
    {"swimming", "swimming_swimming_pool", "swimming_open_water"}
)
CYCLING_SPORTS: frozenset[str] = frozenset(
    {"biking", "mountain_biking", "road_biking", "stationary_biking"}
)
RUNNING_SPORTS: frozenset[str] = frozenset({"running", "treadmill_running", "indoor_running"})
# Sports whose steps may carry exercise data; endurance sports have no exercises.
STRENGTH_SPORTS: frozenset[str] = frozenset(
    {"strength_training", "weightlifting", "hiit", "cardio_training", "yoga", "pilates"}
)


def _fail(loc: tuple[str | int, ...], kind: str, message: str, value: Any) -> ValidationError:
    # Raised from a model validator so the error's loc names the offending field itself
    # (pydantic would otherwise report the whole object), which the 400 body must name.
    return ValidationError.from_exception_data(
        "workout_template",
        [InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)],
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompletionCondition(_Strict):
    """How a step block completes; `value` is a count, meters, seconds, kcal, bpm or W."""

    type: CompletionConditionType
    value: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _value_rules(self) -> CompletionCondition:
        if self.type != "open" and self.value is None:
            raise _fail(("value",), "missing", f"value is required for type {self.type!r}", None)
        if (
            self.type == "fixed_repetition"
            and self.value is not None
            and (self.value < 1 or self.value != int(self.value))
        ):
            raise _fail(
                ("value",),
                "repetition_count",
                "fixed_repetition needs a whole count >= 1",
                self.value,
            )
        return self


class IntensityTarget(_Strict):
    """A target: `value` (a single value, or a zone 1-7) or a `value_low`/`value_high` range."""

    target_type: IntensityTargetType
    value: float | None = None
    value_low: float | None = None
    value_high: float | None = None

    @model_validator(mode="after")
    def _one_form(self) -> IntensityTarget:
        has_range = self.value_low is not None or self.value_high is not None
        if self.value is not None and has_range:
            field = "value_low" if self.value_low is not None else "value_high"
            raise _fail(
                (field,),
                "value_and_range",
                "use either value or value_low/value_high, not both",
                getattr(self, field),
            )
        if self.target_type != "open" and self.value is None and not has_range:
            raise _fail(
                ("value",),
                "missing",
                f"a {self.target_type!r} target needs value or value_low/value_high",
                None,
            )
        return self


class SwimmingData(_Strict):
    stroke_type: StrokeType | None = None
    drill_type: DrillType | None = None
    equipment: EquipmentType | None = None


class StrengthData(_Strict):
    exercise_category: ExerciseCategory
    exercise_name: str | None = Field(default=None, max_length=200)
    weight_kg: float | None = Field(default=None, ge=0)
    weight_display_unit: WeightUnit | None = None


class WorkoutStep(_Strict):
    order: int = Field(ge=1)
    duration_type: TemplateDurationType
    duration_value: float | None = Field(default=None, ge=0)
    intensity_type: IntensityType
    intensity_targets: list[IntensityTarget] | None = Field(default=None, max_length=4)
    notes: str | None = Field(default=None, max_length=10000)
    swimming: SwimmingData | None = None
    strength: StrengthData | None = None

    @model_validator(mode="after")
    def _duration_value_needed(self) -> WorkoutStep:
        # Only the lap-button duration has no value; every other type is "until N units".
        if self.duration_type != "open" and self.duration_value is None:
            raise _fail(
                ("duration_value",),
                "missing",
                f"duration_value is required for duration_type {self.duration_type!r}",
                None,
            )
        return self


class StepBlock(_Strict):
    completion_condition: CompletionCondition
    steps: list[WorkoutStep] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _contiguous_order(self) -> StepBlock:
        # Clients may list steps in any sequence; `order` is what defines the sequence, so
        # it must number them 1..n without gaps or duplicates. Steps are kept sorted.
        seen: set[int] = set()
        for i, step in enumerate(self.steps):
            if step.order > len(self.steps) or step.order in seen:
                raise _fail(
                    ("steps", i, "order"),
                    "step_order",
                    f"step orders must be 1..{len(self.steps)} without gaps or duplicates",
                    step.order,
                )
            seen.add(step.order)
        self.steps.sort(key=lambda s: s.order)
        return self


class WorkoutTemplate(_Strict):
    """A reusable structured workout, the `workout_template` object of the reference."""

    name: str = Field(min_length=1, max_length=200)
    sport: TemplateSport
    description: str | None = Field(default=None, max_length=10000)
    environment: Environment | None = None
    pool_length_meters: float | None = Field(default=None, gt=0)
    step_blocks: list[StepBlock] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _sport_rules(self) -> WorkoutTemplate:
        swim = self.sport in SWIM_SPORTS
        pool = self.sport == "swimming_swimming_pool" or self.environment == "pool"
        if pool and self.pool_length_meters is None:
            raise _fail(
                ("pool_length_meters",), "missing", "pool swimming needs pool_length_meters", None
            )
        if not swim and self.pool_length_meters is not None:
            raise _fail(
                ("pool_length_meters",),
                "swim_only",
                "pool_length_meters is only for swimming",
                self.pool_length_meters,
            )
        if not swim and self.environment == "pool":
            raise _fail(
                ("environment",),
                "swim_only",
                "environment 'pool' is only for swimming",
                self.environment,
            )
        for b, block in enumerate(self.step_blocks):
            for s, step in enumerate(block.steps):
                loc: tuple[str | int, ...] = ("step_blocks", b, "steps", s)
                if step.swimming is not None and not swim:
                    raise _fail(
                        (*loc, "swimming"),
                        "swim_only",
                        "swimming data is only for swimming",
                        step.swimming.model_dump(),
                    )
                if step.strength is not None and self.sport not in STRENGTH_SPORTS:
                    raise _fail(
                        (*loc, "strength"),
                        "strength_only",
                        "strength data is only for strength workouts",
                        step.strength.model_dump(),
                    )
        return self


class WorkoutTemplateRequest(_Strict):
    """The body of `POST /v2/workouts`: `{"workout_template": {...}}`."""

    workout_template: WorkoutTemplate


class CoercionWarning(BaseModel):
    """A change a provider made to fit its constraints, as stored with a planned workout."""

    field: str = Field(description="Path of the changed field, e.g. step_blocks[1].steps[0].notes")
    original_value: Any = None
    coerced_value: Any = None
    reason: str


@dataclass
class Export:
    """An exported file and what had to change to fit its format."""

    data: bytes
    warnings: list[CoercionWarning] = dc_field(default_factory=list)
