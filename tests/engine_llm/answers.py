"""Drafts, requests and scripted week answers for the LLM engine tests."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from pydantic import SecretStr

from coach.engines.base import GenerationContext, PlanContext, PlanEvent
from coach.engines.llm import LLMEngine
from coach.plans.requests import PlanRequest
from coach.principles import ResolvedPrinciple
from coach.settings import Settings
from tests.support.scripted_llm import Reply, ScriptedLLM, count_tokens

PRINCIPLE = "Polarised training: about 80% easy, two quality days, long run on the weekend."
# day -> (title, type, minutes, km)
LINES: dict[int, tuple[str, str, float, float]] = {
    1: ("Easy run", "easy-run", 40, 7.0),
    3: ("Intervals 6x3 min", "intervals", 50, 9.0),
    4: ("Easy run", "easy-run", 45, 8.0),
    5: ("Easy run", "easy-run", 40, 7.0),
    7: ("Long run", "long-run", 70, 12.0),
}
START = dt.date(2026, 3, 2)


def draft_text(weeks: int, lines: dict[int, tuple[str, str, float, float]] = LINES) -> str:
    out = []
    for week in range(1, weeks + 1):
        out.append(f"Week {week} — base (focus: aerobic foundation)")
        for day, (title, _type, minutes, km) in sorted(lines.items()):
            out.append(f"W{week} D{day} {title}, {minutes:g} min, {km:g} km")
    return "\n".join(out)


def workout(
    day: int, type_: str, minutes: float, km: float, override: dict[str, Any] | None = None
) -> dict[str, Any]:
    if type_ in ("intervals", "tempo", "threshold"):
        segments = [
            {"k": "warmup", "x": 1, "st": [{"i": "warmup", "min": 15, "z": 1}]},
            {
                "k": "main",
                "x": 6,
                "st": [{"i": "interval", "min": 3, "z": 4}, {"i": "recovery", "min": 2, "z": 1}],
            },
            {"k": "cooldown", "x": 1, "st": [{"i": "cooldown", "min": minutes - 45, "z": 1}]},
        ]
    else:
        segments = [{"k": "main", "x": 1, "st": [{"i": "active", "min": minutes, "z": 2}]}]
    item = {"d": day, "t": type_, "min": minutes, "km": km, "seg": segments}
    item.update(override or {})
    return item


def week_answer(
    week: int,
    lines: dict[int, tuple[str, str, float, float]] = LINES,
    *,
    label: int | None = None,
    changes: dict[int, dict[str, Any]] | None = None,
) -> str:
    changes = changes or {}
    items = [
        workout(day, type_, minutes, km, changes.get(day))
        for day, (_title, type_, minutes, km) in sorted(lines.items())
    ]
    return json.dumps({"week": label or week, "workouts": items}, separators=(",", ":"))


def week_of(payload: dict[str, Any]) -> int:
    user = next(m["content"] for m in payload["messages"] if m["role"] == "user")
    match = re.search(r"Week (\d+) of", user)
    assert match, user
    return int(match.group(1))


def good_responder(
    lines: dict[int, tuple[str, str, float, float]] = LINES,
    start_when: dict[int, Callable[[], bool]] | None = None,
) -> Callable[[dict[str, Any]], Reply]:
    """Good answers for every week; a week in `start_when` answers once its condition holds."""

    def respond(payload: dict[str, Any]) -> Reply:
        week = week_of(payload)
        return Reply(week_answer(week, lines), start_when=(start_when or {}).get(week))

    return respond


def weeks_finished(llm: ScriptedLLM) -> set[int]:
    """The weeks whose answers the scripted server has sent to the end."""
    with llm.lock:
        return {week_of(llm.requests[i]) for i in llm.finished}


def after_weeks(llm: ScriptedLLM, weeks: set[int]) -> Callable[[], bool]:
    """A `start_when` condition: these weeks' answers have all been sent."""
    return lambda: weeks <= weeks_finished(llm)


# Tokens of a week's answer up to the "{" that opens its second workout (a workout is final,
# and goes out, once the next one has begun): a stream held here has sent one whole workout
# and most of the week is still to come.
def _first_workout_tokens() -> int:
    answer = week_answer(1)
    first = json.dumps(json.loads(answer)["workouts"][0], separators=(",", ":"))
    return count_tokens(answer[: answer.index(first) + len(first) + len(",{")])


FIRST_WORKOUT_TOKENS = _first_workout_tokens()


def settings_for(base_url: str, **override: Any) -> Settings:
    values: dict[str, Any] = {
        "engine": "openai",
        "llm_base_url": f"{base_url}/v1",
        "llm_model": "scripted",
        "llm_api_key": SecretStr("test-key"),
        "llm_max_retries": 0,
        "llm_repair_attempts": 2,
        "llm_concurrency": 4,
        "llm_timeout_s": 10,
    }
    values.update(override)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def plan_request(weeks: int, draft: str | None = None, **override: Any) -> PlanRequest:
    values: dict[str, Any] = {
        "weeks": weeks,
        "experience_level": "intermediate",
        "organization_id": 1,
        "start_date": START.isoformat(),
        "instructions": "Two quality sessions per week.",
        "refined_draft": draft if draft is not None else draft_text(weeks),
    }
    values.update(override)
    return PlanRequest.model_validate(values)


def context(request: PlanRequest) -> PlanContext:
    principle = ResolvedPrinciple(text=PRINCIPLE, source="request", principle=None)
    return GenerationContext(request=request, principle=principle)


@asynccontextmanager
async def engine_for(base_url: str, **override: Any) -> AsyncIterator[LLMEngine]:
    engine = LLMEngine(settings_for(base_url, **override))
    try:
        yield engine
    finally:
        await engine.aclose()


async def collect(engine: LLMEngine, request: PlanRequest) -> list[PlanEvent]:
    return [event async for event in engine.plan(context(request))]
