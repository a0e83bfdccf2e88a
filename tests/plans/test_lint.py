"""`coach lint`: exit codes and output for good, broken and unreadable plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.engines.base import GenerationContext
from coach.engines.builtin import build_plan, write_draft
from coach.plans.lint import lint_main
from coach.plans.requests import GenerationRequest
from coach.principles import resolve


def _response_body(tmp_path: Path) -> dict:
    request = GenerationRequest(
        weeks=6,
        experience_level="beginner",
        organization_id=1,
        start_date="2025-03-03",
        instructions="two track sessions per week",
    )
    principle = resolve(override="pyramidal", coach_setting=None, organization_setting=None)
    ctx = GenerationContext(request=request, principle=principle)
    built = build_plan(ctx, write_draft(ctx))
    return {
        "plan_id": "00000000-0000-0000-0000-000000000001",
        "content": [w.model_dump(mode="json") for w in built.workouts],
        "weekly_info": {str(k): v.model_dump() for k, v in built.weekly_info.items()},
        "training_principle": principle.text,
        "request": {**request.model_dump(mode="json"), "generated_at": "2025-03-01T10:00:00Z"},
    }


def _write(tmp_path: Path, data: object) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_good_plan_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = _response_body(tmp_path)
    assert lint_main([_write(tmp_path, body)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "principle pyramidal: no violations" in captured.err
    # A bare list of workouts works too.
    assert (
        lint_main(
            [
                _write(tmp_path, body["content"]),
                "--level",
                "beginner",
                "--principle",
                "pyramidal",
                "--weeks",
                "6",
            ]
        )
        == 1
    )  # no instructions: 2 > 1
    assert "quality-days" in capsys.readouterr().out


def test_broken_plan_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = _response_body(tmp_path)
    workouts = body["content"]
    hard = next(w for w in workouts if w["type"] == "intervals")
    easy = next(
        w
        for w in workouts
        if w["week"] == hard["week"]
        and w["day"] == hard["day"] + 1
        or w["week"] == hard["week"]
        and w["day"] == hard["day"] - 1
    )
    easy["type"] = "tempo"
    workouts[0]["duration"] += 900
    assert lint_main([_write(tmp_path, body)]) == 1
    out = capsys.readouterr().out.splitlines()
    first = workouts[0]
    assert f"week {first['week']} day {first['day']}: segment-totals: " in "\n".join(out)
    assert any(
        line.startswith(f"week {hard['week']} day ") and ": back-to-back-hard: " in line
        for line in out
    )


def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint_main([_write(tmp_path, "not json {")]) == 2
    assert "is not JSON" in capsys.readouterr().err
    assert lint_main([str(tmp_path / "missing.json")]) == 2
    assert lint_main([_write(tmp_path, {"content": [{"week": 99}]})]) == 2
    assert "not a valid list of workouts" in capsys.readouterr().err
    assert lint_main([_write(tmp_path, {"plan": 1})]) == 2
    assert lint_main([_write(tmp_path, []), "--principle", "nope", "--weeks", "1"]) == 2
    assert lint_main(["--bogus"]) == 2
