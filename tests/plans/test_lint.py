"""`coach lint`: exit codes and output for good, broken and unreadable plans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.engines.base import GenerationContext
from coach.engines.builtin import build_plan, write_draft
from coach.plans.lint import lint_main
from coach.plans.requests import ExperienceLevel, GenerationRequest
from coach.principles import default_principles_dir, resolve
from tests.support.principles import club_principles


def lint(argv: list[str]) -> int:
    return lint_main(argv, principles_dir=default_principles_dir())


def _response_body(
    tmp_path: Path,
    *,
    weeks: int = 6,
    level: ExperienceLevel = "beginner",
    principle_name: str = "pyramidal",
) -> dict:
    request = GenerationRequest(
        weeks=weeks,
        experience_level=level,
        organization_id=1,
        start_date="2025-03-03",
        instructions="two track sessions per week",
    )
    principle = resolve(override=principle_name, coach_setting=None, organization_setting=None)
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
    assert lint([_write(tmp_path, body)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "principle pyramidal: no violations" in captured.err
    # A bare list of workouts works too.
    assert (
        lint(
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
    assert lint([_write(tmp_path, body)]) == 1
    out = capsys.readouterr().out.splitlines()
    first = workouts[0]
    assert f"week {first['week']} day {first['day']}: segment-totals: " in "\n".join(out)
    assert any(
        line.startswith(f"week {hard['week']} day ") and ": back-to-back-hard: " in line
        for line in out
    )


def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint([_write(tmp_path, "not json {")]) == 2
    assert "is not JSON" in capsys.readouterr().err
    assert lint([str(tmp_path / "missing.json")]) == 2
    assert lint([_write(tmp_path, {"content": [{"week": 99}]})]) == 2
    assert "not a valid list of workouts" in capsys.readouterr().err
    assert lint([_write(tmp_path, {"plan": 1})]) == 2
    assert lint([_write(tmp_path, []), "--principle", "nope", "--weeks", "1"]) == 2
    assert lint(["--bogus"]) == 2


def _coach_lint(path: str, *, principles_dir: Path | None) -> subprocess.CompletedProcess[str]:
    """`coach lint PATH` as a user runs it, with COACH_PRINCIPLES_DIR set or unset."""
    env = {k: v for k, v in os.environ.items() if k != "COACH_PRINCIPLES_DIR"}
    if principles_dir is not None:
        env["COACH_PRINCIPLES_DIR"] = str(principles_dir)
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", "lint", path],
        env=env,
        cwd=Path(path).parent,  # no .env file there
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_coach_lint_reads_the_principles_of_the_settings(tmp_path: Path) -> None:
    body = _response_body(tmp_path, weeks=12, level="intermediate", principle_name="polarized")
    assert max(w["duration"] for w in body["content"] if w["type"] == "long-run") > 3600
    path = _write(tmp_path, body)

    repository = _coach_lint(path, principles_dir=None)
    assert repository.returncode == 0, repository.stderr
    assert "principle polarized: no violations" in repository.stderr

    # A principles_dir without polarized: the plan is held to that directory's default
    # principle, whose long runs stop at 60 minutes.
    (tmp_path / "principles").mkdir()
    custom = _coach_lint(path, principles_dir=club_principles(tmp_path / "principles"))
    assert custom.returncode == 1, custom.stderr
    assert "principle club:" in custom.stderr
    assert ": long-run-minutes: " in custom.stdout
