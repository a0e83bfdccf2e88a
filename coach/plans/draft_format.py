"""The draft text format: one line per workout, like a coach's notebook; write and parse it.

    Week 3 — build (focus: threshold work and volume) — 4h 10m, 42.5 km
    W3 D2 Tue  Intervals 6x800m @ 3:45/km, 60 min, 11.0 km

The parser is tolerant (case, spacing, separators, missing weekday, several duration and
distance spellings) and never drops a line silently: a line it cannot read comes back in
`ParsedDraft.unreadable` with its number and text. See docs/draft-format.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from coach.plans.models import Phase, WorkoutType
from coach.plans.phases import PHASES
from coach.plans.sports import RIDE_WORDS

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_PATTERN = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_LINE_RE = re.compile(
    rf"^\s*(?:w(?:ee)?k?\s*(\d+)\s*[,/.\-]?\s*)?d(?:ay)?\s*(\d+)\b\s*[,.:]?\s*"
    rf"(?:{_WEEKDAY_PATTERN}(?![a-z]))?\s*[:\-–—|]?\s*(.*)$",
    re.IGNORECASE,
)
_WEEKDAY_LINE_RE = re.compile(
    rf"^\s*(?:w(?:ee)?k?\s*(\d+)\s+)?{_WEEKDAY_PATTERN}(?![a-z])\s*[:\-–—|]?\s*(.*)$",
    re.IGNORECASE,
)
_HEADER_RE = re.compile(r"^\s*#{0,3}\s*week\s+(\d+)\b(.*)$", re.IGNORECASE)
_REST_RE = re.compile(r"^\s*(rest|off|day off|rest day|no training)\b[\s.!]*$", re.IGNORECASE)
_DURATION_RE = re.compile(
    r"^\s*(?:(\d+)\s*h(?:ours?|rs?)?\s*(?:(\d+)\s*(?:m|min|mins|minutes)?)?"
    r"|(\d+):(\d{2})(?::(\d{2}))?\s*(?:h|hrs?)?"
    r"|(\d+(?:[.,]\d+)?)\s*(?:min|mins|minutes|')"
    r"|(\d+)\s*(?:s|sec|secs|seconds))\s*$",
    re.IGNORECASE,
)
_DISTANCE_RE = re.compile(
    r"^\s*(\d+(?:[.,]\d+)?)\s*(km|k|kms|m|meters?|metres?|mi|miles?)\s*$", re.IGNORECASE
)
_MAIN_SET_RE = re.compile(
    r"(\d+)\s*[x×]\s*(\d+(?:[.,]\d+)?)\s*(km|m|min|mins|minutes|s|sec|secs|seconds|')(?![a-z])",
    re.IGNORECASE,
)
_PACE_RE = re.compile(r"@\s*(\d{1,2}):(\d{2})\s*(?:/\s*km|min/km)", re.IGNORECASE)
_TRAILING_RE = re.compile(
    r"^(.*\S)\s+(\d+(?:[.,]\d+)?\s*(?:km|k|mi|miles|m|min|mins|minutes|h|hrs?|')"
    r"|\d+\s*h\s*\d+\s*m?|\d+:\d{2}(?::\d{2})?\s*h?)\s*$",
    re.IGNORECASE,
)
_ANNOTATION_RE = re.compile(r"\s*\[[^\]]*\]\s*$")

# Title keywords, most specific first; the first match decides the workout type.
_SWIM = r"\b(swim\w*|pool|drills?)\b"
_KEYWORDS: tuple[tuple[str, dict[str, WorkoutType]], ...] = (
    (r"\brace\b|\bgran\s*fondo\b|\btime[\s-]*trial\b|\bparkrun\b", {"any": "race"}),
    (r"\bbrick\b", {"any": "brick"}),
    (r"\b(strength|gym|core)\b", {"any": "strength"}),
    (r"\b(technique|drills?)\b", {"swimming": "technique-swim"}),
    (
        r"\b(recovery|shake\s*-?out|regeneration)\b",
        {"running": "recovery-run", "cycling": "recovery-ride", "swimming": "technique-swim"},
    ),
    (r"\blong\b", {"running": "long-run", "cycling": "long-ride", "swimming": "endurance-swim"}),
    (r"\bsweet\s*-?spot\b|\bsst\b", {"any": "sweet-spot"}),
    (
        r"\bvo2\s*(max)?\b",
        {"running": "intervals", "cycling": "vo2max", "swimming": "swim-intervals"},
    ),
    (r"\bhills?\b|\bhill\s+repeats\b", {"any": "hills"}),
    (r"\bfartlek\b", {"any": "fartlek"}),
    (r"\bprogression\b", {"any": "progression"}),
    (r"\b(threshold|cruise|lt)\b", {"any": "threshold", "swimming": "swim-intervals"}),
    (r"\btempo\b", {"any": "tempo", "swimming": "swim-intervals"}),
    (
        r"\b(intervals?|track|repeats|reps|speed)\b|\d+\s*[x×]\s*\d",
        {"running": "intervals", "cycling": "vo2max", "swimming": "swim-intervals"},
    ),
    (
        r"\b(half[\s-]*)?marathon\b(?![\s-]*pace)|\b\d+\s*k\b(?![\s-]*pace)|\bironman\b",
        {"any": "race"},
    ),
    (
        r"\b(easy|aerobic|endurance|base|steady|jog|run|ride|swim|z2)\b",
        {"running": "easy-run", "cycling": "easy-ride", "swimming": "endurance-swim"},
    ),
)


@dataclass(frozen=True)
class MainSet:
    """A main set the coach wrote into a title ("6x800m @ 3:45/km", "5x3 min")."""

    reps: int
    rep_seconds: int | None = None
    rep_meters: int | None = None
    pace: int | None = None  # s/km for the reps, if written


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
    text: str
    week: int
    day: int
    title: str
    type: WorkoutType
    seconds: int | None
    meters: int | None
    main_set: MainSet | None
    weekday: int | None  # 0 = Monday, when the line names one


@dataclass(frozen=True)
class WeekHeader:
    phase: Phase | None
    focus: str | None


@dataclass(frozen=True)
class Unreadable:
    lineno: int
    text: str
    reason: str


@dataclass
class ParsedDraft:
    lines: list[ParsedLine] = field(default_factory=list)
    headers: dict[int, WeekHeader] = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)
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


def parse_duration(text: str) -> int | None:
    """Seconds from '60 min', '1h 30m', '1:30:00', '90'', '45s'; None if not a duration."""
    match = _DURATION_RE.match(text)
    if not match:
        return None
    hours, mins, hh, mm, ss, plain, secs = match.groups()
    if hours is not None:
        return int(hours) * 3600 + int(mins or 0) * 60
    if hh is not None:
        # "1:30" is h:mm; "1:30:00" is h:mm:ss.
        return int(hh) * 3600 + int(mm) * 60 + int(ss or 0)
    if plain is not None:
        return round(float(plain.replace(",", ".")) * 60)
    return int(secs)


def parse_distance(text: str) -> int | None:
    """Meters from '11.0 km', '11,5 km', '800 m', '6 mi'; None if not a distance."""
    match = _DISTANCE_RE.match(text)
    if not match:
        return None
    value = float(match.group(1).replace(",", "."))
    unit = match.group(2).lower()
    if unit in ("km", "k", "kms"):
        return round(value * 1000)
    if unit.startswith("mi"):
        return round(value * 1609.344)
    return round(value)


@lru_cache(maxsize=4096)
def parse_main_set(title: str) -> MainSet | None:
    match = _MAIN_SET_RE.search(title)
    if not match:
        return None
    reps = int(match.group(1))
    size = float(match.group(2).replace(",", "."))
    unit = match.group(3).lower()
    pace_match = _PACE_RE.search(title)
    pace = int(pace_match.group(1)) * 60 + int(pace_match.group(2)) if pace_match else None
    if reps < 1 or reps > 100 or size <= 0:
        return None
    if unit == "km":
        return MainSet(reps, rep_meters=round(size * 1000), pace=pace)
    if unit == "m":
        return MainSet(reps, rep_meters=round(size), pace=pace)
    if unit.startswith("s"):
        return MainSet(reps, rep_seconds=round(size), pace=pace)
    return MainSet(reps, rep_seconds=round(size * 60), pace=pace)


_SWIM_RE = re.compile(_SWIM)
_RUN_RE = re.compile(r"\b(run|jog|track)\b")
_KEYWORD_RES = tuple((re.compile(pattern), by_sport) for pattern, by_sport in _KEYWORDS)


@lru_cache(maxsize=4096)
def type_from_title(title: str, sport: str) -> WorkoutType | None:
    """The workout type a title names, for the plan's sport; None if it names none."""
    text = title.lower()
    if RIDE_WORDS.search(text):
        context = "cycling"
    elif _SWIM_RE.search(text):
        context = "swimming"
    elif _RUN_RE.search(text):
        context = "running"
    else:
        context = "running" if sport == "triathlon" else sport
    for pattern, by_sport in _KEYWORD_RES:
        if pattern.search(text):
            found = by_sport.get(context) or by_sport.get("any")
            if found:
                return found
    return None


def _split_fields(rest: str) -> tuple[str, int | None, int | None]:
    """Title, seconds, meters: trailing fields that are pure durations or distances."""
    parts = [p for p in re.split(r"\s*[,·|;]\s*|\s+[–—]\s+", rest)]
    seconds: int | None = None
    meters: int | None = None
    while len(parts) > 1:
        last = parts[-1]
        if not last:
            parts.pop()
        elif seconds is None and (value := parse_duration(last)) is not None:
            seconds = value
            parts.pop()
        elif meters is None and (value := parse_distance(last)) is not None:
            meters = value
            parts.pop()
        else:
            break
    title = ", ".join(p for p in parts if p).strip()
    # Without separators ("long run 12 km", "easy jog 1h") the numbers end the title.
    for _ in range(2):
        tail = _TRAILING_RE.match(title)
        if not tail:
            break
        if meters is None and (value := parse_distance(tail.group(2))) is not None:
            meters = value
        elif seconds is None and (value := parse_duration(tail.group(2))) is not None:
            seconds = value
        else:
            break
        title = tail.group(1).strip()
    return title, seconds, meters


def _weekday_index(token: str | None) -> int | None:
    if not token:
        return None
    return next(i for i, name in enumerate(WEEKDAYS) if name.lower() == token[:3].lower())


def parse_draft(text: str, *, sport: str = "running", first_weekday: int = 0) -> ParsedDraft:
    """Read a draft back. `first_weekday` is the weekday of day 1 (Monday = 0).

    Text before the first week header is the intro and is skipped; after it, every
    non-blank line that is not a header, a `#` note or a rest line must be a workout line
    or it is reported as unreadable.
    """
    parsed = ParsedDraft()
    current_week: int | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "//")) and not _HEADER_RE.match(line):
            continue
        header = None if _LINE_RE.match(line) else _HEADER_RE.match(line)
        if header:
            current_week = int(header.group(1))
            rest = header.group(2).lower()
            phase = next((p for p in PHASES if re.search(rf"\b{p}\b", rest.split("(")[0])), None)
            focus = re.search(r"\(focus:\s*([^)]*)\)", header.group(2), re.IGNORECASE)
            parsed.headers[current_week] = WeekHeader(phase, focus.group(1) if focus else None)
            continue
        line = _ANNOTATION_RE.sub("", line)
        match = _LINE_RE.match(line)
        weekday: int | None = None
        if match:
            week_text, day_text, weekday_text, rest = match.groups()
            day = int(day_text)
            weekday = _weekday_index(weekday_text)
        else:
            by_name = _WEEKDAY_LINE_RE.match(line)
            if not by_name:
                if current_week is not None:
                    parsed.unreadable.append(Unreadable(lineno, raw, "not a workout line"))
                continue
            week_text, weekday_text, rest = by_name.groups()
            weekday = _weekday_index(weekday_text)
            day = (weekday - first_weekday) % 7 + 1 if weekday is not None else 0
        week = int(week_text) if week_text else current_week
        if week is None:
            parsed.unreadable.append(Unreadable(lineno, raw, "no week number"))
            continue
        if _REST_RE.match(rest or ""):
            parsed.rest_lines += 1
            continue
        title, seconds, meters = _split_fields(rest or "")
        kind = type_from_title(title, sport) if title else None
        if kind is None:
            parsed.unreadable.append(Unreadable(lineno, raw, "no session type recognized"))
            continue
        parsed.lines.append(
            ParsedLine(
                lineno=lineno,
                text=raw,
                week=week,
                day=day,
                title=title,
                type=kind,
                seconds=seconds,
                meters=meters,
                main_set=parse_main_set(title),
                weekday=weekday,
            )
        )
    return parsed
