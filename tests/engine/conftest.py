"""Fixtures for the built-in engine tests."""

from __future__ import annotations

import pytest
from builtin_helpers import MakeCtx, build_ctx


@pytest.fixture
def make_ctx() -> MakeCtx:
    return build_ctx
