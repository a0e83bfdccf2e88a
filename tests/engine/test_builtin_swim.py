"""Swim sessions a watch in pool mode can follow: whole 25 m lengths, whole seconds."""

from __future__ import annotations

import re

import pytest

from coach.engines.builtin import build_plan, write_draft
from tests.engine.builtin_helpers import build_ctx


@pytest.mark.parametrize("sport", ["swimming", "triathlon"])
@pytest.mark.parametrize("level", ["beginner", "advanced"])
def test_swim_steps_are_whole_pool_lengths(sport: str, level: str) -> None:
    ctx = build_ctx(weeks=16, sport=sport, experience_level=level)
    plan = build_plan(ctx, write_draft(ctx))
    swims = [w for w in plan.workouts if w.type.endswith("swim") or w.type == "swim-intervals"]
    assert swims
    for workout in swims:
        for segment in workout.segments:
            for step in segment.steps:
                if step.duration_type == "distance_meters":
                    assert step.duration_value is not None
                    assert step.duration_value % 25 == 0, (workout.week, workout.day, step)
        assert not re.search(r"\d+\.\d+ s\b", workout.description), workout.description
