"""Provider adapters: push planned workouts to athletes' platforms, coerced to what each takes."""

from __future__ import annotations

from coach.providers.base import (
    Capabilities,
    Provider,
    ProviderAuthError,
    ProviderContext,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnsupported,
    ProviderWorkout,
    PushItem,
    PushResult,
    Thresholds,
)
from coach.providers.capabilities import capabilities_for
from coach.providers.coerce import coerce

__all__ = [
    "Capabilities",
    "Provider",
    "ProviderAuthError",
    "ProviderContext",
    "ProviderError",
    "ProviderNotFound",
    "ProviderRateLimited",
    "ProviderTimeout",
    "ProviderUnsupported",
    "ProviderWorkout",
    "PushItem",
    "PushResult",
    "Thresholds",
    "capabilities_for",
    "coerce",
]
