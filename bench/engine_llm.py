"""Prompt and completion tokens per workout of the LLM engine for a 12-week plan, against the
scripted OpenAI-compatible server on loopback (real SDK, real HTTP).

The scripted server counts tokens with a crude tokenizer (words, digit runs, one token per
JSON mark), so real BPE counts are lower, JSON most of all. Figures come from the usage the
server reports (`stream_options.include_usage`), as summed by the engine, and are checked
against the server's own record.

Run: .venv/bin/python bench/engine_llm.py [--weeks 12]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from typing import Any

from _common import out  # puts the repo on the path

from coach.engines.base import (
    DraftText,
    GenerationContext,
    PlanContext,
    PlanWarning,
    WorkoutReady,
)
from coach.engines.llm import LLMEngine
from coach.principles import resolve
from tests.engine_llm.answers import (
    context,
    draft_text,
    good_responder,
    plan_request,
    settings_for,
    week_answer,
    week_of,
)
from tests.support.live import serve_app
from tests.support.scripted_llm import Reply, ScriptedLLM, count_tokens


def _context(weeks: int, stub: bool = False) -> PlanContext:
    """The principle the service would use by default (a real principle file), or the
    one-sentence stub of the engine tests."""
    if stub:
        return context(plan_request(weeks))
    principle = resolve(override=None, coach_setting=None, organization_setting=None)
    return GenerationContext(request=plan_request(weeks), principle=principle)


def _first_answer_invalid() -> Any:
    good = good_responder()
    asked: set[int] = set()

    def respond(payload: dict[str, Any]) -> Reply:
        week = week_of(payload)
        if week not in asked:
            asked.add(week)
            return Reply("Sure, here is the week: see above")
        return good(payload)

    return respond


async def _plan(weeks: int, responder: Any, stub: bool = False) -> dict[str, Any]:
    llm = ScriptedLLM(responder=responder)
    ctx = _context(weeks, stub)
    with serve_app(llm.app) as url:
        engine = LLMEngine(settings_for(url))
        try:
            events = [e async for e in engine.plan(ctx)]
        finally:
            await engine.aclose()
    workouts = sum(isinstance(e, WorkoutReady) for e in events)
    server_prompt = sum(u["prompt_tokens"] for u in llm.usages)
    server_completion = sum(u["completion_tokens"] for u in llm.usages)
    system = next(m["content"] for m in llm.requests[0]["messages"] if m["role"] == "system")
    users = [next(m["content"] for m in r["messages"] if m["role"] == "user") for r in llm.requests]
    return {
        "workouts": workouts,
        "warnings": sum(isinstance(e, PlanWarning) for e in events),
        "usage": engine.usage,
        "server": (len(llm.usages), server_prompt, server_completion),
        "system_tokens": count_tokens(system),
        "user_tokens": statistics.median(count_tokens(u) for u in users),
        "prompts": [u["prompt_tokens"] for u in llm.usages],
    }


async def _draft(weeks: int) -> tuple[int, int, int]:
    text = draft_text(weeks)
    llm = ScriptedLLM(Reply(text))
    ctx = _context(weeks)
    with serve_app(llm.app) as url:
        engine = LLMEngine(settings_for(url))
        try:
            written = "".join([e.text async for e in engine.draft(ctx) if isinstance(e, DraftText)])
        finally:
            await engine.aclose()
    assert written == text
    return engine.usage.prompt_tokens, engine.usage.completion_tokens, text.count("\n") + 1


def _row(label: str, result: dict[str, Any]) -> None:
    usage = result["usage"]
    n = result["workouts"]
    prompt_w, completion_w = usage.prompt_tokens / n, usage.completion_tokens / n
    out(
        f"   {label:<40} {usage.requests:>8} {n:>8} {usage.prompt_tokens:>9} "
        f"{usage.completion_tokens:>9} {prompt_w:>9.0f} {completion_w:>9.0f} "
        f"{prompt_w + completion_w:>7.0f}"
    )
    requests, prompt, completion = result["server"]
    if (requests, prompt, completion) != (
        usage.requests,
        usage.prompt_tokens,
        usage.completion_tokens,
    ):
        out(
            f"   !! the server recorded {requests} requests, {prompt} prompt and {completion} "
            "completion tokens: the engine's usage differs"
        )


async def main_async(weeks: int) -> None:
    out(
        f"LLM engine tokens, {weeks}-week plan, 5 workouts a week, scripted server "
        "(crude tokenizer: JSON marks count one token each)"
    )
    draft_prompt, draft_completion, draft_lines = await _draft(weeks)
    out(
        f"-- draft step: 1 request, {draft_prompt} prompt tokens, {draft_completion} completion "
        f"tokens for a {draft_lines}-line draft "
        f"({draft_completion / (weeks * 5):.0f} completion tokens per workout line)"
    )
    good = await _plan(weeks, good_responder())
    reasked = await _plan(weeks, _first_answer_invalid())
    stub = await _plan(weeks, good_responder(), stub=True)
    out("-- plan step, per workout")
    out(
        f"   {'answers (default principle)':<40} {'requests':>8} {'workouts':>8} {'prompt':>9} "
        f"{'complet.':>9} {'prompt/w':>9} {'compl./w':>9} {'total/w':>7}"
    )
    _row("all valid", good)
    _row("every week's first answer invalid", reasked)
    _row("all valid, one-sentence principle stub", stub)
    prompts = good["prompts"]
    out(
        f"   each week's request: system prompt {good['system_tokens']} tokens (identical "
        f"for every week, so a server can cache it) + user turn ~{good['user_tokens']:.0f} "
        f"tokens; prompt tokens per request {min(prompts)}..{max(prompts)}"
    )
    out(
        f"   a week's answer: {count_tokens(week_answer(1))} completion tokens "
        f"({len(week_answer(1))} characters)"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weeks", type=int, default=12)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.weeks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
