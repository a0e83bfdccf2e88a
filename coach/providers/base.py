"""The provider adapter interface: capabilities as data, push/move/delete/list, typed errors."""

from __future__ import annotations

import datetime as dt
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import anyio
from pydantic import BaseModel, ConfigDict, Field

from coach.errors import CoachError
from coach.templates.models import CoercionWarning, WorkoutTemplate

# ---------------------------------------------------------------------------- errors


class ProviderError(CoachError):
    """The provider failed (our 502). `retryable`: trying again may succeed."""

    status = 502

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        provider_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.provider_status = provider_status


class ProviderTimeout(ProviderError):
    """The provider did not answer in time (our 408); the call may still have taken effect."""

    status = 408

    def __init__(self, message: str, **kw: Any) -> None:
        kw.setdefault("retryable", True)
        super().__init__(message, **kw)


class ProviderUnsupported(ProviderError):
    """The provider cannot do this at all (our 501), e.g. take planned workouts."""

    status = 501


class ProviderAuthError(ProviderError):
    """The provider rejected the connection's credentials; the athlete must reconnect."""


class ProviderNotFound(ProviderError):
    """The provider has no such workout (or template)."""

    status = 404


class ProviderRateLimited(ProviderError):
    """429: retryable after `retry_after` seconds."""

    def __init__(self, message: str, **kw: Any) -> None:
        kw.setdefault("retryable", True)
        super().__init__(message, **kw)


# ---------------------------------------------------------------------- capabilities


class TextLimits(BaseModel):
    """Longest name, description and step notes a provider keeps (None: no limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: int | None = None
    description: int | None = None
    notes: int | None = None
    unit: str = Field(default="chars", pattern="^(chars|bytes)$")


class Capabilities(BaseModel):
    """What a provider (or the device behind Terra) can take; coercion reads only this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    can_plan_workouts: bool = True
    sports: frozenset[str] = Field(description="Template sports taken as they are.")
    sport_fallback: dict[str, str] = Field(
        default_factory=dict, description="Template sport -> closest template sport taken."
    )
    generic_sport: str | None = Field(
        default=None,
        description="Provider's own generic type for the other sports; None: refuse them.",
    )
    duration_types: frozenset[str]
    target_types: frozenset[str]
    max_targets: int = 2
    completion_types: frozenset[str] = frozenset({"fixed_repetition", "open"})
    intensity_types: frozenset[str] = frozenset(
        {"rest", "warmup", "cooldown", "recovery", "interval", "active"}
    )
    intensity_fallback: dict[str, str] = Field(default_factory=dict)
    max_steps: int | None = Field(default=None, description="Repeat steps count too.")
    repeat_nesting: int = Field(default=1, description="0: repeats must be unrolled.")
    max_repeat_steps: int | None = Field(default=None, description="Steps in one repeat.")
    max_repeat_count: int | None = None
    pool_lengths_m: tuple[float, float] | None = Field(
        default=(10.0, 150.0), description="Pool lengths taken; None: no pool length at all."
    )
    zone_targets: bool = True
    relative_targets: frozenset[str] = Field(
        default=frozenset(), description="Relative (%) target types taken as they are."
    )
    duration_decimals: dict[str, int] = Field(default_factory=dict)
    target_decimals: dict[str, int] = Field(default_factory=dict)
    text: TextLimits = TextLimits()


class Thresholds(BaseModel):
    """The athlete's reference values, used to freeze relative (%) targets into absolute ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_hr: float | None = None
    threshold_hr: float | None = None
    ftp_w: float | None = None
    threshold_pace_s_per_km: float | None = None


# ------------------------------------------------------------------------ data


@dataclass(frozen=True)
class PushItem:
    """One workout to put on the athlete's calendar; the key makes a retried push a no-op."""

    template: WorkoutTemplate
    planned_date: dt.date
    idempotency_key: str


@dataclass
class PushResult:
    provider_workout_id: str
    warnings: list[CoercionWarning] = field(default_factory=list)
    artifact: bytes | None = None
    # The raw provider object, for ids beyond provider_workout_id (e.g. Terra's template id).
    raw: dict[str, Any] | None = None
    # True when the workout was already on the provider (a retry found it, nothing created).
    existed: bool = False


@dataclass(frozen=True)
class ProviderWorkout:
    """A workout as listed on the provider."""

    provider_workout_id: str
    planned_date: dt.date
    name: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


# --------------------------------------------------------------------- runtime


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds, for rate limits and back-off."""
        ...

    def wall(self) -> float:
        """Unix time, for token expiry that outlives the process."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


# One clock object for the process: limiters are shared per (quota, clock).
SYSTEM_CLOCK = SystemClock()


@dataclass
class ProviderContext:
    """What adapters get from the service besides a connection: HTTP, time, app secrets.

    `apps` holds per-provider application config (e.g. the AI Endurance OAuth client),
    which is the service's, not the athlete connection's.
    """

    http: Any = None  # an httpx2.AsyncClient shared by adapters; one is made if None
    clock: Clock = SYSTEM_CLOCK
    timeout_s: float = 30.0
    apps: dict[str, Any] = field(default_factory=dict)


TokenSaver = Callable[[BaseModel], Awaitable[None]]


class _Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------- interface


class Provider(ABC):
    """One athlete connection to one provider. Subclass, set the class vars, register."""

    name: ClassVar[str]
    Credentials: ClassVar[type[BaseModel]] = _Empty
    Settings: ClassVar[type[BaseModel]] = _Empty
    # The batch size push_many uses; 1 means the provider has no batch endpoint.
    batch_size: ClassVar[int] = 1

    def __init__(
        self,
        credentials: BaseModel | dict[str, Any] | None = None,
        settings: BaseModel | dict[str, Any] | None = None,
        context: ProviderContext | None = None,
        *,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.credentials: Any = _as(self.Credentials, credentials)
        self.settings: Any = _as(self.Settings, settings)
        self.context = context or ProviderContext()
        self.thresholds = thresholds

    @classmethod
    @abstractmethod
    def capabilities_of(cls, settings: Any) -> Capabilities:
        """What a connection with these settings can take (no credentials needed)."""

    @property
    def capabilities(self) -> Capabilities:
        return self.capabilities_of(self.settings)

    @abstractmethod
    async def push(
        self,
        template: WorkoutTemplate,
        planned_date: dt.date,
        *,
        idempotency_key: str,
        reconcile: bool = False,
    ) -> PushResult:
        """Coerce the template for the provider and put it on `planned_date` exactly once.

        One attempt: a failure raises a ProviderError saying whether a retry may help.
        `reconcile=True` first looks for what an earlier call with the same key may have
        created (the outbox passes it for every row tried before), so a retry after an
        ambiguous failure never makes a second copy.
        """

    async def push_many(
        self, items: Sequence[PushItem], *, reconcile: bool = False
    ) -> list[PushResult]:
        """Push several; providers with batch endpoints override this. Results keep order."""
        return [
            await self.push(
                i.template, i.planned_date, idempotency_key=i.idempotency_key, reconcile=reconcile
            )
            for i in items
        ]

    @abstractmethod
    async def move(self, provider_workout_id: str, new_date: dt.date) -> None: ...

    @abstractmethod
    async def delete(self, provider_workout_id: str) -> None:
        """Remove it; a workout already gone is not an error (so a delete can be retried)."""

    async def move_many(self, moves: Sequence[tuple[str, dt.date]]) -> None:
        for pid, new_date in moves:
            await self.move(pid, new_date)

    async def delete_many(self, provider_workout_ids: Sequence[str]) -> None:
        for pid in provider_workout_ids:
            await self.delete(pid)

    @abstractmethod
    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        """Workouts planned from `start` to `end`, both included."""

    async def aclose(self) -> None:
        """Release what the adapter opened itself (not a shared context.http)."""
        return None

    async def __aenter__(self) -> Provider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _as(model: type[BaseModel], value: BaseModel | dict[str, Any] | None) -> BaseModel:
    if isinstance(value, model):
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    return model.model_validate(value or {})


# ------------------------------------------------------------------- idempotency

_MARK = re.compile(r"\[coach-agent:([A-Za-z0-9._:-]{1,80})\]")


def with_marker(text: str | None, key: str, limit: int | None = None) -> str:
    """`text` ending in the idempotency marker, trimmed so the whole fits in `limit`.

    Providers without an idempotency key keep the marker in a text field they return,
    so a retry after an ambiguous failure can find what the first try created.
    """
    if not _MARK.fullmatch(f"[coach-agent:{key}]"):
        raise ValueError(f"idempotency key {key!r}: 1-80 of A-Z a-z 0-9 . _ : -")
    mark = f"[coach-agent:{key}]"
    body = (text or "").rstrip()
    if limit is not None:
        body = body[: max(0, limit - len(mark) - 2)].rstrip()
    return f"{body}\n\n{mark}" if body else mark


def find_marker(text: str | None) -> str | None:
    found = _MARK.search(text or "")
    return found.group(1) if found else None
