"""The fields of one draft line: durations, distances, weekdays, and the split of a line's
text into its title and trailing numbers.

Every function here takes text whose whitespace `single_spaced` has collapsed, and runs in
time linear in its length: the patterns are anchored or start only where a number starts,
and none has adjacent unbounded quantifiers over the same characters.
"""

from __future__ import annotations

import re

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Numbers have bounded digits: no plan has a 10,000-hour session, and a number of a
# thousand digits is an attack, not a distance.
_DURATION_RE = re.compile(
    r"(?:(\d{1,2}) ?h(?:ours?|rs?)? ?(?:(\d{1,3}) ?(?:m|min|mins|minutes)?)?"
    r"|(\d{1,2}):(\d{2})(?::(\d{2}))? ?(?:h|hrs?)?"
    r"|(\d{1,4}(?:[.,]\d{1,2})?) ?(?:min|mins|minutes|')"
    r"|(\d{1,5}) ?(?:s|sec|secs|seconds))",
    re.IGNORECASE,
)
_DISTANCE_RE = re.compile(
    r"(\d{1,6}(?:[.,]\d{1,3})?) ?(km|k|kms|m|meters?|metres?|mi|miles?)", re.IGNORECASE
)
# Field separators: , · | ; and a dash with spaces round it. A title's "6-8" and a decimal
# comma ("11,5 km") stay whole.
_SEPARATORS = re.compile(r" ?(?:(?<!\d),|,(?!\d)|[·|;]) ?| [–—-] ")
# A trailing number is at most this many words: "1 h 30 min".
_TAIL_WORDS = 4


def single_spaced(text: str) -> str:
    """The text with every run of whitespace (tabs, no-break spaces...) one space."""
    return " ".join(text.split())


def parse_duration(text: str) -> int | None:
    """Seconds from '60 min', '1h 30m', '1:30:00', "90'", '45s'; None if not a duration."""
    match = _DURATION_RE.fullmatch(single_spaced(text))
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
    match = _DISTANCE_RE.fullmatch(single_spaced(text))
    if not match:
        return None
    value = float(match.group(1).replace(",", "."))
    unit = match.group(2).lower()
    if unit in ("km", "k", "kms"):
        return round(value * 1000)
    if unit.startswith("mi"):
        return round(value * 1609.344)
    return round(value)


def weekday_index(token: str | None) -> int | None:
    """0 for 'Mon', 'monday', 'Mon.'; None for anything else."""
    if not token:
        return None
    head = token[:3].lower()
    return next((i for i, name in enumerate(WEEKDAYS) if name.lower() == head), None)


def _number(text: str) -> tuple[int | None, int | None]:
    """(seconds, meters) when `text` is exactly a duration or a distance."""
    seconds = parse_duration(text)
    if seconds is not None:
        return seconds, None
    return None, parse_distance(text)


def split_fields(rest: str) -> tuple[str, int | None, int | None]:
    """Title, seconds, meters: the trailing fields that are a duration or a distance.

    `Tempo 20 min @ Z3, 45 min, 9 km` has separators; without them (`long run 14 km`,
    `easy jog 1h`) the numbers end the title.
    """
    parts = _SEPARATORS.split(rest)
    seconds: int | None = None
    meters: int | None = None
    while len(parts) > 1:
        last = parts[-1].strip()
        found_s, found_m = _number(last) if last else (None, None)
        if not last:
            parts.pop()
        elif seconds is None and found_s is not None:
            seconds = found_s
            parts.pop()
        elif meters is None and found_m is not None:
            meters = found_m
            parts.pop()
        else:
            break
    title = ", ".join(p.strip() for p in parts if p.strip())
    for _ in range(2):
        words = title.split(" ")
        for count in range(min(_TAIL_WORDS, len(words) - 1), 0, -1):
            found_s, found_m = _number(" ".join(words[-count:]))
            if seconds is None and found_s is not None:
                seconds = found_s
            elif meters is None and found_m is not None:
                meters = found_m
            else:
                continue
            title = " ".join(words[:-count]).rstrip(" ,;:-")
            break
        else:
            break
    return title, seconds, meters
