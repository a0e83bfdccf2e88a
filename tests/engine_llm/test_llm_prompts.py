"""Prompt templates, the strict JSON schema and the draft reading of the LLM engine."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from coach.engines.llm.draftlines import parse_draft
from coach.engines.llm.prompts import Prompts
from coach.engines.llm.schema import WEEK_FORMAT, LLMWeek, strict_schema
from coach.plans.phases import default_phase
from coach.settings import REPO_ROOT
from tests.engine_llm.answers import draft_text, week_answer

PROMPTS = Prompts(REPO_ROOT / "prompts")
DRAFT_VARS: dict[str, Any] = {
    "principle": "Mostly easy.",
    "sport": "running",
    "level": "beginner",
    "weeks": 2,
    "start_date": "2026-03-02",
    "athlete": "threshold_hr 170",
    "instructions": "Long run on Sundays.",
}


def test_draft_messages_carry_the_request() -> None:
    system, user = PROMPTS.messages("draft", **DRAFT_VARS)
    assert system["role"] == "system" and "Mostly easy." in system["content"]
    assert "W<n> D<day>" in system["content"]
    assert user["role"] == "user"
    for text in ("2 weeks", "beginner", "2026-03-02", "threshold_hr 170", "Long run on Sundays."):
        assert text in user["content"]


def test_optional_fields_may_be_none() -> None:
    _, user = PROMPTS.messages(
        "draft", **{**DRAFT_VARS, "start_date": None, "athlete": None, "instructions": None}
    )
    assert "Starts on" not in user["content"] and "<instructions>" not in user["content"]


def test_plan_templates_render() -> None:
    system = PROMPTS.render("plan_system", **DRAFT_VARS)
    assert "Mostly easy." in system and '"workouts"' in system
    week = {"week": 3, "weeks": 8, "phase": "build", "focus": "threshold"}
    user = PROMPTS.render("plan_user", **week, lines=["W3 D1 Easy"], context=[])
    assert user == "Week 3 of 8 · build · threshold\nW3 D1 Easy"
    # A week written again sees the weeks around it, as context only.
    again = PROMPTS.render("plan_user", **week, lines=["W3 D1 Easy"], context=["W2 D7 long-run"])
    assert again.startswith(user + "\n\nFor context only") and again.endswith("W2 D7 long-run")
    feedback = PROMPTS.render(
        "plan_feedback", errors=["day 2: bad"], week=3, accepted=[1], remaining=[2, 5]
    )
    assert "- day 2: bad" in feedback and "Days 1 are accepted" in feedback
    assert "only days 2, 5" in feedback


@pytest.mark.parametrize("template", ["draft_system", "draft_user", "plan_system", "plan_user"])
def test_a_missing_variable_fails_loudly(template: str) -> None:
    with pytest.raises(UndefinedError):
        PROMPTS.render(template)


def test_templates_are_sandboxed(tmp_path: Any) -> None:
    (tmp_path / "evil.j2").write_text("{{ x.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(SecurityError):
        Prompts(tmp_path).render("evil", x="")


def _objects(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [o for item in node for o in _objects(item)]
    if not isinstance(node, dict):
        return []
    found = [node] if node.get("type") == "object" else []
    return found + [o for value in node.values() for o in _objects(value)]


def test_schema_is_strict_and_self_contained() -> None:
    schema = strict_schema(LLMWeek)
    text = repr(schema)
    assert "$ref" not in text and "$defs" not in text and "'title'" not in text
    objects = _objects(schema)
    assert len(objects) == 4  # week, workout, segment, step
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    assert WEEK_FORMAT["json_schema"]["strict"] is True
    LLMWeek.model_validate_json(week_answer(1))


def test_draft_lines_are_grouped_by_week_and_bad_lines_reported() -> None:
    text = draft_text(2) + "\nW2 D4 Easy run, 30 min, 5 km\nW9 D1 Easy run, 30 min\nlalala"
    draft = parse_draft(text, weeks=2)
    assert draft.total == 10
    assert draft.weeks[1].phase == "base" and draft.weeks[1].focus == "aerobic foundation"
    assert draft.weeks[2].line(3) is not None and draft.weeks[2].line(3).minutes == 50
    assert draft.weeks[2].line(3).km == 9
    assert len(draft.warnings) == 3
    # The later line on a day wins, as in the built-in engine.
    assert any("W2 D4 already has a workout from line" in w for w in draft.warnings)
    assert draft.weeks[2].line(4) is not None and draft.weeks[2].line(4).minutes == 30
    assert any("week 9 is outside the 2-week plan" in w for w in draft.warnings)
    assert any("lalala" in w for w in draft.warnings)


def test_default_phases() -> None:
    assert [default_phase(w, 10) for w in range(1, 11)] == [
        "base",
        "base",
        "base",
        "base",
        "build",
        "build",
        "build",
        "build",
        "peak",
        "taper",
    ]
    assert default_phase(1, 1) == "base"
