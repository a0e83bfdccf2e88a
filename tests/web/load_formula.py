"""The load, fitness, fatigue and form formula of docs/editor.md, written again in Python,
so the browser tests check the page's numbers against the documented formula."""

from __future__ import annotations

import math
from typing import Any

IF_BY_ZONE = [0.0, 0.65, 0.75, 0.85, 0.95, 1.05, 1.15, 1.25]
ZONE_OF_INTENSITY = {"warmup": 1, "cooldown": 1, "recovery": 1, "rest": 1, "active": 2}


def js_round(value: float) -> int:
    """JavaScript's Math.round (halves up), not Python's round (halves to even)."""
    return math.floor(value + 0.5)


def _zone(step: dict[str, Any]) -> int:
    target = step.get("target") or {}
    if target.get("zone"):
        return int(target["zone"])
    return ZONE_OF_INTENSITY.get(step["intensity"], 4 if step["intensity"] == "interval" else 2)


def _seconds(step: dict[str, Any], workout: dict[str, Any]) -> float:
    if step["duration_type"] == "time":
        return float(step["duration_value"] or 0)
    if step["duration_type"] == "distance_meters" and workout["distance"] > 0:
        return float(step["duration_value"] or 0) * workout["duration"] / workout["distance"]
    return 0.0


def workout_load(workout: dict[str, Any]) -> int:
    load = counted = 0.0
    for segment in workout["segments"]:
        for step in segment["steps"]:
            seconds = _seconds(step, workout) * segment["repeats"]
            factor = IF_BY_ZONE[min(7, max(1, _zone(step)))]
            load += seconds / 3600 * factor**2 * 100
            counted += seconds
    if not counted:
        load = workout["duration"] / 3600 * IF_BY_ZONE[2] ** 2 * 100
    return js_round(load)


def weekly(workouts: list[dict[str, Any]], weeks: int) -> list[tuple[int, float, float, float]]:
    """(load, CTL, ATL, TSB) at the end of each week, rounded as the chart's text is."""
    daily = [0] * (weeks * 7)
    for w in workouts:
        daily[(w["week"] - 1) * 7 + w["day"] - 1] += workout_load(w)
    ctl = atl = tsb = 0.0
    out = []
    for d, load in enumerate(daily):
        tsb = ctl - atl
        ctl += (load - ctl) / 42
        atl += (load - atl) / 7
        if d % 7 == 6:
            out.append((sum(daily[d - 6 : d + 1]), ctl, atl, tsb))
    return out
