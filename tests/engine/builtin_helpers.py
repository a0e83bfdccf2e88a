"""Helpers for the built-in engine tests: a context factory for any request.

A uniquely named module rather than conftest.py, so `import` is never ambiguous when
other test directories have their own conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coach.engines.base import GenerationContext
from coach.plans.models import Workout
from coach.plans.requests import GenerationRequest
from coach.principles import resolve

THRESHOLDS = {"threshold_pace_s_per_km": 270, "threshold_hr": 170, "max_hr": 190, "ftp_w": 250}

MakeCtx = Callable[..., GenerationContext]


def build_ctx(
    *, principle: str | None = None, library: list[Workout] | None = None, **fields: Any
) -> GenerationContext:
    body: dict[str, Any] = {"weeks": 12, "experience_level": "intermediate", "organization_id": 1}
    body.update(fields)
    request = GenerationRequest.model_validate(body)
    resolved = resolve(override=principle, coach_setting=None, organization_setting=None)
    return GenerationContext(request=request, principle=resolved, library=library or [])
