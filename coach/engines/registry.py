"""Engines by name. Built-ins register here exactly as an outside plugin would.

An engine factory takes the settings and returns a ready engine (the local engine starts
its model server first, so factories are async).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from coach.engines.base import PlanEngine
from coach.engines.builtin import BuiltinEngine
from coach.engines.llm import LLMEngine, start_local_engine
from coach.engines.offload import Offload
from coach.errors import CoachError
from coach.settings import Settings

EngineFactory = Callable[[Settings], Awaitable[PlanEngine]]

_factories: dict[str, EngineFactory] = {}


class UnknownEngine(CoachError, LookupError):
    pass


def register(name: str, factory: EngineFactory) -> None:
    if name in _factories:
        raise ValueError(f"an engine named {name!r} is already registered")
    _factories[name] = factory


def unregister(name: str) -> None:
    _factories.pop(name, None)


def names() -> list[str]:
    return sorted(_factories)


async def create(name: str, settings: Settings) -> PlanEngine:
    try:
        factory = _factories[name]
    except KeyError:
        raise UnknownEngine(f"no engine {name!r}; known: {', '.join(names())}") from None
    return await factory(settings)


async def _builtin(settings: Settings) -> PlanEngine:
    return BuiltinEngine(
        settings.principles_dir,
        offload=Offload.from_settings(settings),
        max_line_chars=settings.draft_max_line_chars,
    )


async def _openai(settings: Settings) -> PlanEngine:
    return LLMEngine(settings)


async def _local(settings: Settings) -> PlanEngine:
    return await start_local_engine(settings)


register("builtin", _builtin)
register("openai", _openai)
register("local", _local)
