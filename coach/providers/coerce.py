"""Fit a template to a provider's capabilities, recording each change as a CoercionWarning."""

from __future__ import annotations

import math
from typing import Any

from coach.providers.base import Capabilities, ProviderUnsupported, Thresholds
from coach.templates.convert import DEFAULT_SPEED_M_S, describe_target, speed_kind
from coach.templates.models import (
    SWIM_SPORTS,
    CoercionWarning,
    IntensityTarget,
    WorkoutTemplate,
)

# Relative target -> (absolute type, the Thresholds field it is a percentage of).
_FREEZE = {
    "heart_rate_threshold_percentage": ("heart_rate", "threshold_hr"),
    "heart_rate_max_percentage": ("heart_rate", "max_hr"),
    "power_percentage": ("power", "ftp_w"),
}
_LAP = {"speed_lap": "speed", "heart_rate_lap": "heart_rate"}
_VALUES = ("value", "value_low", "value_high")
# Seconds given to a step that must become time-based but has no measurable length.
OPEN_STEP_SECONDS = 300.0


def coerce(
    template: WorkoutTemplate, caps: Capabilities, *, thresholds: Thresholds | None = None
) -> tuple[WorkoutTemplate, list[CoercionWarning]]:
    """The template as `caps` can take it, and what changed; ProviderUnsupported if nothing fits."""
    c = _Coercer(caps, thresholds or Thresholds())
    data = c.run(template.model_dump(exclude_none=True))
    return WorkoutTemplate.model_validate(data), c.warnings


class _Coercer:
    def __init__(self, caps: Capabilities, thresholds: Thresholds) -> None:
        self.caps = caps
        self.th = thresholds
        self.warnings: list[CoercionWarning] = []

    def warn(self, path: str, original: Any, coerced: Any, reason: str) -> None:
        self.warnings.append(
            CoercionWarning(
                field=path, original_value=original, coerced_value=coerced, reason=reason
            )
        )

    # ------------------------------------------------------------------ workout

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        caps = self.caps
        if not caps.can_plan_workouts:
            raise ProviderUnsupported(f"{caps.name} does not take planned workouts")
        self.sport(data)
        self.pool(data)
        for key in ("name", "description"):
            if key in data:
                data[key] = self.text(key, data[key], getattr(caps.text, key))
        for b, block in enumerate(data["step_blocks"]):
            self.block(data, block, b)
        self.unroll(data)
        self.cut(data)
        return data

    def sport(self, data: dict[str, Any]) -> None:
        caps, sport = self.caps, data["sport"]
        if sport in caps.sports:
            return
        if sport in caps.sport_fallback:
            new = caps.sport_fallback[sport]
            data["sport"] = new
            self.warn("sport", sport, new, f"{caps.name} has no {sport}; sent as {new}")
            if new not in SWIM_SPORTS:
                data.pop("pool_length_meters", None)
            return
        if caps.generic_sport:
            # The template enum has no generic sport: the template keeps its sport and the
            # adapter sends the provider's generic type, which the warning names.
            self.warn(
                "sport",
                sport,
                caps.generic_sport,
                f"{caps.name} has no {sport}; sent as {caps.generic_sport}",
            )
            return
        raise ProviderUnsupported(f"{caps.name} cannot take {sport} workouts")

    def pool(self, data: dict[str, Any]) -> None:
        length = data.get("pool_length_meters")
        if length is None:
            return
        if self.caps.pool_lengths_m is None:
            data.pop("pool_length_meters")
            self.warn("pool_length_meters", length, None, f"{self.caps.name} takes no pool length")
            if data.get("environment") == "pool":
                data.pop("environment")
                self.warn(
                    "environment",
                    "pool",
                    None,
                    f"{self.caps.name} takes no pool length, so no pool environment",
                )
            if data["sport"] == "swimming_swimming_pool":
                data["sport"] = "swimming"
            return
        for b, block in enumerate(data["step_blocks"]):
            cond = block["completion_condition"]
            if cond["type"] == "distance_threshold" and cond.get("value"):
                cond["value"] = self.laps(
                    f"step_blocks[{b}].completion_condition.value", cond["value"], length
                )
            for s, step in enumerate(block["steps"]):
                if step["duration_type"] == "distance_meters":
                    step["duration_value"] = self.laps(
                        f"step_blocks[{b}].steps[{s}].duration_value",
                        step["duration_value"],
                        length,
                    )

    def laps(self, path: str, meters: float, length: float) -> float:
        n = max(1, round(meters / length))
        new = round(n * length, 2)
        if new != meters:
            self.warn(
                path,
                meters,
                new,
                f"swim distances are whole {length:g} m pool lengths ({n} lengths)",
            )
        return new

    def text(self, path: str, value: str, limit: int | None) -> str:
        if limit is None:
            return value
        if self.caps.text.unit == "bytes":
            raw = value.encode()
            if len(raw) <= limit:
                return value
            new = raw[:limit].decode(errors="ignore")
        else:
            if len(value) <= limit:
                return value
            new = value[:limit]
        self.warn(path, value, new, f"{self.caps.name} keeps at most {limit} {self.caps.text.unit}")
        return new

    # ------------------------------------------------------------------ blocks

    def block(self, data: dict[str, Any], block: dict[str, Any], b: int) -> None:
        caps, path = self.caps, f"step_blocks[{b}]"
        cond = block["completion_condition"]
        if cond["type"] not in caps.completion_types:
            new = {"type": "fixed_repetition", "value": float(self.count(data, block))}
            self.warn(
                f"{path}.completion_condition",
                dict(cond),
                new,
                f"{caps.name} repeats a block a number of times only; "
                "the count reaching the condition was estimated",
            )
            block["completion_condition"] = cond = new
        limit = caps.max_repeat_count
        if cond["type"] == "fixed_repetition" and limit and cond["value"] > limit:
            self.warn(
                f"{path}.completion_condition.value",
                cond["value"],
                float(limit),
                f"{caps.name} repeats at most {limit} times",
            )
            cond["value"] = float(limit)
        for s, step in enumerate(block["steps"]):
            self.step(data, step, f"{path}.steps[{s}]")

    def count(self, data: dict[str, Any], block: dict[str, Any]) -> int:
        cond = block["completion_condition"]
        per_pass = 0.0
        for step in block["steps"]:
            seconds, meters = self.size(data, step)
            per_pass += seconds if cond["type"] == "time_threshold" else meters
        if cond["type"] in ("time_threshold", "distance_threshold") and per_pass > 0:
            return max(1, math.ceil(float(cond["value"]) / per_pass))
        return 1

    def speed(self, data: dict[str, Any], step: dict[str, Any]) -> float:
        for t in step.get("intensity_targets", []):
            if _zone(t):
                continue  # a zone number says nothing about meters per second
            lo, hi = t.get("value_low", t.get("value")), t.get("value_high", t.get("value"))
            if lo and hi and t["target_type"] == "pace":
                return 1000 / ((float(lo) + float(hi)) / 2)
            if lo and hi and t["target_type"] == "speed":
                return (float(lo) + float(hi)) / 2
        return DEFAULT_SPEED_M_S.get(speed_kind(data["sport"]), 0.0) or DEFAULT_SPEED_M_S["run"]

    def size(self, data: dict[str, Any], step: dict[str, Any]) -> tuple[float, float]:
        value = step.get("duration_value") or 0.0
        if step["duration_type"] in ("time", "fixed_rest"):
            return value, value * self.speed(data, step)
        if step["duration_type"] == "distance_meters":
            return value / self.speed(data, step), value
        return 0.0, 0.0

    def unroll(self, data: dict[str, Any]) -> None:
        caps = self.caps
        for b, block in enumerate(data["step_blocks"]):
            cond = block["completion_condition"]
            n = int(cond.get("value") or 1) if cond["type"] == "fixed_repetition" else 1
            k = len(block["steps"])
            too_many = caps.max_repeat_steps is not None and k > caps.max_repeat_steps
            if n <= 1 or not (caps.repeat_nesting == 0 or too_many):
                continue
            block["steps"] = [dict(s) for _ in range(n) for s in block["steps"]]
            block["completion_condition"] = {"type": "fixed_repetition", "value": 1.0}
            why = (
                "no repeats"
                if caps.repeat_nesting == 0
                else (f"repeats of at most {caps.max_repeat_steps} steps")
            )
            self.warn(
                f"step_blocks[{b}]",
                {"repeats": n, "steps": k},
                {"repeats": 1, "steps": n * k},
                f"{caps.name} takes {why}; the block was unrolled",
            )

    def cut(self, data: dict[str, Any]) -> None:
        limit, blocks = self.caps.max_steps, data["step_blocks"]
        if limit is None:
            for block in blocks:
                _renumber(block)
            return

        def counted() -> int:
            return sum(len(b["steps"]) + (_repeated(b)) for b in blocks)

        before, cut = counted(), []
        while counted() > limit and (len(blocks) > 1 or len(blocks[0]["steps"]) > 1):
            last, excess = blocks[-1], counted() - limit
            whole = len(last["steps"]) + _repeated(last) <= excess or len(last["steps"]) == 1
            if len(blocks) > 1 and whole:
                blocks.pop()
                cut.append(f"step_blocks[{len(blocks)}] (whole block)")
            else:
                last["steps"].pop()
                cut.append(f"step_blocks[{len(blocks) - 1}].steps[{len(last['steps'])}]")
        for block in blocks:
            _renumber(block)
        if cut:
            self.warn(
                "step_blocks",
                before,
                counted(),
                f"{self.caps.name} takes at most {limit} steps (a repeat counts as one); "
                f"cut from the end: {', '.join(reversed(cut))}",
            )

    # ------------------------------------------------------------------- steps

    def step(self, data: dict[str, Any], step: dict[str, Any], path: str) -> None:
        caps = self.caps
        kind = step["intensity_type"]
        if kind not in caps.intensity_types:
            fallback = caps.intensity_fallback.get(kind, "active")
            self.warn(f"{path}.intensity_type", kind, fallback, f"{caps.name} has no {kind} steps")
            step["intensity_type"] = fallback
        notes: list[str] = [step["notes"]] if step.get("notes") else []
        self.duration(data, step, path, notes)
        kept: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for i, t in enumerate(step.get("intensity_targets", [])):
            original = dict(t)
            new = self.target(t, f"{path}.intensity_targets[{i}]", notes)
            if new is not None:
                kept.append((i, original, new))
        for i, original, new in kept[caps.max_targets :]:
            self.warn(
                f"{path}.intensity_targets[{i}]",
                original,
                None,
                f"{caps.name} takes {caps.max_targets} target(s) per step; this one was dropped",
            )
            notes.append(describe_target(IntensityTarget.model_validate(new)))
        kept = kept[: caps.max_targets]
        if "intensity_targets" in step:
            step["intensity_targets"] = [new for _, _, new in kept] or [{"target_type": "open"}]
        if notes:
            step["notes"] = self.text(f"{path}.notes", "; ".join(notes), caps.text.notes)

    def duration(
        self, data: dict[str, Any], step: dict[str, Any], path: str, notes: list[str]
    ) -> None:
        caps, dtype = self.caps, step["duration_type"]
        value = step.get("duration_value")
        if dtype not in caps.duration_types:
            if dtype == "fixed_rest" and "time" in caps.duration_types:
                new, new_value, why = "time", value, "a fixed rest is a timed step"
            elif dtype == "distance_meters" and "time" in caps.duration_types:
                seconds = self.size(data, step)[0]
                new, new_value, why = "time", round(seconds), "time estimated from the pace"
            elif "open" in caps.duration_types:
                new, new_value, why = "open", None, "ended with the lap button"
                if value is not None:
                    notes.append(f"{value:g} {dtype.replace('_', ' ')}")
            else:
                new, new_value = "time", OPEN_STEP_SECONDS
                why = f"given {OPEN_STEP_SECONDS:g} s"
                if value is not None:
                    notes.append(f"{value:g} {dtype.replace('_', ' ')}")
            self.warn(
                f"{path}.duration_type", dtype, new, f"{caps.name} has no {dtype} steps; {why}"
            )
            if new_value != value:
                self.warn(
                    f"{path}.duration_value",
                    value,
                    new_value,
                    f"value of the {new} step that replaced {dtype}",
                )
            step["duration_type"], dtype = new, new
            if new_value is None:
                step.pop("duration_value", None)
            else:
                step["duration_value"] = value = float(new_value)
        places = caps.duration_decimals.get(dtype)
        if places is not None and value is not None and round(value, places) != value:
            step["duration_value"] = round(value, places)
            self.warn(
                f"{path}.duration_value",
                value,
                step["duration_value"],
                f"{caps.name} keeps {dtype} to {places} decimal(s)",
            )

    def target(self, t: dict[str, Any], path: str, notes: list[str]) -> dict[str, Any] | None:
        caps, kind = self.caps, t["target_type"]
        lo, hi = t.get("value_low"), t.get("value_high")
        if lo is not None and hi is not None and lo > hi:
            t["value_low"], t["value_high"] = hi, lo
            self.warn(path, [lo, hi], [hi, lo], "range bounds run low to high; swapped")
        is_zone = _zone(t)
        if kind in caps.target_types or kind in caps.relative_targets:
            if is_zone and not caps.zone_targets and kind != "open":
                self.drop(t, path, notes, f"{caps.name} takes no zone targets")
                return None
            return self.precision(t, path)
        new = self.convert(t, is_zone)
        if new is None:
            self.drop(t, path, notes, f"{caps.name} cannot hold {kind} targets")
            return None
        before = {k: t[k] for k in _VALUES if k in t}
        after = {k: new[k] for k in _VALUES if k in new}
        self.warn(
            f"{path}.target_type",
            kind,
            new["target_type"],
            f"{caps.name} has no {kind} targets; converted {before} to {after}",
        )
        return self.precision(new, path)

    def convert(self, t: dict[str, Any], is_zone: bool) -> dict[str, Any] | None:
        caps, kind = self.caps, t["target_type"]
        ok = caps.target_types
        if kind in _LAP and _LAP[kind] in ok:
            return {**t, "target_type": _LAP[kind]}
        if kind in ("pace", "speed") and not is_zone:
            other = "speed" if kind == "pace" else "pace"
            if other in ok:
                # s/km <-> m/s inverts the order: the lower pace is the higher speed.
                flipped = {
                    "value": t.get("value"),
                    "value_low": t.get("value_high"),
                    "value_high": t.get("value_low"),
                }
                out = {k: round(1000 / v, 4) for k, v in flipped.items() if v}
                return {"target_type": other, **out}
        if kind in ("pace", "speed") and is_zone:
            other = "speed" if kind == "pace" else "pace"
            return {**t, "target_type": other} if other in ok else None
        if kind in _FREEZE and not is_zone:
            absolute, ref_name = _FREEZE[kind]
            ref = getattr(self.th, ref_name)
            if absolute in ok and ref:
                out = {k: round(t[k] * ref / 100, 1) for k in _VALUES if k in t}
                return {"target_type": absolute, **out}
        if kind == "power" and not is_zone and "power_percentage" in caps.relative_targets:
            if self.th.ftp_w:
                out = {k: round(t[k] / self.th.ftp_w * 100, 1) for k in _VALUES if k in t}
                return {"target_type": "power_percentage", **out}
        return None

    def drop(self, t: dict[str, Any], path: str, notes: list[str], why: str) -> None:
        text = describe_target(IntensityTarget.model_validate(t))
        notes.append(text)
        self.warn(path, dict(t), None, f"{why}; kept in the step notes as {text!r}")
        return None

    def precision(self, t: dict[str, Any], path: str) -> dict[str, Any]:
        places = self.caps.target_decimals.get(t["target_type"])
        if places is None or _zone(t):
            return t
        for key in _VALUES:
            v = t.get(key)
            if v is not None and round(v, places) != v:
                t[key] = float(round(v, places))
                self.warn(
                    f"{path}.{key}",
                    v,
                    t[key],
                    f"{self.caps.name} keeps {t['target_type']} to {places} decimal(s)",
                )
        return t


def _zone(t: dict[str, Any]) -> bool:
    v = t.get("value")
    return (
        v is not None
        and v == int(v)
        and 1 <= v <= 7
        and t["target_type"] in ("pace", "speed", "heart_rate", "power")
    )


def _repeated(block: dict[str, Any]) -> int:
    cond = block["completion_condition"]
    return 0 if cond["type"] == "fixed_repetition" and (cond.get("value") or 1) <= 1 else 1


def _renumber(block: dict[str, Any]) -> None:
    for i, step in enumerate(block["steps"], start=1):
        step["order"] = i
