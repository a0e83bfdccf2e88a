"""Reads the coach's free-text instructions: days per week, days off, a race, quality asks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.plans.models import WorkoutType

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_RE = re.compile(
    r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|rsday)?s?\b"
)
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "once": 1,
    "twice": 2,
}
_NUM = r"(\d|one|two|three|four|five|six|seven)"
_PER_WEEK = r"(?:per|a|each|every|/)\s*week|weekly|/\s*wk"
_DAYS_RE = re.compile(
    rf"{_NUM}\s*(?:training\s+|running\s+|run\s+|riding\s+|bike\s+)?"
    rf"(?:days?|runs?|rides?|sessions?|workouts?|times|x)\s*(?:{_PER_WEEK})"
)
_QUALITY_WORDS: dict[str, WorkoutType | None] = {
    "track": "intervals",
    "interval": "intervals",
    "speed": "intervals",
    "vo2": "intervals",
    "vo2max": "intervals",
    "tempo": "tempo",
    "threshold": "threshold",
    "hill": "hills",
    "fartlek": "fartlek",
    "quality": None,
    "hard": None,
    "workout": None,
}
_QUALITY_RE = re.compile(
    rf"{_NUM}\s+(track|interval|speed|vo2|vo2max|tempo|threshold|hill|fartlek|quality|hard)"
    rf"\s*(?:sessions?|workouts?|runs?|days?|repeats?)?\s*(?:{_PER_WEEK})"
)
_OFF_CUES = re.compile(r"\b(no|not|never|rest|off|can't|cannot|can not|unavailable|busy|free)\b")
_AVAILABLE_CUES = re.compile(r"\b(only|available)\b")
_LONG_CUE = re.compile(r"\blong\s+(?:run|ride)")
# Race keywords, longest first so "half marathon" is not read as "marathon".
_RACES: tuple[tuple[str, str, int | None], ...] = (
    (r"\bhalf[\s-]*marathon\b", "half marathon", 21098),
    (r"\bmarathon\b(?![\s-]*pace)", "marathon", 42195),
    (r"\b(?:50\s*k|ultra(?:marathon)?)\b", "ultra", 50000),
    (r"\b(?:10\s*k|10\s*km)\b(?![\s-]*pace)", "10k", 10000),
    (r"\b(?:5\s*k|5\s*km|parkrun)\b(?![\s-]*pace)", "5k", 5000),
    (r"\b(?:half[\s-]*ironman|70\.3)\b", "half ironman", None),
    (r"\bironman\b", "ironman", None),
    (r"\bolympic\b", "olympic triathlon", None),
    (r"\bsprint\s+(?:tri|triathlon)\b", "sprint triathlon", None),
    (r"\bgran\s*fondo\b", "gran fondo", None),
    (r"\btime[\s-]*trial\b", "time trial", None),
    (r"\b(?:race|competition|event)\b", "race", None),
)


@dataclass(frozen=True)
class RaceGoal:
    """A goal event on the plan's last day; distance in meters when the name implies one."""

    name: str
    distance_m: int | None


@dataclass(frozen=True)
class Instructions:
    days_per_week: int | None = None
    days_off: frozenset[int] = frozenset()  # weekdays, Monday = 0
    available_days: frozenset[int] = frozenset()  # when the coach lists the only days
    long_day: int | None = None  # preferred weekday for the long session
    race: RaceGoal | None = None
    quality_per_week: int | None = None  # explicit count of hard sessions asked for
    quality_type: WorkoutType | None = None  # the type of the asked sessions, if named
    no_taper: bool = False


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBERS[token]


def _weekdays(text: str) -> list[int]:
    found: list[int] = []
    for match in _WEEKDAY_RE.finditer(text):
        stem = match.group(1)[:3]
        day = next(i for i, name in enumerate(WEEKDAY_NAMES) if name.startswith(stem))
        if day not in found:
            found.append(day)
    return found


def _read_days(text: str) -> tuple[set[int], set[int], int | None]:
    """Days off, available-only days and the long-run day, clause by clause."""
    off: set[int] = set()
    available: set[int] = set()
    long_day: int | None = None
    for sentence in re.split(r"[.;\n]", text):
        meaning: str | None = None
        for fragment in re.split(r",|\bbut\b", sentence):
            days = _weekdays(fragment)
            rest = _WEEKDAY_RE.sub("", fragment)
            rest = re.sub(r"\b(and|or|on|&)\b", "", rest).strip(" -:/")
            # A bare list of weekdays after a comma continues the previous fragment's meaning.
            if rest:
                if _LONG_CUE.search(fragment):
                    meaning = "long"
                elif _OFF_CUES.search(fragment):
                    meaning = "off"
                elif _AVAILABLE_CUES.search(fragment):
                    meaning = "available"
                else:
                    meaning = None
            if not days or meaning is None:
                continue
            if meaning == "off":
                off.update(days)
            elif meaning == "available":
                available.update(days)
            elif long_day is None:
                long_day = days[0]
    return off, available, long_day


def _read_race(text: str) -> RaceGoal | None:
    for pattern, name, distance in _RACES:
        if re.search(pattern, text):
            if name == "race":
                # "race" alone may name its distance nearby ("a 15 km race").
                km = re.search(r"(\d+(?:\.\d+)?)\s*(?:km|k)\b\s*race", text)
                if km:
                    return RaceGoal(f"{km.group(1)} km race", int(float(km.group(1)) * 1000))
            return RaceGoal(name, distance)
    return None


def parse_instructions(text: str | None) -> Instructions:
    """Read what this engine understands; anything else in the text is left alone."""
    if not text or not text.strip():
        return Instructions()
    lowered = " ".join(text.lower().split())
    quality = _QUALITY_RE.search(lowered)
    quality_per_week = _number(quality.group(1)) if quality else None
    quality_type = _QUALITY_WORDS.get(quality.group(2)) if quality else None
    # The quality ask must not be read as a days-per-week count.
    days_text = lowered[: quality.start()] + lowered[quality.end() :] if quality else lowered
    days = _DAYS_RE.search(days_text)
    days_per_week = min(7, max(1, _number(days.group(1)))) if days else None
    off, available, long_day = _read_days(lowered)
    if len(off) >= 7:
        off = set()
    return Instructions(
        days_per_week=days_per_week,
        days_off=frozenset(off),
        available_days=frozenset(available - off),
        long_day=long_day,
        race=_read_race(lowered),
        quality_per_week=quality_per_week,
        quality_type=quality_type,
        no_taper=bool(re.search(r"\bno\s+taper\b", lowered)),
    )
