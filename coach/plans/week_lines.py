"""A plan's draft with one week's lines replaced: what regenerating that week writes from.

The draft is the plan's `refined_draft`. Its lines for the week (and the week's header)
are taken out and the edited lines appended under that header, so every other week reads
exactly as before. The edited lines are read first on their own: a line for another week,
or one that cannot be read, is a 400 on `lines`.
"""

from __future__ import annotations

from coach.errors import BadRequest
from coach.plans.draft_format import DraftReader, parse_draft


def _check(lines: str, week: int, *, sport: str, first_weekday: int, max_line_chars: int) -> None:
    parsed = parse_draft(
        f"Week {week}\n{lines}",
        sport=sport,
        first_weekday=first_weekday,
        max_line_chars=max_line_chars,
    )
    for unreadable in parsed.unreadable:
        raise BadRequest.field(
            "lines", f"line {unreadable.lineno - 1} ({unreadable.text}): {unreadable.reason}"
        )
    for line in parsed.lines:
        if line.week != week:
            raise BadRequest.field(
                "lines", f"line {line.lineno - 1} is for week {line.week}, not week {week}"
            )


def with_week_lines(
    draft: str,
    week: int,
    lines: str,
    *,
    sport: str,
    first_weekday: int,
    weeks: int,
    max_line_chars: int,
) -> str:
    """`draft` with week `week`'s workout lines replaced by `lines` (an empty text makes
    the week all rest)."""
    _check(lines, week, sport=sport, first_weekday=first_weekday, max_line_chars=max_line_chars)
    reader = DraftReader(sport, first_weekday, max_line_chars, weeks)
    header: str | None = None
    kept: list[str] = []
    for lineno, raw in enumerate(draft.splitlines(), start=1):
        before = len(reader.parsed.lines)
        kinds = reader.read(lineno, raw)
        if "header" in kinds and reader.current_week == week:
            header = raw
            continue
        if any(line.week == week for line in reader.parsed.lines[before:]):
            continue
        kept.append(raw)
    return "\n".join([*kept, "", header or f"Week {week}", lines.strip("\n"), ""])
