"""The provider adapter interface: capabilities as data, push/move/delete/list, typed errors."""

from __future__ import annotations

import datetime as dt
import math
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
    """The provider failed (our 502). `retryable`: trying again may succeed.

    The message is always ours: the provider, its HTTP status and a stable `code`
    (`provider_unavailable`, `provider_rejected`, ...), never the provider's body or a
    URL; adapters log those. `unknown`: the request may have taken effect although it
    failed (a timeout or a dropped connection after it was sent), so whoever retries
    must look for it by its idempotency marker first.
    """

    status = 502
    default_code = "provider_unavailable"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        provider_status: int | None = None,
        code: str | None = None,
        provider: str | None = None,
        unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.provider_status = provider_status
        self.code = code or self.default_code
        self.provider = provider
        self.unknown = unknown
        detail: dict[str, Any] = {"code": self.code}
        if provider is not None:
            detail["provider"] = provider
        if provider_status is not None:
            detail["provider_status"] = provider_status
        self.details = [detail]


class ProviderTimeout(ProviderError):
    """The provider did not answer in time (our 408); the call may still have taken effect."""

    status = 408
    default_code = "provider_timeout"

    def __init__(self, message: str, **kw: Any) -> None:
        kw.setdefault("retryable", True)
        kw.setdefault("unknown", True)
        super().__init__(message, **kw)


class ProviderUnsupported(ProviderError):
    """The provider cannot do this at all (our 501), e.g. take planned workouts."""

    status = 501
    default_code = "provider_unsupported"


class ProviderAuthError(ProviderError):
    """The provider rejected the connection's credentials; the athlete must reconnect."""

    default_code = "provider_auth_failed"


class ProviderNotFound(ProviderError):
    """The provider has no such workout (or template)."""

    status = 404
    default_code = "provider_not_found"


class ProviderRateLimited(ProviderError):
    """429: retryable after `retry_after` seconds."""

    default_code = "provider_rate_limited"

    def __init__(self, message: str, **kw: Any) -> None:
        kw.setdefault("retryable", True)
        super().__init__(message, **kw)


class RateLimitDeferred(ProviderRateLimited):
    """Nothing was sent: the client-side limit has no slot for `retry_after` seconds, longer
    than the caller may wait (`ProviderContext.max_wait_s`). Not a failed attempt."""


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
    """One workout to put on the athlete's calendar; the key makes a retried push a no-op.

    `search_dates`: other dates an earlier attempt may have put it on (it was moved while
    a push was unanswered); a reconcile looks there too. `progress`: what the adapter
    learned in earlier attempts (e.g. Terra's template id), kept by the caller between
    attempts so a retry does only what is missing; the adapter updates it in place.
    """

    template: WorkoutTemplate
    planned_date: dt.date
    idempotency_key: str
    search_dates: tuple[dt.date, ...] = ()
    progress: dict[str, Any] = field(default_factory=dict, compare=False)

    def dates(self) -> list[dt.date]:
        """Every date the workout may be on: the planned one and the searched ones."""
        return sorted({self.planned_date, *self.search_dates})


@dataclass
class PushResult:
    provider_workout_id: str
    warnings: list[CoercionWarning] = field(default_factory=list)
    artifact: bytes | None = None
    # The raw provider object, for ids beyond provider_workout_id (e.g. Terra's template id).
    raw: dict[str, Any] | None = None
    # True when the workout was already on the provider (a retry found it, nothing created).
    existed: bool = False
    # The date it is on at the provider when that is not the one asked (a reconcile found
    # it where an earlier attempt put it); None: the planned date.
    planned_date: dt.date | None = None


@dataclass(frozen=True)
class ProviderWorkout:
    """A workout as listed on the provider."""

    provider_workout_id: str
    planned_date: dt.date
    name: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    # Made on the provider's platform (by the athlete, their coach there, or the provider's
    # own plan), not pushed by us.
    external: bool = False


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


class Limiter(Protocol):
    """One provider account's client-side rate limit (its windows and any 429 pause)."""

    async def acquire(self, max_wait_s: float = math.inf) -> float:
        """Take a slot, waiting up to `max_wait_s` for one: 0.0. When the next slot is
        further away, take nothing and return the seconds until it."""
        ...

    async def pause(self, seconds: float) -> None:
        """The provider answered 429: nobody on this account calls for `seconds`."""
        ...


class LimiterStore(Protocol):
    """Limiters by provider account. In-process (`limiter.MemoryLimiterStore`) now; a
    store shared by processes (e.g. Redis) implements the same two calls."""

    def limiter(self, key: str, rates: Sequence[tuple[int, float]]) -> Limiter:
        """The limiter of account `key` (e.g. `shape:<sha256 of the token>`), with
        `rates` as (calls, window seconds) pairs; the first caller's rates win."""
        ...


@dataclass
class ProviderContext:
    """What adapters get from the service besides a connection: HTTP, time, endpoints,
    rate limiters, app secrets.

    `endpoints` maps a provider to its base URL, an operator setting: a connection's
    credentials never name a host. `apps` holds per-provider application config (e.g.
    the AI Endurance OAuth client), which is the service's, not the athlete connection's.
    `max_wait_s`: the longest an adapter may wait for a rate-limit slot; a longer wait
    raises RateLimitDeferred instead, so a caller holding work releases it.
    """

    http: Any = None  # an httpx2.AsyncClient shared by adapters; one is made if None
    clock: Clock = SYSTEM_CLOCK
    timeout_s: float = 30.0
    apps: dict[str, Any] = field(default_factory=dict)
    endpoints: dict[str, str] = field(default_factory=dict)
    limiters: LimiterStore | None = None  # None: one in-process store per clock
    max_wait_s: float = math.inf

    def endpoint(self, provider: str, default: str) -> str:
        return self.endpoints.get(provider) or default


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
    # The setting that holds the provider's base URL, named when a connection tries to
    # bring its own (None: the provider has no endpoint of its own to set).
    endpoint_setting: ClassVar[str | None] = None

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

    @classmethod
    def preview_of(
        cls, template: WorkoutTemplate, settings: Any, thresholds: Thresholds | None = None
    ) -> tuple[WorkoutTemplate, list[CoercionWarning]] | None:
        """What a push would make of the template, for adapters whose conventions change
        more than coercion does (Shape); None: coercion to `capabilities_of` says it all."""
        return None

    @classmethod
    def unavailable(cls, context: ProviderContext) -> str | None:
        """Why this service cannot use the provider at all (e.g. its app is not
        configured), else None. Connections are only made to available providers."""
        return None

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

    async def push_item(self, item: PushItem, *, reconcile: bool = False) -> PushResult:
        """`push` of one PushItem; adapters that keep progress or search other dates
        override this (and have `push` call it)."""
        return await self.push(
            item.template,
            item.planned_date,
            idempotency_key=item.idempotency_key,
            reconcile=reconcile,
        )

    async def push_many(
        self, items: Sequence[PushItem], *, reconcile: bool = False
    ) -> list[PushResult]:
        """Push several; providers with batch endpoints override this. Results keep order.

        Without a batch endpoint this is one call per item and a failure stops it: callers
        that need each item's own outcome push them one by one (the outbox does)."""
        return [await self.push_item(i, reconcile=reconcile) for i in items]

    async def find(self, items: Sequence[PushItem]) -> dict[str, PushResult]:
        """What the provider holds of these items, by idempotency key (their markers), on
        their `dates()`; nothing is created. Providers that keep nothing remotely (files,
        feeds) find nothing."""
        return {}

    async def find_copies(self, items: Sequence[PushItem]) -> dict[str, list[PushResult]]:
        """Every workout carrying each item's marker on its `dates()`, by idempotency key:
        an attempt whose answer never came may have committed after a retry made the
        workout again. Nothing is created. Providers whose retries never duplicate (an
        idempotency key, an overwrite) find at most what `find` finds."""
        return {key: [found] for key, found in (await self.find(items)).items()}

    async def delete_copies(self, provider_workout_ids: Sequence[str]) -> None:
        """Remove late copies of workouts whose own copy stays (what they share with it,
        such as Terra's template, stays too). A copy already gone is not an error."""
        await self.delete_many(provider_workout_ids)

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
