"""Tables in a draft, as coaches paste them from spreadsheets or write them in Markdown.

Two shapes are read, with or without a header row:

    Week | Day | Session            | Minutes | Km        one row per workout
    1    | Tue | Intervals 6x800m   | 60      | 11

    Week   Mon        Tue               Wed ...           one row per week, a column per day
    1      Easy 40'   Intervals 6x800m  Rest

Cells are tab-separated, or `|`-separated on a line that starts with `|`. Each row becomes
draft lines in the canonical form (`W1 D2 Intervals 6x800m, 60 min, 11 km`), which the
line parser then reads like any other; a row it cannot place stays a line of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coach.plans.draft_fields import WEEKDAYS, single_spaced, weekday_index

_COLUMNS = {
    "week": ("week", "wk", "w", "week #", "week no"),
    "day": ("day", "d", "weekday", "day of week"),
    "session": ("session", "workout", "training", "description", "title", "activity"),
    "duration": ("duration", "time", "min", "mins", "minutes", "length"),
    "distance": ("distance", "dist", "km", "kms", "miles", "mi"),
}
_WEEK_CELL = re.compile(r"(?:w(?:ee)?k? ?)?(\d{1,2})", re.IGNORECASE)
_DAY_CELL = re.compile(r"d(?:ay)? ?(\d{1,2})", re.IGNORECASE)
_BOTH_CELL = re.compile(r"w(?:ee)?k? ?(\d{1,2})[ ,/.-]?d(?:ay)? ?(\d{1,2})", re.IGNORECASE)
_WEEKDAY_CELL = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?", re.IGNORECASE)
_NUMBER_CELL = re.compile(r"\d+(?:[.,]\d+)?")
_SEPARATOR_CHARS = frozenset(" :|+-")
_REST_CELL = re.compile(r"-|–|—|rest|off|rest day|day off", re.IGNORECASE)


def table_cells(raw: str, state: TableState) -> list[str] | None:
    """The cells of a table row, single-spaced; None when the line is no table row.

    A row has tabs, or starts with `|`, or has two `|` and is a header or follows one (a
    line `W1 D2 Tue | Easy run | 40 min` is a workout line with `|` separators).
    """
    stripped = raw.strip()
    if stripped.startswith("|"):
        cells = stripped.strip("|").split("|")
    elif "\t" in stripped:
        cells = stripped.split("\t")
    elif stripped.count("|") >= 2:
        cells = [single_spaced(cell) for cell in stripped.split("|")]
        if state.columns or state.days or _header(cells, TableState()):
            return cells
        return None
    else:
        return None
    return [single_spaced(cell) for cell in cells]


@dataclass
class TableState:
    """What the rows above said: the meaning of each column, or the weekday of each."""

    columns: dict[str, int] = field(default_factory=dict)
    days: dict[int, int] = field(default_factory=dict)  # column -> weekday (Monday = 0)
    distance_unit: str = "km"

    def clear(self) -> None:
        self.columns.clear()
        self.days.clear()
        self.distance_unit = "km"


def _header(cells: list[str], state: TableState) -> bool:
    """Read a header row into `state`; False when the row is data."""
    lowered = [cell.lower().strip(" :*#") for cell in cells]
    days = {i: weekday_index(cell) for i, cell in enumerate(lowered)}
    weekdays = {
        i: d for i, d in days.items() if d is not None and _WEEKDAY_CELL.fullmatch(cells[i])
    }
    if len(weekdays) >= 3:
        state.clear()
        state.days = weekdays
        week = next((i for i, cell in enumerate(lowered) if cell in _COLUMNS["week"]), None)
        if week is not None:
            state.columns["week"] = week
        return True
    columns = {}
    for i, cell in enumerate(lowered):
        for name, words in _COLUMNS.items():
            if cell in words and name not in columns:
                columns[name] = i
    if len(columns) >= 2 and "session" in columns or len(columns) >= 3:
        state.clear()
        state.columns = columns
        distance = columns.get("distance")
        if distance is not None and lowered[distance] in ("miles", "mi"):
            state.distance_unit = "mi"
        return True
    return False


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _week_of(text: str) -> int | None:
    match = _WEEK_CELL.fullmatch(text.strip(" :*"))
    return int(match.group(1)) if match else None


def _day_ref(text: str) -> str | None:
    """The day part of a canonical line ('D2' or a weekday name) for a day cell."""
    text = text.strip(" :*")
    if (match := _DAY_CELL.fullmatch(text)) or (match := _NUMBER_CELL.fullmatch(text)):
        return f"D{int(float(match.group(1) if match.lastindex else match.group(0)))}"
    if _WEEKDAY_CELL.fullmatch(text):
        index = weekday_index(text)
        return WEEKDAYS[index] if index is not None else None
    return None


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if _NUMBER_CELL.fullmatch(text) else text


def _by_columns(cells: list[str], state: TableState) -> list[str]:
    columns = state.columns
    week = _week_of(_cell(cells, columns.get("week")))
    day = _day_ref(_cell(cells, columns.get("day")))
    used = set(columns.values())
    session = _cell(cells, columns.get("session")) or " ".join(
        cell for i, cell in enumerate(cells) if i not in used and cell
    )
    if day is None or not session:
        return []
    fields = [session]
    if duration := _cell(cells, columns.get("duration")):
        fields.append(_with_unit(duration, "min"))
    if distance := _cell(cells, columns.get("distance")):
        fields.append(_with_unit(distance, state.distance_unit))
    head = f"W{week} {day}" if week is not None else day
    return [f"{head} {', '.join(fields)}"]


def _by_days(cells: list[str], state: TableState) -> list[str]:
    week_column = state.columns.get("week", 0)
    week = _week_of(_cell(cells, week_column))
    lines = []
    for column, weekday in sorted(state.days.items()):
        text = _cell(cells, column)
        if not text or _REST_CELL.fullmatch(text):
            continue
        head = f"W{week} {WEEKDAYS[weekday]}" if week is not None else WEEKDAYS[weekday]
        lines.append(f"{head} {text}")
    return lines


def _without_header(cells: list[str]) -> list[str]:
    """A row without a header: leading cells that name the week and day, then the session
    and its numbers."""
    cells = [cell for cell in cells if cell]
    head: list[str] = []
    numbers = 0
    while cells and len(head) < 2:
        first = cells[0].strip(" :*")
        if _BOTH_CELL.fullmatch(first) or _DAY_CELL.fullmatch(first):
            head.append(first)
        elif _WEEKDAY_CELL.fullmatch(first):
            head.append(first)
        elif re.fullmatch(r"w(?:ee)?k? ?\d{1,2}", first, re.IGNORECASE):
            head.append(first)
        elif re.fullmatch(r"\d{1,2}", first) and numbers < 2:
            numbers += 1
            head.append(first)
        else:
            break
        cells = cells[1:]
    if not cells:
        return []
    bare = [h for h in head if h.isdigit()]
    if bare:
        # Two bare numbers are week and day; one is the day (the week is the heading's).
        named = [h for h in head if not h.isdigit()]
        if len(bare) == 2:
            named = [f"W{bare[0]}", f"D{bare[1]}", *named]
        elif any(_WEEKDAY_CELL.fullmatch(h) or _DAY_CELL.fullmatch(h) for h in named):
            named = [f"W{bare[0]}", *named]
        else:
            named = [*named, f"D{bare[0]}"]
        head = named
    return [f"{' '.join(head)} {', '.join(cells)}".strip()]


def table_lines(cells: list[str], state: TableState) -> list[str] | None:
    """The canonical draft lines of one table row; None for a header or separator row."""
    joined = "|".join(cells)
    if "-" in joined and set(joined) <= _SEPARATOR_CHARS:  # |---|:--:|
        return None
    if _header(cells, state):
        return None
    if state.days:
        return _by_days(cells, state)
    if state.columns:
        return _by_columns(cells, state)
    return _without_header(cells)
