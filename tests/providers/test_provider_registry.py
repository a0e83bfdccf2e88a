"""The registry: built-ins by name, connection models that refuse unknown fields, plugins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from coach.providers import registry
from coach.providers.base import (
    Capabilities,
    Provider,
    ProviderError,
    ProviderNotFound,
    ProviderTimeout,
    ProviderUnsupported,
    ProviderWorkout,
    PushResult,
)
from coach.providers.capabilities import FIT
from coach.templates.models import WorkoutTemplate


def test_builtins_are_registered_with_their_connection_models() -> None:
    assert {"terra", "shape", "fit", "ics", "aiendurance"} <= set(registry.names())
    shape = registry.get("shape")
    shape.Credentials.model_validate({"token": "shape_abc"})
    with pytest.raises(ValidationError):
        shape.Credentials.model_validate({"token": "not-a-shape-token"})
    with pytest.raises(ValidationError):
        registry.get("terra").Credentials.model_validate(
            {"dev_id": "d", "api_key": "k", "user_id": "u", "extra": 1}
        )
    with pytest.raises(ValidationError):
        registry.get("terra").Settings.model_validate({"device_provider": "polar"})
    with pytest.raises(registry.UnknownProvider):
        registry.get("nope")


def test_capabilities_follow_the_connection_settings() -> None:
    assert registry.capabilities("terra", {"device_provider": "wahoo"}).name == "wahoo"
    assert registry.capabilities("shape").max_steps == 50
    # AI Endurance takes FIT files: the FIT format's limits.
    assert registry.capabilities("aiendurance").max_steps == registry.capabilities("fit").max_steps


def test_errors_carry_our_status() -> None:
    assert (
        ProviderTimeout("t").status,
        ProviderUnsupported("u").status,
        ProviderError("e").status,
        ProviderNotFound("n").status,
    ) == (408, 501, 502, 404)
    assert ProviderTimeout("t").retryable and not ProviderError("e").retryable


class _Null(Provider):
    name = "null"

    @classmethod
    def capabilities_of(cls, settings: Any) -> Capabilities:
        return FIT

    async def push(
        self,
        template: WorkoutTemplate,
        planned_date: dt.date,
        *,
        idempotency_key: str,
        reconcile: bool = False,
    ) -> PushResult:
        return PushResult(idempotency_key)

    async def move(self, provider_workout_id: str, new_date: dt.date) -> None:
        return None

    async def delete(self, provider_workout_id: str) -> None:
        return None

    async def list(self, start: dt.date, end: dt.date) -> list[ProviderWorkout]:
        return []


def test_a_plugin_registers_and_unregisters() -> None:
    registry.register("null", _Null)
    try:
        assert isinstance(registry.create("null"), _Null)
        with pytest.raises(ValueError):
            registry.register("null", _Null)
    finally:
        registry.unregister("null")
    assert "null" not in registry.names()
