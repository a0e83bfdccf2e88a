"""The draft text format: one line per workout, like a coach's notebook; write and parse it.

    Week 3 — build (focus: threshold work and volume) — 4h 10m, 42.5 km
    W3 D2 Tue  Intervals 6x800m @ 3:45/km, 60 min, 11.0 km

The parser is tolerant (case, spacing, separators, bullets, tables pasted from
spreadsheets, missing weekday, several duration and distance spellings) and never drops a
line silently: a line it cannot read comes back in `ParsedDraft.unreadable` with its
number and text. It runs in time linear in the text: whitespace is collapsed first, lines
longer than `max_line_chars` are reported rather than read, and no pattern backtracks
over what another has matched (see coach.plans.draft_fields). See docs/draft-format.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from coach.plans.deadline import NO_DEADLINE, Deadline
from coach.plans.draft_fields import (
    WEEKDAYS,
    parse_distance,
    parse_duration,
    single_spaced,
    split_fields,
    weekday_index,
)
from coach.plans.draft_tables import TableState, table_cells, table_lines
from coach.plans.models import Phase, WorkoutType
from coach.plans.phases import PHASES
from coach.plans.session_text import MainSet, TitleSpec, read_title, type_from_title

__all__ = [
    "WEEKDAYS",
    "DraftEntry",
    "DraftReader",
    "DraftWeek",
    "ParsedDraft",
    "ParsedLine",
    "Unreadable",
    "WeekHeader",
    "format_duration",
    "format_entry",
    "format_km",
    "parse_distance",
    "parse_draft",
    "parse_duration",
    "render_week",
    "week_header",
]

MAX_LINE_CHARS = 500
# Unreadable lines kept one by one (a 200,000-character draft may have 100,000 of them).
KEPT_UNREADABLE = 200
# Characters read between two deadline checks (each check lets other threads run).
_CHECK_EVERY = 8192
# How much of an unreadable line a warning quotes.
QUOTE_CHARS = 120

_WEEKDAY = (
    r"(mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\.?"
)
_LINE_RE = re.compile(
    rf"(?:w(?:ee)?k? ?(\d{{1,3}}) ?[,/.\-]? ?)?d(?:ay)? ?(\d{{1,3}})\b ?[,.:]? ?"
    rf"(?:{_WEEKDAY}(?![a-z]))? ?[:\-–—|]? ?(.*)",
    re.IGNORECASE,
)
_WEEKDAY_LINE_RE = re.compile(
    rf"(?:w(?:ee)?k? ?(\d{{1,3}}) ?[,/.\-]? ?)?{_WEEKDAY}(?![a-z]) ?[:\-–—|,]? ?(.*)",
    re.IGNORECASE,
)
_HEADER_RE = re.compile(r"(?:week|wk) ?(\d{1,3})\b(.*)|w(\d{1,3})[:.]?", re.IGNORECASE)
_BULLET_RE = re.compile(r"(?:[-*•·+–—]|\d{1,2}[.)]) (.*)")
_REST_RE = re.compile(r"(rest|off|day off|rest day|no training)\b[ .!]*", re.IGNORECASE)
_PHASE_RES = tuple((phase, re.compile(rf"\b{phase}\b")) for phase in PHASES)


@dataclass(frozen=True)
class DraftEntry:
    """One workout line to write."""

    week: int
    day: int
    title: str
    seconds: int
    meters: int
    weekday: str | None = None
    note: str | None = None  # written as a trailing [annotation]


@dataclass(frozen=True)
class DraftWeek:
    week: int
    phase: str
    focus: str
    entries: list[DraftEntry]


@dataclass(frozen=True)
class ParsedLine:
    lineno: int
    text: str  # the line as read (single-spaced)
    week: int
    day: int  # as written; may be outside 1..7
    title: str
    type: WorkoutType
    seconds: int | None
    meters: int | None
    spec: TitleSpec
    weekday: int | None  # 0 = Monday, when the line names one

    @property
    def main_set(self) -> MainSet | None:
        return self.spec.main


@dataclass(frozen=True)
class WeekHeader:
    phase: Phase | None
    focus: str | None


@dataclass(frozen=True)
class Unreadable:
    lineno: int
    text: str  # at most QUOTE_CHARS of it
    reason: str


@dataclass
class ParsedDraft:
    lines: list[ParsedLine] = field(default_factory=list)
    headers: dict[int, WeekHeader] = field(default_factory=dict)
    # The first KEPT_UNREADABLE unreadable lines; `unreadable_total` counts them all.
    unreadable: list[Unreadable] = field(default_factory=list)
    unreadable_total: int = 0
    rest_lines: int = 0


def format_duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 100:
        return f"{minutes} min"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def format_km(meters: float) -> str:
    return f"{meters / 1000:.1f} km"


def week_header(week: DraftWeek) -> str:
    seconds = sum(e.seconds for e in week.entries)
    meters = sum(e.meters for e in week.entries)
    return (
        f"Week {week.week} — {week.phase} (focus: {week.focus}) — "
        f"{format_duration(seconds)}, {format_km(meters)}"
    )


def format_entry(entry: DraftEntry) -> str:
    weekday = f" {entry.weekday}" if entry.weekday else ""
    note = f" [{entry.note}]" if entry.note else ""
    return (
        f"W{entry.week} D{entry.day}{weekday}  {entry.title}, "
        f"{format_duration(entry.seconds)}, {format_km(entry.meters)}{note}"
    )


def render_week(week: DraftWeek) -> str:
    lines = [week_header(week), *(format_entry(e) for e in week.entries)]
    return "\n".join(lines) + "\n\n"


def quote(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _header(line: str) -> WeekHeader:
    rest = line.lower()
    before = rest.split("(", 1)[0]
    phase = next((p for p, pattern in _PHASE_RES if pattern.search(before)), None)
    focus = None
    start = rest.find("(focus:")
    if start >= 0:
        end = line.find(")", start)
        focus = line[start + 7 : end if end >= 0 else len(line)].strip() or None
    return WeekHeader(phase, focus)


def _without_markup(line: str) -> str:
    """The line without a leading bullet or number and Markdown emphasis."""
    bullet = _BULLET_RE.fullmatch(line)
    if bullet:
        line = bullet.group(1)
    return line.strip("*_ ")


def _without_annotation(line: str) -> str:
    """The line without a trailing [annotation]."""
    if line.endswith("]"):
        start = line.rfind("[")
        if start > 0:
            return line[:start].rstrip()
    return line


# What one line of a draft turned out to be.
LineKind = Literal["blank", "intro", "header", "note", "rest", "workout", "unreadable"]


@dataclass
class DraftReader:
    """Reads a draft one line at a time (`parse_draft` reads a whole text with it): the
    LLM engine checks its own draft with it as the draft streams."""

    sport: str = "running"
    first_weekday: int = 0
    max_line_chars: int = MAX_LINE_CHARS
    weeks: int | None = None
    parsed: ParsedDraft = field(default_factory=ParsedDraft)
    current_week: int | None = None
    table: TableState = field(default_factory=TableState)
    last_reason: str = ""  # why the last unreadable line was

    def read(self, lineno: int, raw: str) -> list[LineKind]:
        """Read one line of text; what it was (a table row may hold several workouts)."""
        cells = table_cells(raw, self.table)
        if cells is not None:
            if len(raw) > self.max_line_chars * 8:
                self._unreadable(lineno, raw, f"longer than {self.max_line_chars * 8} characters")
                return ["unreadable"]
            lines = table_lines(cells, self.table)
            return [self.line(lineno, text, quoted=text) for text in lines or ()] or ["note"]
        self.table.clear()
        return [self.line(lineno, raw)]

    def _unreadable(self, lineno: int, text: str, reason: str) -> LineKind:
        self.last_reason = reason
        parsed = self.parsed
        parsed.unreadable_total += 1
        if len(parsed.unreadable) < KEPT_UNREADABLE:
            parsed.unreadable.append(Unreadable(lineno, quote(single_spaced(text)), reason))
        return "unreadable"

    def line(self, lineno: int, raw: str, *, quoted: str | None = None) -> LineKind:
        line = single_spaced(raw)
        if not line:
            return "blank"
        if len(line) > self.max_line_chars:
            if self.current_week is not None:
                return self._unreadable(
                    lineno, line, f"longer than {self.max_line_chars} characters"
                )
            return "intro"
        text = quoted or line
        line = _without_annotation(_without_markup(line))
        if not line:
            return "blank"
        match = _LINE_RE.fullmatch(line)
        header = None if match else _HEADER_RE.fullmatch(line.lstrip("#").strip())
        if header:
            self.current_week = int(header.group(1) or header.group(3))
            self.parsed.headers[self.current_week] = _header(header.group(2) or "")
            return "header"
        if line.startswith(("#", "//")):
            return "note"
        weekday: int | None = None
        if match:
            week_text, day_text, weekday_text, rest = match.groups()
            day = int(day_text)
            weekday = weekday_index(weekday_text)
        else:
            by_name = _WEEKDAY_LINE_RE.fullmatch(line)
            if not by_name:
                if self.current_week is not None:
                    return self._unreadable(lineno, text, "not a workout line")
                return "intro"
            week_text, weekday_text, rest = by_name.groups()
            weekday = weekday_index(weekday_text)
            day = (weekday - self.first_weekday) % 7 + 1 if weekday is not None else 0
        week = int(week_text) if week_text else self.current_week
        if week is None and self.weeks == 1:
            week = 1  # a one-week plan needs no week numbers
        if week is None:
            return self._unreadable(lineno, text, "no week number")
        if _REST_RE.fullmatch(rest or ""):
            self.parsed.rest_lines += 1
            return "rest"
        title, seconds, meters = split_fields(rest or "")
        kind = type_from_title(title, self.sport) if title else None
        if kind is None:
            return self._unreadable(lineno, text, "no session type recognized")
        self.parsed.lines.append(
            ParsedLine(
                lineno=lineno,
                text=quote(text),
                week=week,
                day=day,
                title=title[:200],
                type=kind,
                seconds=seconds,
                meters=meters,
                spec=read_title(title[:200], kind),
                weekday=weekday,
            )
        )
        return "workout"


def parse_draft(
    text: str,
    *,
    sport: str = "running",
    first_weekday: int = 0,
    weeks: int | None = None,
    max_line_chars: int = MAX_LINE_CHARS,
    deadline: Deadline = NO_DEADLINE,
) -> ParsedDraft:
    """Read a draft back. `first_weekday` is the weekday of day 1 (Monday = 0); `weeks`,
    when known, lets a one-week draft leave out week numbers.

    Text before the first week header is the intro and is skipped (its lines that name a
    week and day are read); after it, every non-blank line that is not a header, a note
    (`#`, `//`) or a rest line must be a workout line or it is reported as unreadable.
    """
    reader = DraftReader(sport, first_weekday, max_line_chars, weeks)
    read = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        read += len(raw) + 64  # a line costs its characters and a little more
        if read > _CHECK_EVERY:
            deadline.check()
            read = 0
        reader.read(lineno, raw)
    return reader.parsed
