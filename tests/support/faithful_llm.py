"""A scripted LLM that answers each week from its draft lines, faithfully: the line's day,
type, minutes and km, and the main set its title names (reps, rep minutes, the zone of the
effort). It writes what a good model would, in the compact schema (minutes and zones
only); what the schema cannot say (800 m reps, a pace) the engine takes from the line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from coach.plans.draft_format import parse_draft
from coach.plans.models import HARD_TYPES
from coach.plans.session_text import MainSet
from tests.support.scripted_llm import Reply

_SPORT = re.compile(r"one week of a coach's (\w+) plan")
_WEEK = re.compile(r"Week (\d+) of (\d+)")
_ONLY = re.compile(r"with only days? ([\d, ]+),")
# The minutes a faithful model gives a 1 km rep when the title names no pace.
_MIN_PER_KM = 5.0


def _zone(line: Any) -> int:
    effort = line.spec.effort
    if effort is not None and effort.kind == "zone":
        return max(1, min(5, int(effort.low)))
    return 4


def _rep_minutes(main: MainSet, line: Any) -> float:
    if main.rep_seconds is not None:
        return main.rep_seconds / 60
    effort = line.spec.effort
    per_km = effort.low / 60 if effort is not None and effort.kind == "pace" else _MIN_PER_KM
    return round((main.rep_meters or 0) / 1000 * per_km, 2)


def _step(intensity: str, minutes: float, zone: int) -> dict[str, Any]:
    return {"i": intensity, "min": round(minutes, 2), "z": zone}


def _seg(kind: str, repeats: int, *steps: dict[str, Any]) -> dict[str, Any]:
    return {"k": kind, "x": repeats, "st": list(steps)}


def workout_for(line: Any) -> dict[str, Any]:
    """The compact workout a faithful model writes for one parsed draft line."""
    minutes = line.seconds / 60 if line.seconds is not None else 45.0
    km = line.meters / 1000 if line.meters is not None else round(minutes / 6, 1)
    main = line.spec.main
    zone = _zone(line)
    if main is not None and main.last:
        closing = _rep_minutes(main, line)
        easy = max(1.0, minutes - 20 - closing)
        segments = [
            _seg("warmup", 1, _step("warmup", 10, 1)),
            _seg("main", 1, _step("active", easy, 2), _step("interval", closing, zone)),
        ]
    elif main is not None:
        rep = _rep_minutes(main, line)
        steps = [_step("interval", rep, zone)]
        if main.reps > 1:
            steps.append(_step("recovery", 2, 1))
        segments = [_seg("warmup", 1, _step("warmup", 10, 1)), _seg("main", main.reps, *steps)]
    elif line.type in HARD_TYPES and line.type != "race":
        segments = [
            _seg("warmup", 1, _step("warmup", 15, 1)),
            _seg("main", 1, _step("interval", max(1.0, minutes - 25), zone)),
        ]
    else:
        return {
            "d": line.day,
            "t": line.type,
            "min": round(minutes, 2),
            "km": km,
            "seg": [_seg("main", 1, _step("active", minutes, 2))],
        }
    used = sum(seg["x"] * sum(st["min"] for st in seg["st"]) for seg in segments)
    segments.append(_seg("cooldown", 1, _step("cooldown", max(1.0, minutes - used), 1)))
    total = sum(seg["x"] * sum(st["min"] for st in seg["st"]) for seg in segments)
    return {"d": line.day, "t": line.type, "min": round(total, 2), "km": km, "seg": segments}


def faithful_responder(payload: dict[str, Any]) -> Reply:
    """Answer a week's request (or its re-ask) from the draft lines it carries."""
    messages = payload["messages"]
    system = messages[0]["content"]
    user = messages[1]["content"]
    week = int(_WEEK.search(user).group(1))  # type: ignore[union-attr]
    sport_match = _SPORT.search(system)
    sport = sport_match.group(1) if sport_match else "running"
    lines = "\n".join(user.splitlines()[1:])
    parsed = parse_draft(lines, sport=sport)
    only = _ONLY.search(messages[-1]["content"]) if len(messages) > 2 else None
    wanted = {int(d) for d in only.group(1).split(",")} if only else None
    workouts = [
        workout_for(line)
        for line in parsed.lines
        if 1 <= line.day <= 7 and (wanted is None or line.day in wanted)
    ]
    return Reply(json.dumps({"week": week, "workouts": workouts}, separators=(",", ":")))
