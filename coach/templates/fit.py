"""Export a workout template as a Garmin FIT workout file (file_id, workout, workout_step)."""

from __future__ import annotations

import datetime as dt
import zlib

from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.workout_message import WorkoutMessage
from fit_tool.profile.messages.workout_step_message import WorkoutStepMessage
from fit_tool.profile.profile_type import (
    DisplayMeasure,
    ExerciseCategory,
    FileType,
    FitBaseUnit,
    Intensity,
    Manufacturer,
    Sport,
    SubSport,
    SwimStroke,
    WorkoutEquipment,
    WorkoutStepDuration,
    WorkoutStepTarget,
)

from coach.templates.convert import describe_target
from coach.templates.models import (
    SWIM_SPORTS,
    CoercionWarning,
    Export,
    IntensityTarget,
    StepBlock,
    WorkoutStep,
    WorkoutTemplate,
)

# FIT tells absolute from relative HR and power by range: raw 0-100 is % max HR and
# 0-1000 is % FTP, so absolute values carry these offsets (fit-tool does not add them).
HR_OFFSET = 100
POWER_OFFSET = 1000
# A FIT string field's size is one byte and includes the NUL terminator.
MAX_STRING_BYTES = 254

_SPORTS: dict[str, tuple[Sport, SubSport]] = {
    "running": (Sport.RUNNING, SubSport.GENERIC),
    "treadmill_running": (Sport.RUNNING, SubSport.TREADMILL),
    "indoor_running": (Sport.RUNNING, SubSport.INDOOR_RUNNING),
    "biking": (Sport.CYCLING, SubSport.GENERIC),
    "mountain_biking": (Sport.CYCLING, SubSport.MOUNTAIN),
    "road_biking": (Sport.CYCLING, SubSport.ROAD),
    "stationary_biking": (Sport.CYCLING, SubSport.INDOOR_CYCLING),
    "swimming": (Sport.SWIMMING, SubSport.GENERIC),
    "swimming_swimming_pool": (Sport.SWIMMING, SubSport.LAP_SWIMMING),
    "swimming_open_water": (Sport.SWIMMING, SubSport.OPEN_WATER),
    "strength_training": (Sport.TRAINING, SubSport.STRENGTH_TRAINING),
    "weightlifting": (Sport.TRAINING, SubSport.STRENGTH_TRAINING),
    "yoga": (Sport.TRAINING, SubSport.YOGA),
    "pilates": (Sport.TRAINING, SubSport.PILATES),
    "hiit": (Sport.HIIT, SubSport.HIIT),
    "cardio_training": (Sport.TRAINING, SubSport.CARDIO_TRAINING),
}
# Block completion conditions that FIT repeats natively: (repeat duration type, the
# target_value subfield to set, offset added to the value).
_REPEATS: dict[str, tuple[WorkoutStepDuration, str, int]] = {
    "fixed_repetition": (WorkoutStepDuration.REPEAT_UNTIL_STEPS_CMPLT, "target_repeat_steps", 0),
    "time_threshold": (WorkoutStepDuration.REPEAT_UNTIL_TIME, "target_repeat_time", 0),
    "distance_threshold": (WorkoutStepDuration.REPEAT_UNTIL_DISTANCE, "target_repeat_distance", 0),
    "calories_threshold": (WorkoutStepDuration.REPEAT_UNTIL_CALORIES, "target_repeat_calories", 0),
    "hr_below": (WorkoutStepDuration.REPEAT_UNTIL_HR_LESS_THAN, "target_repeat_hr", HR_OFFSET),
    "hr_above": (WorkoutStepDuration.REPEAT_UNTIL_HR_GREATER_THAN, "target_repeat_hr", HR_OFFSET),
    "power_below": (
        WorkoutStepDuration.REPEAT_UNTIL_POWER_LESS_THAN,
        "target_repeat_power",
        POWER_OFFSET,
    ),
    "power_above": (
        WorkoutStepDuration.REPEAT_UNTIL_POWER_GREATER_THAN,
        "target_repeat_power",
        POWER_OFFSET,
    ),
}
# Step durations: (FIT duration type, duration_value subfield or None, offset).
_DURATIONS: dict[str, tuple[WorkoutStepDuration, str | None, int]] = {
    "time": (WorkoutStepDuration.TIME, "duration_time", 0),
    "fixed_rest": (WorkoutStepDuration.TIME, "duration_time", 0),
    "distance_meters": (WorkoutStepDuration.DISTANCE, "duration_distance", 0),
    "hr_less_than": (WorkoutStepDuration.HR_LESS_THAN, "duration_hr", HR_OFFSET),
    "hr_greater_than": (WorkoutStepDuration.HR_GREATER_THAN, "duration_hr", HR_OFFSET),
    "calories": (WorkoutStepDuration.CALORIES, "duration_calories", 0),
    "power_less_than": (WorkoutStepDuration.POWER_LESS_THAN, "duration_power", POWER_OFFSET),
    "power_greater_than": (WorkoutStepDuration.POWER_GREATER_THAN, "duration_power", POWER_OFFSET),
    "reps": (WorkoutStepDuration.REPS, "duration_reps", 0),
    "open": (WorkoutStepDuration.OPEN, None, 0),
}
# Targets: (FIT target type, zone subfield suffix or None, custom subfield suffix, offset).
_TARGETS: dict[str, tuple[WorkoutStepTarget, str | None, str | None, int]] = {
    "speed": (WorkoutStepTarget.SPEED, "speed_zone", "speed", 0),
    "pace": (WorkoutStepTarget.SPEED, "speed_zone", "speed", 0),
    "heart_rate": (WorkoutStepTarget.HEART_RATE, "hr_zone", "heart_rate", HR_OFFSET),
    "heart_rate_max_percentage": (WorkoutStepTarget.HEART_RATE, None, "heart_rate", 0),
    "power": (WorkoutStepTarget.POWER, "power_zone", "power", POWER_OFFSET),
    "power_percentage": (WorkoutStepTarget.POWER, None, "power", 0),
    "cadence": (WorkoutStepTarget.CADENCE, "cadence_zone", "cadence", 0),
    # The lap targets have no scaled subfield: raw mm/s and bpm + 100 go in directly.
    "speed_lap": (WorkoutStepTarget.SPEED_LAP, None, None, 0),
    "heart_rate_lap": (WorkoutStepTarget.HEART_RATE_LAP, None, None, HR_OFFSET),
    "open": (WorkoutStepTarget.OPEN, None, None, 0),
}
_MAX_ZONE = 7
_FIT_STROKES = {"freestyle", "backstroke", "breaststroke", "butterfly", "drill", "mixed", "im"}


def _clip(text: str | None) -> str | None:
    # A NUL would end the string early on the device.
    raw = (text or "").replace("\x00", "").encode("utf-8")[:MAX_STRING_BYTES]
    if not raw:
        return None
    return raw.decode("utf-8", errors="ignore")


def _is_zone(target: IntensityTarget, zone_field: str | None) -> bool:
    v = target.value
    return zone_field is not None and v is not None and v == int(v) and 1 <= v <= _MAX_ZONE


def _bounds(target: IntensityTarget) -> tuple[float, float] | None:
    if target.value is not None:
        return target.value, target.value
    # FIT needs both bounds; a one-sided range becomes that single value.
    bounds = [v for v in (target.value_low, target.value_high) if v is not None]
    if not bounds:
        return None
    return min(bounds), max(bounds)


class _Writer:
    def __init__(self, template: WorkoutTemplate) -> None:
        self.template = template
        self.steps: list[WorkoutStepMessage] = []
        self.warnings: list[CoercionWarning] = []

    def warn(self, path: str, original: object, coerced: object, reason: str) -> None:
        self.warnings.append(
            CoercionWarning(
                field=path, original_value=original, coerced_value=coerced, reason=reason
            )
        )

    def _target(self, msg: WorkoutStepMessage, target: IntensityTarget, prefix: str) -> bool:
        """Write one target as primary ("") or secondary ("secondary_"); False if FIT can't."""
        if target.target_type not in _TARGETS:
            return False
        kind, zone_field, custom, offset = _TARGETS[target.target_type]
        bounds = _bounds(target)
        zone = _is_zone(target, zone_field)
        if (
            kind != WorkoutStepTarget.OPEN
            and not zone
            and (bounds is None or (target.target_type == "pace" and bounds[0] <= 0))
        ):
            return False
        # The type goes first: fit-tool picks the subfield (and its scale) from it.
        setattr(msg, f"{prefix}target_type", kind)
        if kind == WorkoutStepTarget.OPEN:
            return True
        if zone:
            setattr(msg, f"{prefix}target_{zone_field}", int(target.value or 0))
            return True
        assert bounds is not None
        low, high = bounds
        if target.target_type == "pace":
            # FIT has no pace: s/km becomes m/s, so the slower pace is the lower speed.
            low, high = 1000 / high, 1000 / low
        setattr(msg, f"{prefix}target_value", 0)
        if custom is None:
            scale = 1000 if target.target_type == "speed_lap" else 1
            setattr(msg, f"{prefix}custom_target_value_low", round(low * scale) + offset)
            setattr(msg, f"{prefix}custom_target_value_high", round(high * scale) + offset)
        elif custom == "speed":
            setattr(msg, f"{prefix}custom_target_speed_low", low)
            setattr(msg, f"{prefix}custom_target_speed_high", high)
        else:
            setattr(msg, f"{prefix}custom_target_{custom}_low", round(low) + offset)
            setattr(msg, f"{prefix}custom_target_{custom}_high", round(high) + offset)
        return True

    def _swim(self, msg: WorkoutStepMessage, step: WorkoutStep, written: int) -> None:
        swim = step.swimming
        if swim is None:
            return
        stroke = swim.stroke_type or ("drill" if swim.drill_type == "drill" else None)
        if stroke in _FIT_STROKES and written < 2:
            prefix = "secondary_" if written else ""
            setattr(msg, f"{prefix}target_type", WorkoutStepTarget.SWIM_STROKE)
            setattr(msg, f"{prefix}target_stroke_type", SwimStroke[stroke.upper()])
        equipment = swim.equipment or {"kick": "swim_kickboard", "pull": "swim_pull_buoy"}.get(
            swim.drill_type or ""
        )
        if equipment:
            msg.equipment = WorkoutEquipment[equipment.upper()]

    def _strength(self, msg: WorkoutStepMessage, step: WorkoutStep) -> None:
        data = step.strength
        if data is None:
            return
        category = "FLYE" if data.exercise_category == "fly" else data.exercise_category.upper()
        msg.exercise_category = ExerciseCategory[category]
        # FIT's exercise_name is a per-category number; the free text goes in the name.
        msg.workout_step_name = _clip(data.exercise_name)
        if data.weight_kg is not None:
            msg.exercise_weight = data.weight_kg
        if data.weight_display_unit:
            msg.weight_display_unit = FitBaseUnit[data.weight_display_unit.upper()]

    def add_step(self, step: WorkoutStep, path: str) -> None:
        msg = WorkoutStepMessage()
        msg.message_index = len(self.steps)
        msg.intensity = Intensity[step.intensity_type.upper()]
        notes: list[str] = [step.notes] if step.notes else []
        dtype = step.duration_type
        if dtype not in _DURATIONS:
            self.warn(f"{path}.duration_type", dtype, "open", f"FIT has no {dtype!r} duration")
            notes.append(f"{step.duration_value:g} {dtype}")
            dtype = "open"
        fit_type, sub, offset = _DURATIONS[dtype]
        msg.duration_type = fit_type  # before the value: it selects the subfield's scale
        if sub is not None and step.duration_value is not None:
            value = step.duration_value
            # Time and distance subfields take seconds and meters and scale them to ms/cm.
            scaled = sub in ("duration_time", "duration_distance")
            setattr(msg, sub, value if scaled else round(value) + offset)
        written = 0
        for i, target in enumerate(step.intensity_targets or []):
            low, high = target.value_low, target.value_high
            if low is not None and high is not None and low > high:
                self.warn(
                    f"{path}.intensity_targets[{i}]",
                    [low, high],
                    [high, low],
                    "FIT ranges run low to high; the bounds were swapped",
                )
        has_stroke = step.swimming is not None and step.swimming.stroke_type is not None
        for i, target in enumerate(step.intensity_targets or []):
            if target.target_type == "swim_stroke" and has_stroke:
                continue  # written from the step's swimming data below
            prefix = "" if written == 0 else "secondary_"
            if written < 2 and self._target(msg, target, prefix):
                written += 1
                continue
            text = describe_target(target)
            notes.append(text)
            self.warn(
                f"{path}.intensity_targets[{i}]",
                target.model_dump(exclude_none=True),
                None,
                f"FIT cannot hold this target; kept in the step notes as {text!r}",
            )
        if written == 0:
            msg.target_type = WorkoutStepTarget.OPEN
        self._swim(msg, step, written)
        self._strength(msg, step)
        msg.notes = _clip("; ".join(notes))
        self.steps.append(msg)

    def add_block(self, block: StepBlock, b: int) -> None:
        first = len(self.steps)
        for s, step in enumerate(block.steps):
            self.add_step(step, f"step_blocks[{b}].steps[{s}]")
        cond = block.completion_condition
        if cond.type not in _REPEATS or cond.value is None:
            return  # "open": one pass, each step ends on its own condition
        if cond.type == "fixed_repetition" and cond.value <= 1:
            return
        fit_type, sub, offset = _REPEATS[cond.type]
        msg = WorkoutStepMessage()
        msg.message_index = len(self.steps)
        msg.duration_type = fit_type
        msg.duration_step = first
        msg.target_type = WorkoutStepTarget.OPEN
        value = (
            cond.value
            if sub in ("target_repeat_time", "target_repeat_distance")
            else (round(cond.value) + offset)
        )
        setattr(msg, sub, value)
        self.steps.append(msg)


def encode_fit(template: WorkoutTemplate, *, created: dt.datetime | None = None) -> Export:
    """The FIT workout file of a template, with a warning for everything FIT cannot hold."""
    writer = _Writer(template)
    for b, block in enumerate(template.step_blocks):
        writer.add_block(block, b)

    sport, sub_sport = _SPORTS[template.sport]
    if template.sport == "swimming" and template.environment == "pool":
        sub_sport = SubSport.LAP_SWIMMING
    workout = WorkoutMessage()
    workout.workout_name = _clip(template.name)
    workout.sport = sport
    workout.sub_sport = sub_sport
    workout.num_valid_steps = len(writer.steps)  # repeat steps count too
    if template.description:
        workout.workout_description = _clip(template.description)
    if template.sport in SWIM_SPORTS and template.pool_length_meters:
        workout.pool_length = template.pool_length_meters
        workout.pool_length_unit = DisplayMeasure.METRIC

    file_id = FileIdMessage()
    file_id.type = FileType.WORKOUT
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    # Devices key workouts on manufacturer + product + serial: a content hash keeps
    # different workouts apart and the same workout stable across exports.
    file_id.serial_number = zlib.crc32(template.model_dump_json().encode()) or 1
    when = created or dt.datetime.now(dt.UTC)
    file_id.time_created = round(when.timestamp() * 1000)

    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    builder.add(file_id)
    builder.add(workout)
    builder.add_all(writer.steps)
    return Export(data=builder.build().to_bytes(), warnings=writer.warnings)


def template_to_fit(template: WorkoutTemplate, *, created: dt.datetime | None = None) -> bytes:
    """The FIT workout file of a template (see `encode_fit` for the coercion warnings)."""
    return encode_fit(template, created=created).data
