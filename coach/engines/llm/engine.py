"""LLMEngine: drafts and structured plans from any OpenAI-compatible server."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openai

from coach.engines.base import (
    DraftContext,
    DraftEvent,
    DraftProgress,
    DraftText,
    PlanContext,
    PlanEngine,
    PlanEvent,
    PlanTotal,
    PlanWarning,
    WeekRequest,
)
from coach.engines.builtin.draft import draft_pieces, generate
from coach.engines.builtin.lines import LineBuilder
from coach.engines.llm.budget import budget_for
from coach.engines.llm.client import make_client, transport_error
from coach.engines.llm.convert import LineBuilder as BuildLine
from coach.engines.llm.convert import WeekSpec
from coach.engines.llm.draft_check import DraftChecker
from coach.engines.llm.draftlines import Draft, DraftLine, parse_draft
from coach.engines.llm.messages import Report
from coach.engines.llm.prompts import Message, Prompts
from coach.engines.llm.release import in_plan_order
from coach.engines.llm.schema import WEEK_FORMAT
from coach.engines.llm.week import WeekWriter
from coach.engines.llm.week_tasks import run_weeks
from coach.engines.offload import Offload, as_engine_error
from coach.errors import BadRequest
from coach.plans.deadline import Deadline
from coach.plans.models import Phase, Workout
from coach.plans.phases import FOCUS, default_phase
from coach.plans.requests import GenerationRequest
from coach.principles import PrincipleFileError, PrincipleRules, rules_for
from coach.settings import Settings

log = logging.getLogger(__name__)


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
        self.offload = Offload.from_settings(settings)
        self.budget = budget_for(settings)

    async def serve(self) -> None:
        await self.budget.serve()

    async def aclose(self) -> None:
        await self.client.close()
        await self.budget.aclose()

    # -- transport -------------------------------------------------------------------

    async def _stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        sent: Callable[[], None] | None = None,
        **extra: Any,
    ) -> AsyncGenerator[str, None]:
        """The answer's text as it streams. `async with` on the SDK stream closes the HTTP
        response whenever this generator is closed or cancelled (client disconnect). The
        request holds a slot of the LLM budget until then; `sent` is called once it has
        one."""
        answer = self._stream_unbudgeted(messages, max_tokens=max_tokens, **extra)
        async with self.budget.slot(), aclosing(answer) as texts:
            if sent is not None:
                sent()
            async for text in texts:
                yield text

    async def _stream_unbudgeted(
        self, messages: list[Message], *, max_tokens: int, **extra: Any
    ) -> AsyncGenerator[str, None]:
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
        """The draft as the LLM writes it, checked line by line against the draft format
        as it streams: readable lines go out as they close. Weeks without a readable line
        are asked again, then written by the built-in planner, each with a note saying so,
        so every week of the plan has workout lines whatever the server answers."""
        request = ctx.request
        base = self.prompts.messages("draft", **self._request_vars(ctx))
        yield DraftProgress("prompt", "Prompt built", 5)
        checker = DraftChecker(
            weeks=request.weeks,
            sport=request.sport,
            first_weekday=request.start_date.weekday() if request.start_date else 0,
            max_line_chars=self.settings.draft_max_line_chars,
        )
        # ~6 lines of ~30 characters per week: enough for a progress figure, and capped.
        expected = request.weeks * 200
        received, shown = 0, 5
        messages = base
        for attempt in range(self.settings.llm_repair_attempts + 1):
            weeks = checker.missing
            answer: list[str] = []
            budget = 200 + self.settings.llm_draft_tokens_per_week * len(weeks)
            async with aclosing(self._stream(messages, max_tokens=budget)) as pieces:
                async for text in pieces:
                    if not received:
                        yield DraftProgress("generating", "The LLM is writing the draft", 10)
                    received += len(text)
                    answer.append(text)
                    if out := checker.feed(text):
                        yield DraftText(out)
                    progress = 10 + int(85 * min(1.0, received / expected))
                    if progress >= shown + 5:
                        shown = progress
                        yield DraftProgress(
                            "generating", f"{received} characters written", progress
                        )
            if out := checker.finish():
                yield DraftText(out)
            missing = checker.missing
            if not missing:
                break
            if attempt == self.settings.llm_repair_attempts:
                break
            yield DraftProgress(
                "repairing", f"asking again for week(s) {', '.join(map(str, missing))}", shown
            )
            feedback = self.prompts.render("draft_feedback", errors=checker.errors, missing=missing)
            messages = [
                *base,
                {"role": "assistant", "content": "".join(answer)[:4000]},
                {"role": "user", "content": feedback},
            ]
            if newline := checker.next_answer(missing):
                yield DraftText(newline)
        if checker.missing:
            if checker.open_line:
                yield DraftText("\n")
            async for event in self._fill_weeks(ctx, checker.missing, wrote=checker.wrote):
                yield event
        yield DraftProgress("done", "Draft written", 100)

    async def _fill_weeks(
        self, ctx: DraftContext, missing: list[int], *, wrote: bool
    ) -> AsyncGenerator[DraftEvent, None]:
        """The built-in planner's weeks for those the LLM never wrote readably."""
        named = ", ".join(map(str, missing))
        yield DraftProgress("repairing", f"the built-in planner writes week(s) {named}", 95)
        weeks = await self.offload.run(
            "planning the missing weeks",
            _builtin_weeks,
            ctx,
            self.settings.principles_dir,
            missing,
        )
        for number in missing:
            note = (
                f"# Week {number} was written by the built-in planner: the LLM's draft had no "
                "readable workout line for it.\n"
            )
            yield DraftText(("\n" if wrote else "") + note + weeks[number])
            wrote = True

    # -- plan ------------------------------------------------------------------------

    def _specs(self, ctx: PlanContext, draft: Draft, builder: LineBuilder | None) -> list[WeekSpec]:
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
                    build_line=_from_line(builder) if builder is not None else None,
                )
            )
        return specs

    async def _read(self, ctx: PlanContext) -> Draft:
        request = ctx.request
        return await self.offload.run(
            "reading the draft",
            parse_draft,
            request.refined_draft,
            weeks=request.weeks,
            sport=request.sport,
            first_weekday=request.start_date.weekday() if request.start_date else 0,
            max_line_chars=self.settings.draft_max_line_chars,
        )

    async def check_plan_request(self, ctx: PlanContext) -> None:
        await self._read(ctx)

    async def plan(self, ctx: PlanContext) -> AsyncGenerator[PlanEvent, None]:
        try:
            draft = await self._read(ctx)
        except BadRequest as exc:
            raise as_engine_error(exc) from None
        builder = await self.offload.run(
            "planning the weeks", _line_builder, ctx, self.settings.principles_dir
        )
        # The total comes first, always: clients size their progress by it.
        yield PlanTotal(draft.total)
        for warning in draft.warnings:
            yield PlanWarning(warning)
        specs = self._specs(ctx, draft, builder)
        async with aclosing(self._write(ctx, specs)) as events:
            async for event in events:
                yield event

    async def week(self, ctx: PlanContext, request: WeekRequest) -> AsyncGenerator[PlanEvent, None]:
        """One week written again from its draft lines, alone: the weeks around it go into
        the prompt as context (and into the cross-week rule checks), never rewritten."""
        try:
            draft = await self._read(ctx)
        except BadRequest as exc:
            raise as_engine_error(exc) from None
        builder = await self.offload.run(
            "planning the week", _line_builder, ctx, self.settings.principles_dir
        )
        [spec] = [s for s in self._specs(ctx, draft, builder) if s.week == request.week]
        spec = replace(spec, context=tuple(context_line(w) for w in request.neighbours))
        yield PlanTotal(len(spec.draft.lines))
        for warning in draft.warnings:
            yield PlanWarning(warning)
        before = [w for w in request.neighbours if w.week < request.week]
        async with aclosing(self._write(ctx, [spec], before)) as events:
            async for event in events:
                yield event

    async def _write(
        self, ctx: PlanContext, specs: list[WeekSpec], before: list[Workout] | None = None
    ) -> AsyncGenerator[PlanEvent, None]:
        """The weeks of `specs` written concurrently, their events in plan order."""
        system = self.prompts.render("plan_system", **self._request_vars(ctx))

        async def write(spec: WeekSpec, report: Report, sent: Callable[[], None]) -> None:
            def stream(
                messages: list[Message], *, max_tokens: int, **extra: Any
            ) -> AsyncGenerator[str, None]:
                return self._stream(messages, max_tokens=max_tokens, sent=sent, **extra)

            writer = WeekWriter(
                spec,
                stream,
                self.prompts,
                system,
                report,
                self.week_format(spec),
                self.settings.llm_tokens_per_workout,
            )
            await writer.run(attempts=self.settings.llm_repair_attempts + 1)

        weeks = [spec for spec in specs if spec.draft.lines]
        # The weeks' task group stays open while this generator yields: callers iterate and
        # aclose() it in one task (see PlanEngine). Closing it cancels every week and closes
        # their HTTP streams before aclose() returns.
        ceiling = min(self.settings.llm_concurrency, self.settings.llm_budget)
        retries = self.settings.llm_week_retries
        async with run_weeks(weeks, write, ceiling, retries) as messages:
            async with aclosing(in_plan_order(specs, messages, before or [])) as events:
                async for event in events:
                    yield event


def context_line(workout: Workout) -> str:
    """A workout as the prompt shows a neighbouring week's: day, type, title, volume."""
    return (
        f"W{workout.week} D{workout.day} {workout.type}: {workout.title}, "
        f"{round(workout.duration / 60)} min, {workout.distance / 1000:.1f} km"
    )


def _rules(ctx: DraftContext, settings: Settings) -> PrincipleRules | None:
    """The principle's rules; a free-text principle is held to the default one's rules."""
    try:
        return rules_for(ctx.principle, settings.principles_dir)
    except (PrincipleFileError, OSError, StopIteration):
        log.warning(
            "no default principle in %s: coaching rules not checked", settings.principles_dir
        )
        return None


def _line_builder(
    ctx: DraftContext, principles_dir: Path, *, deadline: Deadline
) -> LineBuilder | None:
    """The built-in engine's builder of workouts from draft lines, for the days the LLM
    never gets right; None when the principle's rules cannot be read."""
    deadline.check()
    try:
        return LineBuilder.for_request(ctx, principles_dir=principles_dir)
    except (PrincipleFileError, OSError, StopIteration):
        log.warning("no default principle in %s: days are built from lines simply", principles_dir)
        return None


def _from_line(builder: LineBuilder) -> BuildLine:
    def build(line: DraftLine, phase: Phase | None) -> tuple[Workout | None, list[str]]:
        built = builder.build(line.line, phase)
        return built.workout, built.warnings

    return build


def _builtin_weeks(
    ctx: DraftContext, principles_dir: Path, weeks: list[int], *, deadline: Deadline
) -> dict[int, str]:
    """The built-in planner's draft text of these weeks of the request's plan."""
    gen = generate(ctx, principles_dir=principles_dir, deadline=deadline)
    pieces = draft_pieces(ctx, gen)
    return {week: pieces[week] for week in weeks}
