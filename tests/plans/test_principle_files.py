"""The five built-in principle files parse and their rules agree with their text."""

from __future__ import annotations

import re
from typing import get_args

from coach.plans.models import WorkoutType
from coach.principles import default_principle, load_builtin


def test_five_principles_with_polarized_default() -> None:
    principles = load_builtin()
    assert set(principles) == {
        "polarized",
        "pyramidal",
        "threshold-norwegian",
        "lydiard",
        "daniels",
    }
    assert default_principle().name == "polarized"


def test_rules_are_consistent() -> None:
    for principle in load_builtin().values():
        rules = principle.rules
        assert set(rules.quality_sessions) <= set(get_args(WorkoutType))
        assert set(rules.phase_shares) == {"base", "build", "peak"}
        assert abs(sum(rules.phase_shares.values()) - 1) < 1e-9
        assert len(rules.taper_volume) == rules.taper_weeks
        assert all(0 < v < 1 for v in rules.taper_volume)
        assert (
            rules.quality_days.beginner
            <= rules.quality_days.intermediate
            <= (rules.quality_days.advanced)
        )


def test_text_matches_front_matter() -> None:
    for principle in load_builtin().values():
        rules, text = principle.rules, principle.text
        assert 300 <= len(text.split()) <= 600, principle.name
        assert f"{round(rules.max_weekly_increase * 100)}%" in text
        assert f"{round(rules.long_run_max_share * 100)}%" in text
        assert f"{rules.long_run_max_minutes}" in text
        assert f"{round(rules.easy_share * 100)}%" in text
        assert f"{round(rules.recovery_week_volume * 100)}%" in text
        every = {4: "4th", 5: "5th"}[rules.recovery_week_every]
        assert f"Every {every} week" in text
        for level in ("Beginner", "Intermediate", "Advanced"):
            count = getattr(rules.quality_days, level.lower())
            assert re.search(rf"{level}: {count} ", text), (principle.name, level)
