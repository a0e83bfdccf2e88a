"""Provider adapters by name. Built-ins register here exactly as an outside plugin would."""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel

from coach.errors import CoachError
from coach.providers.base import Capabilities, Provider, ProviderContext, Thresholds
from coach.providers.capabilities import capabilities_for
from coach.providers.coerce import coerce
from coach.templates.models import CoercionWarning, WorkoutTemplate

# name -> "module:Class"; a new provider is one new module and one line here.
_BUILTIN: dict[str, str] = {
    "terra": "coach.providers.terra:TerraProvider",
    "shape": "coach.providers.shape:ShapeProvider",
    "fit": "coach.providers.fit:FitProvider",
    "ics": "coach.providers.ics:IcsProvider",
    "aiendurance": "coach.providers.aiendurance:AIEnduranceProvider",
}
_registered: dict[str, type[Provider] | str] = dict(_BUILTIN)


class UnknownProvider(CoachError, LookupError):
    status = 400

    pass


def register(name: str, provider: type[Provider] | str) -> None:
    """Add a provider class (or a lazy "module:Class" path) under `name`."""
    if name in _registered:
        raise ValueError(f"a provider named {name!r} is already registered")
    _registered[name] = provider


def unregister(name: str) -> None:
    _registered.pop(name, None)


def names() -> list[str]:
    return sorted(_registered)


def get(name: str) -> type[Provider]:
    """The adapter class: its `Credentials` and `Settings` models validate a connection."""
    try:
        entry = _registered[name]
    except KeyError:
        raise UnknownProvider(f"no provider {name!r}; known: {', '.join(names())}") from None
    if isinstance(entry, str):
        module, _, cls = entry.partition(":")
        entry = _registered[name] = getattr(importlib.import_module(module), cls)
    return entry


def create(
    name: str,
    credentials: BaseModel | dict[str, Any] | None = None,
    settings: BaseModel | dict[str, Any] | None = None,
    context: ProviderContext | None = None,
    **kw: Any,
) -> Provider:
    """An adapter for one connection; raises pydantic's ValidationError on bad input."""
    return get(name)(credentials, settings, context, **kw)


def capabilities(name: str, settings: dict[str, Any] | None = None) -> Capabilities:
    """What a connection of this provider can take, without credentials (for previews)."""
    cls = get(name)
    return cls.capabilities_of(cls.Settings.model_validate(settings or {}))


def preview(
    template: WorkoutTemplate,
    provider: str,
    settings: dict[str, Any] | None = None,
    *,
    thresholds: Thresholds | None = None,
) -> tuple[WorkoutTemplate, list[CoercionWarning]]:
    """The template as `provider` would take it: a registered provider (with its connection
    settings) or a device/format name (garmin, wahoo, coros, zwift)."""
    if provider in _registered:
        cls = get(provider)
        parsed = cls.Settings.model_validate(settings or {})
        own = cls.preview_of(template, parsed, thresholds)
        if own is not None:
            return own
        caps = cls.capabilities_of(parsed)
    else:
        try:
            caps = capabilities_for(provider)
        except KeyError as exc:
            raise UnknownProvider(str(exc.args[0])) from None
    return coerce(template, caps, thresholds=thresholds)
