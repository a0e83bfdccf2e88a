"""Training intensities per sport: the pace each one implies and the Target a step carries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from coach.plans.models import Target, TargetType
from coach.plans.requests import AthleteThresholds
from coach.plans.session_text import Effort, describe_target

__all__ = [
    "ZONE",
    "Intensities",
    "describe_target",
    "intensities_for",
    "key_for_zone",
    "target_for",
]

# Intensity keys, easiest first. Zones follow the common 5(+1)-zone model.
ZONE = {
    "recovery": 1,
    "easy": 2,
    "steady": 3,
    "tempo": 3,
    "sweetspot": 3,
    "threshold": 4,
    "vo2": 5,
    "anaerobic": 6,
}

# The intensity a coach means by a zone ("@ Z4").
_ZONE_KEY = {1: "recovery", 2: "easy", 3: "tempo", 4: "threshold", 5: "vo2", 6: "anaerobic"}


def key_for_zone(zone: int) -> str:
    return _ZONE_KEY.get(zone, "anaerobic")


# Running pace as a multiple of threshold pace (s/km): Daniels/Friel-style offsets.
_RUN_PACE = {
    "recovery": 1.30,
    "easy": 1.22,
    "steady": 1.10,
    "tempo": 1.05,
    "sweetspot": 1.05,
    "threshold": 1.00,
    "vo2": 0.94,
    "anaerobic": 0.90,
}
_PACE_HALF_WIDTH = {
    "recovery": 10,
    "easy": 10,
    "steady": 6,
    "tempo": 5,
    "sweetspot": 5,
    "threshold": 4,
    "vo2": 4,
    "anaerobic": 4,
}
# Without a measured threshold pace, distances come from a typical one for the level.
NOMINAL_THRESHOLD_PACE = {"beginner": 375, "intermediate": 315, "advanced": 260}
_RIDE_SPEED_KMH = {"beginner": 24.0, "intermediate": 28.0, "advanced": 32.0}
_RIDE_FACTOR = {
    "recovery": 0.85,
    "easy": 1.0,
    "steady": 1.05,
    "tempo": 1.08,
    "sweetspot": 1.1,
    "threshold": 1.12,
    "vo2": 1.12,
    "anaerobic": 1.1,
}
_SWIM_PACE = {"beginner": 1500, "intermediate": 1200, "advanced": 1000}
_SWIM_FACTOR = {
    "recovery": 1.15,
    "easy": 1.08,
    "steady": 1.03,
    "tempo": 1.0,
    "sweetspot": 1.0,
    "threshold": 0.97,
    "vo2": 0.93,
    "anaerobic": 0.9,
}
# Heart rate as a share of lactate-threshold HR (Friel) or of max HR, per zone.
_LTHR = {
    1: (0.70, 0.84),
    2: (0.85, 0.89),
    3: (0.90, 0.94),
    4: (0.95, 0.99),
    5: (1.00, 1.04),
    6: (1.02, 1.06),
}
_MAXHR = {
    1: (0.60, 0.70),
    2: (0.70, 0.78),
    3: (0.79, 0.85),
    4: (0.86, 0.91),
    5: (0.92, 0.97),
    6: (0.94, 1.00),
}
# Power as a share of FTP (Coggan), per key.
_FTP = {
    "recovery": (0.45, 0.55),
    "easy": (0.56, 0.75),
    "steady": (0.76, 0.85),
    "tempo": (0.80, 0.87),
    "sweetspot": (0.88, 0.94),
    "threshold": (0.95, 1.05),
    "vo2": (1.06, 1.20),
    "anaerobic": (1.21, 1.50),
}
_RPE: dict[str, tuple[float, float]] = {
    "recovery": (2, 3),
    "easy": (3, 4),
    "steady": (5, 6),
    "tempo": (6, 7),
    "sweetspot": (6, 7),
    "threshold": (7, 8),
    "vo2": (8, 9),
    "anaerobic": (9, 10),
}


@dataclass(frozen=True)
class Intensities:
    """How hard each key is for one athlete in one sport, in the units the athlete has."""

    sport: str  # running, cycling or swimming
    level: str
    threshold_pace: int | None  # s/km, measured (running only)
    lthr: int | None
    max_hr: int | None
    ftp: int | None

    @property
    def pace_targets(self) -> bool:
        return self.sport == "running" and self.threshold_pace is not None

    def pace(self, key: str) -> int:
        """Seconds per km at this key: the pace target's midpoint, or a nominal pace."""
        if self.sport == "running":
            base = self.threshold_pace or NOMINAL_THRESHOLD_PACE[self.level]
            return round(base * _RUN_PACE[key])
        if self.sport == "cycling":
            return round(3600 / (_RIDE_SPEED_KMH[self.level] * _RIDE_FACTOR[key]))
        return round(_SWIM_PACE[self.level] * _SWIM_FACTOR[key])

    def _heart_rate(self, key: str) -> Target | None:
        zone = ZONE[key]
        if self.lthr:
            low, high = _LTHR[zone]
            ref = self.lthr
        elif self.max_hr:
            low, high = _MAXHR[zone]
            ref = self.max_hr
        else:
            return None
        top = self.max_hr or 230
        return Target(
            type="heart_rate",
            low=min(round(ref * low), top - 2),
            high=min(round(ref * high), top),
            zone=zone,
        )

    def target(self, key: str, *, pace: int | None = None, by_effort: bool = False) -> Target:
        """The target for a step at `key`; `pace` overrides the pace midpoint.

        A pace target's midpoint always equals the pace used for the step's distance, so
        anyone can recompute the step's distance from its duration (and back). The values
        come from a cache: a plan holds thousands of steps but only a few distinct targets,
        and each step still gets its own Target object.
        """
        kind, low, high, zone = _cached_target(self, key, pace, by_effort)
        return Target(type=kind, low=low, high=high, zone=zone)

    def _target(self, key: str, pace: int | None, by_effort: bool) -> Target:
        zone = ZONE[key]
        if self.sport == "swimming":
            low, high = _RPE[key]
            return Target(type="rpe", low=low, high=high, zone=zone)
        if self.sport == "cycling" and self.ftp:
            low, high = _FTP[key]
            return Target(
                type="power",
                low=round(self.ftp * low),
                high=round(self.ftp * high),
                zone=min(zone, 7),
            )
        if self.pace_targets and not by_effort:
            mid = pace if pace is not None else self.pace(key)
            width = _PACE_HALF_WIDTH[key]
            return Target(type="pace", low=mid - width, high=mid + width, zone=zone)
        heart = self._heart_rate(key)
        if heart is not None:
            return heart
        if by_effort and self.pace_targets:
            low, high = _RPE[key]
            return Target(type="rpe", low=low, high=high, zone=zone)
        return Target(type="heart_rate", zone=zone)


@lru_cache(maxsize=2048)
def _cached_target(
    intens: Intensities, key: str, pace: int | None, by_effort: bool
) -> tuple[TargetType, float | None, float | None, int | None]:
    # Built once through validation, so the cached values are known to be valid.
    target = intens._target(key, pace, by_effort)
    return target.type, target.low, target.high, target.zone


def target_for(intens: Intensities, effort: Effort, key: str) -> tuple[str, Target, int]:
    """The key, target and pace (s/km) of a step the coach wrote an effort for.

    A zone is the athlete's target for that zone (concrete with thresholds); a pace, a bpm,
    W or RPE range is the target as written, whatever the athlete's thresholds say.
    """
    if effort.kind == "zone":
        zone_key = key_for_zone(int(effort.low))
        target = intens.target(zone_key)
        if target.zone != effort.low:
            target = target.model_copy(update={"zone": int(effort.low)})
        return zone_key, target, intens.pace(zone_key)
    if effort.kind == "pace":
        width = _PACE_HALF_WIDTH[key]
        mid = effort.low
        target = Target(type="pace", low=mid - width, high=mid + width, zone=ZONE[key])
        return key, target, round(mid)
    target = Target(type=effort.kind, low=effort.low, high=effort.high)
    return key, target, intens.pace(key)


def intensities_for(sport: str, level: str, athlete: AthleteThresholds | None) -> Intensities:
    athlete = athlete or AthleteThresholds()
    return _intensities(
        sport,
        level,
        athlete.threshold_pace_s_per_km,
        athlete.threshold_hr,
        athlete.max_hr,
        athlete.ftp_w,
    )


@cache
def _intensities(
    sport: str,
    level: str,
    pace: float | None,
    lthr: int | None,
    max_hr: int | None,
    ftp: int | None,
) -> Intensities:
    return Intensities(
        sport=sport,
        level=level,
        threshold_pace=round(pace) if pace and sport == "running" else None,
        lthr=lthr,
        max_hr=max_hr,
        ftp=ftp if sport == "cycling" else None,
    )
