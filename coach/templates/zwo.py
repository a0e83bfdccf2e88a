"""Export a cycling workout template as a Zwift `.zwo` file (power as a fraction of FTP)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from coach.templates.convert import DEFAULT_SPEED_M_S
from coach.templates.models import (
    CYCLING_SPORTS,
    CoercionWarning,
    Export,
    IntensityTarget,
    StepBlock,
    WorkoutStep,
    WorkoutTemplate,
)

# Zwift needs a duration for every block: steps ended by the lap button, a heart rate or
# a power condition ride freely for this long.
DEFAULT_OPEN_SECONDS = 300
# Middle of each power zone (fraction of FTP, Coggan's 7 zones) for zone targets.
ZONE_FRACTION = {1: 0.50, 2: 0.65, 3: 0.83, 4: 0.98, 5: 1.13, 6: 1.35, 7: 1.60}


class _Writer:
    def __init__(self, ftp_w: float | None) -> None:
        self.ftp_w = ftp_w
        self.warnings: list[CoercionWarning] = []
        self.workout = ET.Element("workout")

    def warn(self, path: str, original: object, coerced: object, reason: str) -> None:
        # Unrolled repeats visit a step several times; one warning per field is enough.
        if any(w.field == path and w.reason == reason for w in self.warnings):
            return
        self.warnings.append(
            CoercionWarning(
                field=path, original_value=original, coerced_value=coerced, reason=reason
            )
        )

    def _fraction(self, value: float, kind: str) -> float:
        if kind == "power_percentage":
            return value / 100
        if self.ftp_w is None:
            raise ValueError("power targets in watts need ftp_w to become fractions of FTP")
        return value / self.ftp_w

    def power(self, step: WorkoutStep, path: str) -> tuple[float, float] | None:
        """The step's (start, end) power as FTP fractions, or None to ride freely."""
        for i, t in enumerate(step.intensity_targets or []):
            if t.target_type not in ("power", "power_percentage"):
                if t.target_type != "open":
                    self.warn(
                        f"{path}.intensity_targets[{i}]",
                        t.model_dump(exclude_none=True),
                        None,
                        "Zwift steers power only; this target was dropped",
                    )
                continue
            return self._range(t)
        return None

    def _range(self, t: IntensityTarget) -> tuple[float, float]:
        v = t.value
        if t.target_type == "power" and v is not None and v == int(v) and v in ZONE_FRACTION:
            f = ZONE_FRACTION[int(v)]
            return f, f
        if v is not None:
            f = self._fraction(v, t.target_type)
            return f, f
        low = t.value_low if t.value_low is not None else t.value_high
        high = t.value_high if t.value_high is not None else t.value_low
        assert low is not None and high is not None
        return self._fraction(low, t.target_type), self._fraction(high, t.target_type)

    def seconds(self, step: WorkoutStep, path: str) -> int:
        value = step.duration_value
        if step.duration_type in ("time", "fixed_rest") and value is not None:
            return round(value)
        if step.duration_type == "distance_meters" and value is not None:
            # Zwift blocks are time only; distance rides at the default cycling speed.
            estimate = round(value / DEFAULT_SPEED_M_S["bike"])
            self.warn(
                f"{path}.duration_value",
                value,
                estimate,
                "Zwift has time steps only; distance estimated at 25 km/h",
            )
            return estimate
        self.warn(
            f"{path}.duration_type",
            step.duration_type,
            "time",
            f"Zwift has time steps only; ridden freely for {DEFAULT_OPEN_SECONDS} s",
        )
        return DEFAULT_OPEN_SECONDS

    def step(self, step: WorkoutStep, path: str) -> None:
        seconds = self.seconds(step, path)
        power = self.power(step, path)
        if power is None:
            el = ET.SubElement(self.workout, "FreeRide", Duration=str(seconds))
        elif step.intensity_type in ("warmup", "cooldown"):
            # Warmup ramps up and Cooldown ramps down from PowerLow to PowerHigh, so the
            # range is ordered by direction, not by size.
            up = step.intensity_type == "warmup"
            start, end = (min(power), max(power)) if up else (max(power), min(power))
            el = ET.SubElement(
                self.workout,
                "Warmup" if up else "Cooldown",
                Duration=str(seconds),
                PowerLow=_f(start),
                PowerHigh=_f(end),
            )
        else:
            el = ET.SubElement(
                self.workout, "SteadyState", Duration=str(seconds), Power=_f(sum(power) / 2)
            )
        if step.notes:
            ET.SubElement(el, "textevent", timeoffset="0", message=step.notes)

    def block(self, block: StepBlock, b: int) -> None:
        cond = block.completion_condition
        repeats = int(cond.value or 1) if cond.type == "fixed_repetition" else 1
        if cond.type not in ("fixed_repetition", "open"):
            self.warn(
                f"step_blocks[{b}].completion_condition",
                cond.model_dump(),
                1,
                "Zwift repeats a fixed number of times; the block is ridden once",
            )
        paths = [f"step_blocks[{b}].steps[{s}]" for s in range(len(block.steps))]
        if repeats > 1 and len(block.steps) == 2:
            on, off = block.steps
            on_power, off_power = self.power(on, paths[0]), self.power(off, paths[1])
            if on_power is not None and off_power is not None:
                el = ET.SubElement(
                    self.workout,
                    "IntervalsT",
                    Repeat=str(repeats),
                    OnDuration=str(self.seconds(on, paths[0])),
                    OffDuration=str(self.seconds(off, paths[1])),
                    OnPower=_f(sum(on_power) / 2),
                    OffPower=_f(sum(off_power) / 2),
                )
                if on.notes:
                    ET.SubElement(el, "textevent", timeoffset="0", message=on.notes)
                return
        if repeats > 1:
            self.warn(
                f"step_blocks[{b}]",
                repeats,
                1,
                "Zwift repeats only on/off pairs; the block was written out in full",
            )
        for _ in range(repeats):
            for step, path in zip(block.steps, paths, strict=True):
                self.step(step, path)


def _f(fraction: float) -> str:
    return f"{fraction:.3f}".rstrip("0").rstrip(".") or "0"


def encode_zwo(template: WorkoutTemplate, *, ftp_w: float | None = None) -> Export:
    """The .zwo file of a cycling template, with a warning for everything Zwift cannot hold."""
    if template.sport not in CYCLING_SPORTS:
        raise ValueError(
            f"Zwift .zwo files are for cycling workouts; this template's sport is "
            f"{template.sport!r}"
        )
    if ftp_w is not None and ftp_w <= 0:
        raise ValueError("ftp_w must be positive")
    writer = _Writer(ftp_w)
    for b, block in enumerate(template.step_blocks):
        writer.block(block, b)
    root = ET.Element("workout_file")
    ET.SubElement(root, "author").text = "Coach Agent"
    ET.SubElement(root, "name").text = template.name
    ET.SubElement(root, "description").text = template.description or ""
    ET.SubElement(root, "sportType").text = "bike"
    ET.SubElement(root, "tags")
    root.append(writer.workout)
    ET.indent(root)
    return Export(
        data=ET.tostring(root, encoding="utf-8", xml_declaration=True), warnings=writer.warnings
    )


def template_to_zwo(template: WorkoutTemplate, *, ftp_w: float | None = None) -> bytes:
    """The .zwo file of a cycling template; watt targets need `ftp_w`, % of FTP does not."""
    return encode_zwo(template, ftp_w=ftp_w).data
