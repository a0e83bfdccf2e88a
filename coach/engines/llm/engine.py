"""LLMEngine: drafts and structured plans from any OpenAI-compatible server."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import openai

from coach.engines.base import (
    DraftContext,
    DraftEvent,
    DraftProgress,
    DraftText,
    EngineError,
    PlanContext,
    PlanEngine,
    PlanEvent,
    PlanTotal,
    PlanWarning,
)
from coach.engines.llm.client import make_client, transport_error
from coach.engines.llm.convert import WeekSpec
from coach.engines.llm.draftlines import Draft, parse_draft
from coach.engines.llm.messages import Report
from coach.engines.llm.prompts import Message, Prompts
from coach.engines.llm.release import in_plan_order
from coach.engines.llm.schema import WEEK_FORMAT
from coach.engines.llm.week import WeekWriter
from coach.engines.llm.week_tasks import run_weeks
from coach.plans.phases import FOCUS, default_phase
from coach.plans.requests import GenerationRequest
from coach.principles import PrincipleFileError, PrincipleRules, rules_for
from coach.settings import Settings

log = logging.getLogger(__name__)

DRAFT_TOKENS_PER_WEEK = 220


@dataclass
class Usage:
    """Token counts the server reported (stream_options.include_usage), summed."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _athlete(request: GenerationRequest) -> str | None:
    if request.athlete is None:
        return None
    values = request.athlete.model_dump(exclude_none=True)
    return ", ".join(f"{key} {value:g}" for key, value in values.items()) or None


class LLMEngine(PlanEngine):
    """See docs/llm-engine.md for the prompts, the schema, retries and repairs."""

    name = "openai"

    def week_format(self, spec: WeekSpec) -> dict[str, Any]:
        """How the week schema is sent: one fixed strict schema, so the server compiles it
        once; servers without `json_schema` support override this."""
        return WEEK_FORMAT

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = make_client(settings)
        self.prompts = Prompts(settings.prompts_dir)
        self.usage = Usage()

    async def aclose(self) -> None:
        await self.client.close()

    # -- transport -------------------------------------------------------------------

    async def _stream(
        self, messages: list[Message], *, max_tokens: int, **extra: Any
    ) -> AsyncGenerator[str, None]:
        """The answer's text as it streams. `async with` on the SDK stream closes the HTTP
        response whenever this generator is closed or cancelled (client disconnect)."""
        try:
            stream = await self.client.chat.completions.create(
                model=self.settings.llm_model,
                messages=messages,
                temperature=self.settings.llm_temperature,
                max_tokens=max_tokens,
                stream=True,
                stream_options={"include_usage": True},
                **extra,
            )
            async with stream:
                self.usage.requests += 1
                async for chunk in stream:
                    if chunk.usage is not None:
                        self.usage.prompt_tokens += chunk.usage.prompt_tokens
                        self.usage.completion_tokens += chunk.usage.completion_tokens
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except openai.OpenAIError as exc:
            raise transport_error(exc, str(self.client.base_url)) from exc

    # -- draft -----------------------------------------------------------------------

    def _request_vars(self, ctx: DraftContext) -> dict[str, Any]:
        request = ctx.request
        return {
            "principle": ctx.principle.text,
            "sport": request.sport,
            "level": request.experience_level,
            "weeks": request.weeks,
            "start_date": request.start_date.isoformat() if request.start_date else None,
            "athlete": _athlete(request),
            "instructions": request.instructions,
        }

    async def draft(self, ctx: DraftContext) -> AsyncGenerator[DraftEvent, None]:
        messages = self.prompts.messages("draft", **self._request_vars(ctx))
        yield DraftProgress("prompt", "Prompt built", 5)
        # ~6 lines of ~30 characters per week: enough for a progress figure, and capped.
        expected = ctx.request.weeks * 200
        written, shown = 0, 5
        budget = 200 + DRAFT_TOKENS_PER_WEEK * ctx.request.weeks
        async with aclosing(self._stream(messages, max_tokens=budget)) as pieces:
            async for text in pieces:
                if not written:
                    yield DraftProgress("generating", "The LLM is writing the draft", 10)
                written += len(text)
                yield DraftText(text)
                progress = 10 + int(85 * min(1.0, written / expected))
                if progress >= shown + 5:
                    shown = progress
                    yield DraftProgress("generating", f"{written} characters written", progress)
        if not written:
            raise EngineError("the LLM returned an empty draft")
        yield DraftProgress("done", "Draft written", 100)

    # -- plan ------------------------------------------------------------------------

    def _specs(self, ctx: PlanContext, draft: Draft) -> list[WeekSpec]:
        request = ctx.request
        rules = _rules(ctx, self.settings)
        specs = []
        for number in range(1, request.weeks + 1):
            week = draft.weeks[number]
            phase = week.phase or default_phase(number, request.weeks)
            specs.append(
                WeekSpec(
                    week=number,
                    weeks=request.weeks,
                    phase=phase,
                    focus=week.focus or FOCUS[phase],
                    draft=week,
                    sport=request.sport,
                    level=request.experience_level,
                    start_date=request.start_date,
                    athlete=request.athlete,
                    rules=rules,
                )
            )
        return specs

    async def plan(self, ctx: PlanContext) -> AsyncGenerator[PlanEvent, None]:
        request = ctx.request
        draft = parse_draft(request.refined_draft, weeks=request.weeks, sport=request.sport)
        if draft.total == 0:
            raise EngineError(
                "the refined draft has no workout lines (expected lines like "
                "'W1 D2 Easy run, 40 min, 7 km')"
            )
        # The total comes first, always: clients size their progress by it.
        yield PlanTotal(draft.total)
        for warning in draft.warnings:
            yield PlanWarning(warning)
        specs = self._specs(ctx, draft)
        system = self.prompts.render("plan_system", **self._request_vars(ctx))

        async def write(spec: WeekSpec, report: Report) -> None:
            writer = WeekWriter(
                spec, self._stream, self.prompts, system, report, self.week_format(spec)
            )
            await writer.run(attempts=self.settings.llm_repair_attempts + 1)

        weeks = [spec for spec in specs if spec.draft.lines]
        # The weeks' task group stays open while this generator yields: callers iterate and
        # aclose() it in one task (see PlanEngine). Closing it cancels every week and closes
        # their HTTP streams before aclose() returns.
        async with run_weeks(weeks, write, self.settings.llm_concurrency) as messages:
            async with aclosing(in_plan_order(specs, messages)) as events:
                async for event in events:
                    yield event


def _rules(ctx: DraftContext, settings: Settings) -> PrincipleRules | None:
    """The principle's rules; a free-text principle is held to the default one's rules."""
    try:
        return rules_for(ctx.principle, settings.principles_dir)
    except (PrincipleFileError, OSError, StopIteration):
        log.warning(
            "no default principle in %s: coaching rules not checked", settings.principles_dir
        )
        return None
