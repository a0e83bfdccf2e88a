"""Write one week with the LLM: stream, accept workouts as they close, re-ask, repair."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Protocol

from coach.engines.base import EngineError
from coach.engines.llm.checks import check, parse_item, repair
from coach.engines.llm.convert import WeekSpec, fitted_workout, from_draft, to_workout
from coach.engines.llm.draftlines import DraftLine
from coach.engines.llm.incremental import IncompleteAnswer, ItemStream
from coach.engines.llm.messages import Report, WeekWarning, WeekWorkout
from coach.engines.llm.prompts import Message, Prompts
from coach.engines.llm.schema import WEEK_FORMAT
from coach.plans.fidelity import changes, explained
from coach.plans.models import Workout

log = logging.getLogger(__name__)

# Completion budget: a hard session in the compact schema is ~100 tokens; the margin
# lets a verbose model finish while a looping one is cut off (and then re-asked).
TOKENS_PER_WORKOUT = 220


class StreamText(Protocol):
    def __call__(
        self, messages: list[Message], *, max_tokens: int, **extra: Any
    ) -> AsyncGenerator[str, None]: ...


class WeekWriter:
    """One week's conversation with the LLM.

    Trade-off between earliness and week-level validation: each workout is checked on its
    own (model, draft line, totals, plausibility, rules) and against the days accepted
    before it (back-to-back hard days) the moment it closes, then sent at once, in day
    order. A bad workout is re-asked with the errors while the good ones stand; the
    re-ask names the accepted days and asks only for the others.
    """

    def __init__(
        self,
        spec: WeekSpec,
        stream: StreamText,
        prompts: Prompts,
        system: str,
        report: Report,
        response_format: dict[str, Any] = WEEK_FORMAT,
        tokens_per_workout: int = TOKENS_PER_WORKOUT,
    ) -> None:
        self.spec = spec
        self.response_format = response_format
        self.tokens_per_workout = tokens_per_workout
        self.stream = stream
        self.prompts = prompts
        self.report = report
        self.days = spec.draft.days
        self.accepted: dict[int, Workout] = {}
        self.sent = 0
        user = prompts.render(
            "plan_user",
            week=spec.week,
            weeks=spec.weeks,
            phase=spec.phase,
            focus=spec.focus,
            lines=[line.text for line in spec.draft.lines],
            context=list(spec.context),
        )
        self.base: list[Message] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]

    async def run(self, *, attempts: int) -> None:
        feedback: list[Message] = []
        errors: list[str] = []
        for attempt in range(attempts):
            final = attempt == attempts - 1
            parser = ItemStream()
            errors = await self._attempt(parser, feedback, final=final)
            missing = [d for d in self.days if d not in self.accepted]
            if not missing:
                for problem in errors:
                    # Only extra days or a mislabelled week can be left: nothing to re-ask.
                    self._warn(f"week {self.spec.week}: ignored a flaw of the answer ({problem})")
                return
            errors.append(f"no valid workout yet for day(s) {', '.join(map(str, missing))}")
            if attempt == attempts - 1 and self._fill_from_draft(missing, errors):
                return
            log.info("week %s attempt %s: %s", self.spec.week, attempt + 1, errors)
            feedback = [
                {"role": "assistant", "content": parser.text[:4000]},
                {
                    "role": "user",
                    "content": self.prompts.render(
                        "plan_feedback",
                        errors=errors,
                        week=self.spec.week,
                        accepted=[d for d in self.days if d in self.accepted],
                        remaining=missing,
                    ),
                },
            ]
        raise EngineError(
            f"week {self.spec.week}: the LLM's answer was still invalid after {attempts} "
            f"attempt(s): {'; '.join(errors[:6])}"
        )

    async def _attempt(
        self, parser: ItemStream, feedback: list[Message], *, final: bool
    ) -> list[str]:
        errors: list[str] = []
        relabelled = False
        remaining = len(self.days) - len(self.accepted)
        stream = self.stream(
            self.base + feedback,
            max_tokens=60 + self.tokens_per_workout * remaining,
            response_format=self.response_format,
        )
        async with aclosing(stream) as pieces:
            async for text in pieces:
                items = parser.feed(text)
                problem = _wrong_week(parser.partial, self.spec.week) if items else None
                if problem and not final:
                    return [problem]  # stop paying for an answer that will be asked again
                if problem and not relabelled:
                    relabelled = True
                    self._warn(f"week {self.spec.week}: {problem}; kept as week {self.spec.week}")
                for item in items:
                    errors.extend(self._take(item, final))
        try:
            for item in parser.finish():
                errors.extend(self._take(item, final))
        except IncompleteAnswer as exc:
            errors.append(str(exc))
        return errors

    def _fill_from_draft(self, missing: list[int], errors: list[str]) -> bool:
        """Last resort: build the days the LLM never got right from their draft lines,
        which the coach approved, so the plan is complete whatever the server answers.
        Each says so in a warning, and is marked `source: builtin`."""
        why = "; ".join(errors[:3])
        for day in missing:
            line = self.spec.draft.line(day)
            assert line is not None
            workout, warnings = self._from_line(line)
            if workout is None:
                return False
            self._warn(
                f"week {self.spec.week} day {day}: built from its draft line (line "
                f"{line.lineno}): no valid LLM answer after the re-asks ({why})"
            )
            for warning in warnings:
                self._warn(warning)
            self.accepted[day] = workout
        self._release()
        return True

    def _from_line(self, line: DraftLine) -> tuple[Workout | None, list[str]]:
        if self.spec.build_line is not None:
            return self.spec.build_line(line, self.spec.phase)
        if line.minutes is None:
            return None, []
        workout = to_workout(from_draft(line, self.spec), self.spec)
        return workout.model_copy(update={"source": "builtin"}), []

    def _warn(self, message: str) -> None:
        self.report(WeekWarning(self.spec.week, message))

    def _release(self) -> None:
        while self.sent < len(self.days) and self.days[self.sent] in self.accepted:
            self.report(WeekWorkout(self.spec.week, self.accepted[self.days[self.sent]]))
            self.sent += 1

    def _take(self, item: dict[str, Any], final: bool) -> list[str]:
        workout, errors = parse_item(item)
        if workout is None:
            return errors
        if workout.d in self.accepted:
            return []  # a day accepted in an earlier attempt, written again: ignore
        notes: list[str] = []
        if final and self.spec.draft.line(workout.d) is not None:
            workout, notes = repair(workout, self.spec, self.accepted)
        errors = check(workout, self.spec, self.accepted)
        if errors:
            return errors
        built, reasons = fitted_workout(workout, self.spec)
        self.accepted[workout.d] = built
        for note in notes:
            self._warn(note)
        line = self.spec.draft.line(workout.d)
        if line is not None:
            # What the accepted workout does not keep of the coach's line, field by field.
            found = changes(line.line, built, self.spec.draft.phase)
            for change in explained(found, reasons):
                self._warn(str(change))
        self._release()
        return []


def _wrong_week(partial: dict[str, Any], week: int) -> str | None:
    value = partial.get("week")
    if value is None or value == week:
        return None
    return f'"week" is {value!r} but this is week {week}'
