"""Training principles: the built-in ones in `principles/`, and which one a request uses.

A principle file is Markdown with TOML front matter between `+++` lines. The front matter
holds the concrete rules a planner follows (`PrincipleRules`); the Markdown body is the
text an LLM reads and a coach sees. Resolution order: a non-empty per-request override,
then the coach's personal setting, then the organization's, then the built-in default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.errors import CoachError
from coach.plans.models import WorkoutType

PrincipleSource = Literal["request", "coach", "organization", "default"]


class QualityDays(BaseModel):
    """Hard sessions per week for each experience level."""

    model_config = ConfigDict(extra="forbid")

    beginner: int = Field(ge=0, le=3)
    intermediate: int = Field(ge=0, le=3)
    advanced: int = Field(ge=0, le=4)

    def for_level(self, level: str | None) -> int:
        """Hard sessions a week at `level`; the advanced count when the level is unknown."""
        if level == "beginner":
            return self.beginner
        if level == "intermediate":
            return self.intermediate
        return self.advanced


class PrincipleRules(BaseModel):
    """The machine-readable rules of a principle; the built-in engine and validator obey them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    summary: str
    default: bool = False
    easy_share: float = Field(ge=0.5, le=0.95, description="Weekly time share at easy intensity.")
    max_weekly_increase: float = Field(ge=0.0, le=0.3, description="Volume cap week over week.")
    recovery_week_every: int = Field(ge=2, le=8, description="Every Nth week is a recovery week.")
    recovery_week_volume: float = Field(ge=0.4, le=0.95, description="Recovery week volume share.")
    taper_weeks: int = Field(ge=0, le=4, description="Taper length before a goal, long plans.")
    taper_volume: list[float] = Field(description="Volume share of each taper week, in order.")
    long_run_max_share: float = Field(ge=0.15, le=0.5, description="Long run share of week volume.")
    long_run_max_minutes: int = Field(ge=60, le=240)
    quality_days: QualityDays
    quality_sessions: list[WorkoutType] = Field(
        min_length=1, description="Workout types used for quality days, in order of preference."
    )
    phase_shares: dict[str, float] = Field(
        description="Share of the plan (before taper) spent in base, build and peak."
    )


@dataclass(frozen=True)
class Principle:
    rules: PrincipleRules
    text: str

    @property
    def name(self) -> str:
        return self.rules.name


@dataclass(frozen=True)
class ResolvedPrinciple:
    """The principle text a generation uses, where it came from, and built-in rules if any."""

    text: str
    source: PrincipleSource
    principle: Principle | None


class PrincipleFileError(CoachError, ValueError):
    """A file in principles/ is not a valid principle."""


def parse_principle(source: str, *, origin: str = "<text>") -> Principle:
    parts = source.split("+++", 2)
    if len(parts) != 3 or parts[0].strip():
        raise PrincipleFileError(f"{origin}: expected TOML front matter between '+++' lines")
    try:
        data = tomllib.loads(parts[1])
    except tomllib.TOMLDecodeError as exc:
        raise PrincipleFileError(f"{origin}: front matter is not TOML: {exc}") from exc
    rules = PrincipleRules.model_validate(data)
    return Principle(rules=rules, text=parts[2].strip())


def default_principles_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "principles"


@cache
def load_builtin(directory: Path | None = None) -> dict[str, Principle]:
    """Read every principle in `directory` (the repo's principles/ by default), by name."""
    directory = directory or default_principles_dir()
    found: dict[str, Principle] = {}
    for path in sorted(directory.glob("*.md")):
        principle = parse_principle(path.read_text(encoding="utf-8"), origin=str(path))
        if principle.name in found:
            raise PrincipleFileError(f"{path}: duplicate principle name {principle.name!r}")
        found[principle.name] = principle
    defaults = [p for p in found.values() if p.rules.default]
    if len(defaults) != 1:
        raise PrincipleFileError(f"{directory}: exactly one principle must set default = true")
    return found


def default_principle(directory: Path | None = None) -> Principle:
    return next(p for p in load_builtin(directory).values() if p.rules.default)


def rules_for(resolved: ResolvedPrinciple, directory: Path | None = None) -> PrincipleRules:
    """The rules a generation keeps: its principle's own, or for a free-text principle those
    of the default principle in `directory` (the repository's principles/ when None)."""
    if resolved.principle is not None:
        return resolved.principle.rules
    return default_principle(directory).rules


def principle_by_text(text: str, directory: Path | None = None) -> Principle | None:
    """A stored or requested principle may be a built-in's name; then its rules apply."""
    return load_builtin(directory).get(text.strip().lower())


def resolve(
    *,
    override: str | None,
    coach_setting: str | None,
    organization_setting: str | None,
    directory: Path | None = None,
) -> ResolvedPrinciple:
    settings: tuple[tuple[str | None, PrincipleSource], ...] = (
        (override, "request"),
        (coach_setting, "coach"),
        (organization_setting, "organization"),
    )
    for value, source in settings:
        if value and value.strip():
            builtin = principle_by_text(value, directory)
            text = builtin.text if builtin else value.strip()
            return ResolvedPrinciple(text=text, source=source, principle=builtin)
    principle = default_principle(directory)
    return ResolvedPrinciple(text=principle.text, source="default", principle=principle)
