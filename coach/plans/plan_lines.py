"""The lines of a refined draft a plan is built from: readable, inside the plan's weeks, one
per day. Both engines start here, so they read a draft the same way and say the same
things about the lines they cannot use; a draft with no usable line is refused (400).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from coach.errors import BadRequest
from coach.plans.deadline import NO_DEADLINE, Deadline
from coach.plans.draft_format import (
    MAX_LINE_CHARS,
    WEEKDAYS,
    ParsedDraft,
    ParsedLine,
    WeekHeader,
    format_duration,
    format_km,
    parse_draft,
)
from coach.plans.fidelity import Change
from coach.plans.session_text import unread_numbers

EXAMPLE_LINE = "W1 D2 Easy run, 40 min, 7 km"
# Unreadable lines named one by one in the warnings; the rest are counted.
MAX_NAMED_UNREADABLE = 50


class UnreadableDraft(BadRequest):
    """Nothing in the refined draft can be planned: a 400 naming `refined_draft`."""

    def __init__(self, reason: str) -> None:
        message = (
            f"{reason}; write one line per workout, e.g. '{EXAMPLE_LINE}' "
            "(see docs/draft-format.md)"
        )
        super().__init__(
            f"invalid refined_draft: {message}",
            [{"field": "refined_draft", "message": message}],
        )


@dataclass
class PlanLines:
    lines: list[ParsedLine] = field(default_factory=list)  # by week, then day
    headers: dict[int, WeekHeader] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def week(self, number: int) -> list[ParsedLine]:
        return [line for line in self.lines if line.week == number]


def _unreadable_warnings(parsed: ParsedDraft) -> list[str]:
    warnings = [
        f"line {u.lineno}: could not read {u.text!r} ({u.reason})"
        for u in parsed.unreadable[:MAX_NAMED_UNREADABLE]
    ]
    more = parsed.unreadable_total - MAX_NAMED_UNREADABLE
    if more > 0:
        warnings.append(f"{more} more lines could not be read")
    return warnings


def plan_lines(parsed: ParsedDraft, *, weeks: int, first_weekday: int) -> PlanLines:
    """The usable lines, each (week, day) once, and a warning for every line not used as
    written: unreadable, outside the plan's weeks, a day outside 1..7 (moved to the
    nearest day), a weekday that is not its day's, a second line on a day (it wins)."""
    result = PlanLines(headers={n: h for n, h in parsed.headers.items() if 1 <= n <= weeks})
    warnings = _unreadable_warnings(parsed)
    chosen: dict[tuple[int, int], ParsedLine] = {}
    for line in parsed.lines:
        where = f"line {line.lineno}: {line.text!r}"
        if not 1 <= line.week <= weeks:
            warnings.append(f"{where}: week {line.week} is outside the {weeks}-week plan; skipped")
            continue
        if not 1 <= line.day <= 7:
            day = min(7, max(1, line.day))
            warnings.append(
                str(Change(line.lineno, "day", f"D{line.day}", f"D{day}", "a week has days 1 to 7"))
            )
            # The line as it is planned, for the LLM's request and later warnings.
            text = f"W{line.week} D{day} {line.title}"
            text += f", {format_duration(line.seconds)}" if line.seconds is not None else ""
            text += f", {format_km(line.meters)}" if line.meters is not None else ""
            line = replace(line, day=day, weekday=None, text=text)
        weekday = (first_weekday + line.day - 1) % 7
        if line.weekday is not None and line.weekday != weekday:
            warnings.append(
                f"{where}: D{line.day} is a {WEEKDAYS[weekday]}, not "
                f"{WEEKDAYS[line.weekday]}; used D{line.day}"
            )
        key = (line.week, line.day)
        if key in chosen:
            warnings.append(
                f"{where}: W{line.week} D{line.day} already has a workout from "
                f"line {chosen[key].lineno}; this line replaces it"
            )
        chosen[key] = line
    result.lines = [chosen[key] for key in sorted(chosen)]
    for line in result.lines:
        if unread := unread_numbers(line.title, line.type):
            named = ", ".join(repr(n) for n in unread)
            warnings.append(
                f"line {line.lineno}: {named} in the title shapes nothing (a {line.type}'s "
                "title names no main set there); the workout follows the line's minutes and km"
            )
    result.warnings = warnings
    if not result.lines:
        raise UnreadableDraft(_nothing_usable(parsed, weeks))
    return result


def _nothing_usable(parsed: ParsedDraft, weeks: int) -> str:
    if parsed.lines:
        found = sorted({line.week for line in parsed.lines})
        named = ", ".join(map(str, found[:10])) + (", ..." if len(found) > 10 else "")
        return (
            f"every workout line is outside the {weeks}-week plan "
            f"(the draft's lines are for week {named})"
        )
    if parsed.unreadable:
        first = parsed.unreadable[0]
        return (
            f"no line could be read as a workout ({parsed.unreadable_total} unreadable, "
            f"the first: line {first.lineno} {first.text!r}: {first.reason})"
        )
    return "the draft has no workout lines"


def read_plan_lines(
    text: str,
    *,
    weeks: int,
    sport: str,
    first_weekday: int,
    max_line_chars: int = MAX_LINE_CHARS,
    deadline: Deadline = NO_DEADLINE,
) -> PlanLines:
    """Parse `text` and keep the usable lines; UnreadableDraft when there are none."""
    parsed = parse_draft(
        text,
        sport=sport,
        first_weekday=first_weekday,
        weeks=weeks,
        max_line_chars=max_line_chars,
        deadline=deadline,
    )
    return plan_lines(parsed, weeks=weeks, first_weekday=first_weekday)
