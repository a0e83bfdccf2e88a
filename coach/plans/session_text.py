"""What a session title says: its workout type, its main set and the effort of the work.

    Intervals 6x800m @ 3:45/km         6 reps of 800 m at 3:45/km
    Tempo 20 min @ Z3                  one 20-minute block at zone 3
    Progression run, last 7 min @ Z3   the closing 7 minutes at zone 3
    Hill repeats 8x75 s @ 173-180 bpm  8 reps of 75 s at 173-180 bpm

Every pattern here runs in linear time: the text is single-spaced (coach.plans.draft_fields
collapses whitespace first), no pattern has adjacent unbounded quantifiers over the same
characters, and the patterns that start with a number only start where a number starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from coach.plans.models import Sport, Target, WorkoutType
from coach.plans.sports import RIDE_WORDS, Discipline, sport_of

EffortKind = Literal["zone", "pace", "heart_rate", "power", "rpe"]

# Title keywords, most specific first; the first match decides the workout type.
_SWIM = r"\b(swim\w*|pool|drills?)\b"
_KEYWORDS: tuple[tuple[str, dict[str, WorkoutType]], ...] = (
    (r"\brace\b|\bgran ?fondo\b|\btime[ -]?trial\b|\bparkrun\b", {"any": "race"}),
    (r"\bbrick\b", {"any": "brick"}),
    (r"\b(strength|gym|core)\b", {"any": "strength"}),
    (r"\b(technique|drills?)\b", {"swimming": "technique-swim"}),
    (
        r"\b(recovery|shake ?-?out|regeneration)\b",
        {"running": "recovery-run", "cycling": "recovery-ride", "swimming": "technique-swim"},
    ),
    (r"\blong\b", {"running": "long-run", "cycling": "long-ride", "swimming": "endurance-swim"}),
    (r"\bsweet ?-?spot\b|\bsst\b", {"any": "sweet-spot"}),
    (
        r"\bvo2 ?(max)?\b",
        {"running": "intervals", "cycling": "vo2max", "swimming": "swim-intervals"},
    ),
    (r"\bhills?\b", {"any": "hills"}),
    (r"\bfartlek\b", {"any": "fartlek"}),
    (r"\bprogression\b", {"any": "progression"}),
    (r"\b(threshold|cruise|lt)\b", {"any": "threshold", "swimming": "swim-intervals"}),
    (r"\btempo\b", {"any": "tempo", "swimming": "swim-intervals"}),
    (
        r"\b(intervals?|track|repeats|reps|speed)\b|(?<!\d)\d+ ?[x×] ?\d",
        {"running": "intervals", "cycling": "vo2max", "swimming": "swim-intervals"},
    ),
    (
        r"\b(half[ -]?)?marathon\b(?![ -]*pace)|(?<!\d)\d+ ?k\b(?![ -]*pace)|\bironman\b",
        {"any": "race"},
    ),
    (
        r"\b(easy|aerobic|endurance|base|steady|jog|run|ride|swim|z2)\b",
        {"running": "easy-run", "cycling": "easy-ride", "swimming": "endurance-swim"},
    ),
)
_SWIM_RE = re.compile(_SWIM)
_RUN_RE = re.compile(r"\b(run|jog|track)\b")
_KEYWORD_RES = tuple((re.compile(pattern), by_sport) for pattern, by_sport in _KEYWORDS)

_NUMBER = r"(\d{1,5}(?:[.,]\d{1,3})?)"
_TIME_UNITS = ("min", "mins", "minutes", "'", "s", "sec", "secs", "seconds")
_UNIT = r"(km|k|kms|m|meters?|metres?|mi|miles?|min|mins|minutes|'|s|sec|secs|seconds)"
_REPS_RE = re.compile(rf"(?<![\d.,])(\d{{1,3}}) ?[x×] ?{_NUMBER} ?{_UNIT}(?![a-z])")
_LAST_RE = re.compile(rf"\blast {_NUMBER} ?{_UNIT}(?![a-z])")
_BLOCK_RE = re.compile(rf"(?<![\d.,:x×]){_NUMBER} ?{_UNIT}(?![a-z:])")
_EFFORT_RE = re.compile(
    r"(?:"
    r"(?:z|zone) ?(?P<zone>[1-7])(?!\d)"
    r"|(?P<pm>\d{1,2}):(?P<ps>\d{2}) ?(?:min)? ?/ ?(?P<per>km|100 ?m|mi)"
    r"|rpe ?(?P<r1>\d{1,2})(?: ?[-–] ?(?P<r2>\d{1,2}))?(?!\d)"
    r"|(?P<b1>\d{2,3})(?: ?[-–] ?(?P<b2>\d{2,3}))? ?bpm"
    r"|(?P<w1>\d{2,4})(?: ?[-–] ?(?P<w2>\d{2,4}))? ?w(?![a-z])"
    r")"
)
# Types whose title may hold one block ("Tempo 20 min", "Threshold 2 km").
BLOCK_TYPES = frozenset({"tempo", "threshold", "sweet-spot"})
# Types whose work comes in repeats ("6x800m", "Tempo 2x15 min").
REPEAT_TYPES = frozenset(
    {
        "intervals",
        "hills",
        "fartlek",
        "vo2max",
        "swim-intervals",
        "threshold",
        "sweet-spot",
        "tempo",
    }
)
# Types whose title may name a closing block ("last 10 min @ Z3").
LAST_TYPES = frozenset(
    {
        "progression",
        "easy-run",
        "long-run",
        "easy-ride",
        "long-ride",
        "endurance-swim",
    }
)
_RANGES: tuple[tuple[EffortKind, str, str], ...] = (
    ("rpe", "r1", "r2"),
    ("heart_rate", "b1", "b2"),
    ("power", "w1", "w2"),
)


def format_pace(seconds_per_km: float) -> str:
    total = round(seconds_per_km)
    return f"{total // 60}:{total % 60:02d}/km"


def format_clock(seconds: float) -> str:
    """A step's length as titles write it: '3 min', '75 s', '1.5 min' never."""
    if seconds % 60 == 0 or seconds >= 600:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds)} s"


def format_meters(meters: float) -> str:
    return f"{meters:g}m"


@dataclass(frozen=True)
class Effort:
    """What the coach wrote after '@': a zone, a pace (s/km) or a range of bpm, W or RPE."""

    kind: EffortKind
    low: float
    high: float

    def text(self) -> str:
        if self.kind == "zone":
            return f"Z{self.low:g}"
        if self.kind == "pace":
            return format_pace(self.low)
        span = f"{self.low:g}" if self.low == self.high else f"{self.low:g}-{self.high:g}"
        if self.kind == "rpe":
            return f"RPE {span}"
        return f"{span} {'bpm' if self.kind == 'heart_rate' else 'W'}"

    @property
    def zone(self) -> int | None:
        return int(self.low) if self.kind == "zone" else None

    @property
    def pace(self) -> float | None:
        return self.low if self.kind == "pace" else None

    def held_by(self, target: Target | None) -> bool:
        """Does `target` keep this effort? A zone is kept by any target of that zone."""
        if target is None:
            return False
        if self.kind == "zone":
            return target.zone == self.low
        if target.type != self.kind or target.low is None or target.high is None:
            return False
        if self.kind == "pace":
            return abs((target.low + target.high) / 2 - self.low) <= 0.5
        return abs(target.low - self.low) <= 0.5 and abs(target.high - self.high) <= 0.5


def effort_of(target: Target | None) -> Effort | None:
    """The effort a target shows, as a title writes it (`describe_target`)."""
    if target is None:
        return None
    if target.low is None or target.high is None:
        return Effort("zone", target.zone, target.zone) if target.zone else None
    if target.type == "pace":
        mid = (target.low + target.high) / 2
        return Effort("pace", mid, mid)
    if target.type in ("heart_rate", "power", "rpe"):
        return Effort(target.type, target.low, target.high)
    return None


def describe_target(target: Target | None) -> str:
    """Short text for a target, as a coach writes it: '3:45/km', '160-168 bpm', 'Z4'."""
    if target is None:
        return "easy"
    effort = effort_of(target)
    if effort is not None:
        return effort.text()
    if target.low is not None and target.high is not None:
        unit = " m/s" if target.type == "speed" else f" {target.type}"
        return f"{target.low:g}-{target.high:g}{unit}"
    return target.type


def read_effort(text: str) -> Effort | None:
    """The effort after the first '@' (or ' at ') of a lower-case title, if it names one."""
    at = text.find("@")
    start = at + 1 if at >= 0 else -1
    if start < 0:
        found = text.find(" at ")
        start = found + 4 if found >= 0 else -1
    if start < 0:
        return None
    if start < len(text) and text[start] == " ":
        start += 1
    match = _EFFORT_RE.match(text, start)
    if not match:
        return None
    groups = match.groupdict()
    if groups["zone"]:
        zone = int(groups["zone"])
        return Effort("zone", zone, zone)
    if groups["pm"]:
        pace = int(groups["pm"]) * 60 + int(groups["ps"])
        per = groups["per"].replace(" ", "")
        if per == "100m":
            pace *= 10
        elif per == "mi":
            pace = round(pace / 1.609344)
        return Effort("pace", pace, pace) if pace > 0 else None
    for kind, first, second in _RANGES:
        if groups[first]:
            low = float(groups[first])
            high = float(groups[second]) if groups[second] else low
            return Effort(kind, low, high) if high >= low else None
    return None


@dataclass(frozen=True)
class MainSet:
    """The main set a title names: `reps` of one rep (a time or a distance), or the
    closing block of a progression (`last`)."""

    reps: int
    rep_seconds: int | None = None
    rep_meters: int | None = None
    last: bool = False

    def rep_text(self) -> str:
        if self.rep_meters is not None:
            return format_meters(self.rep_meters)
        return format_clock(self.rep_seconds or 0)

    def text(self) -> str:
        if self.last:
            return f"last {self.rep_text()}"
        return f"{self.reps}x{self.rep_text()}" if self.reps > 1 else self.rep_text()


@dataclass(frozen=True)
class TitleSpec:
    """What the title fixes beyond the type: the main set and the effort of its work (or,
    without a main set, of the session's main block)."""

    main: MainSet | None = None
    effort: Effort | None = None

    @property
    def pace(self) -> float | None:
        return self.effort.pace if self.effort else None


def _rep(size_text: str, unit: str) -> tuple[int | None, int | None]:
    """(seconds, meters) of one rep; (None, None) when it is neither."""
    size = float(size_text.replace(",", "."))
    if size <= 0:
        return None, None
    if unit in _TIME_UNITS:
        return (round(size), None) if unit.startswith("s") else (round(size * 60), None)
    if unit in ("km", "k", "kms"):
        return None, round(size * 1000)
    if unit.startswith("mi") and unit not in ("min", "mins", "minutes"):
        return None, round(size * 1609.344)
    return None, round(size)


Span = tuple[int, int]


def _main_set(text: str, kind: WorkoutType | None) -> tuple[MainSet | None, Span | None]:
    """The main set and where the title names it."""
    reps = _REPS_RE.search(text) if kind in REPEAT_TYPES else None
    if reps:
        count = int(reps.group(1))
        seconds, meters = _rep(reps.group(2), reps.group(3))
        if 1 <= count <= 100 and (seconds or meters):
            return MainSet(count, seconds, meters), reps.span()
        return None, None
    last = _LAST_RE.search(text) if kind in LAST_TYPES else None
    if last:
        seconds, meters = _rep(last.group(1), last.group(2))
        if seconds or meters:
            return MainSet(1, seconds, meters, last=True), last.span()
    if kind in BLOCK_TYPES:
        block = _BLOCK_RE.search(text)
        if block:
            seconds, meters = _rep(block.group(1), block.group(2))
            if seconds or meters:
                return MainSet(1, seconds, meters), block.span()
    return None, None


def unread_numbers(title: str, kind: WorkoutType) -> list[str]:
    """Times and distances in a title that shape nothing: not its main set or effort (an
    easy run's "20 min", a fartlek's "20 min" without reps). A race's distance is read
    from its words elsewhere ("10k race")."""
    if kind == "race":
        return []
    text = " ".join(title.lower().split())
    _main, span = _main_set(text, kind)
    if span is not None:
        text = text[: span[0]] + " " + text[span[1] :]
    at = text.find("@")
    if at >= 0 and read_effort(text[at:]) is not None:
        text = text[:at]
    return [match.group(0) for match in _BLOCK_RE.finditer(text)]


@lru_cache(maxsize=4096)
def read_title(title: str, kind: WorkoutType | None) -> TitleSpec:
    """The main set and effort a title of type `kind` names (see the module docstring).

    Numbers a type does not use stay words of the title: an easy run's "20 min" is not a
    main set, a long run's "last 20 min @ Z3" is its closing block.
    """
    text = " ".join(title.lower().split())
    return TitleSpec(main=_main_set(text, kind)[0], effort=read_effort(text))


def discipline_of(title: str, kind: str, plan_sport: Sport) -> Discipline:
    """The sport of a session: the one its title's words name ("Threshold ride" in a
    triathlon plan is a ride), else its type's, else the plan's."""
    text = title.lower()
    if RIDE_WORDS.search(text):
        return "cycling"
    if _SWIM_RE.search(text):
        return "swimming"
    if _RUN_RE.search(text):
        return "running"
    return sport_of(kind, plan_sport)


@lru_cache(maxsize=4096)
def type_from_title(title: str, sport: str) -> WorkoutType | None:
    """The workout type a title names, for the plan's sport; None if it names none."""
    text = " ".join(title.lower().split())
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
