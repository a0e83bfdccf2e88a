"""`coach lint PLAN.json`: check a stored or generated plan against the coaching rules."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from coach.errors import CoachError
from coach.plans.instructions import parse_instructions
from coach.plans.models import Workout
from coach.plans.validate import Violation, validate_plan
from coach.principles import Principle, PrincipleFileError, default_principle, load_builtin

_WORKOUTS = TypeAdapter(list[Workout])


class LintInputError(CoachError, ValueError):
    """The file is not a plan this command can read."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach lint",
        description="Check a plan (a generate-plan response body or a list of workouts) "
        "against the coaching rules. Exit 0: no violations, 1: violations, "
        "2: unreadable input.",
    )
    parser.add_argument("plan", help="PLAN.json")
    parser.add_argument(
        "--weeks",
        type=int,
        help="plan length (default: from the request, else the highest week in the plan)",
    )
    parser.add_argument("--level", choices=["beginner", "intermediate", "advanced"])
    parser.add_argument(
        "--principle",
        metavar="NAME",
        help="built-in principle whose rules apply (default: the plan's, "
        "else the default principle)",
    )
    return parser


def _principle(name: str | None, body: dict[str, Any], directory: Path) -> Principle:
    builtins = load_builtin(directory)
    if name is not None:
        if name not in builtins:
            raise LintInputError(
                f"unknown principle {name!r}; built-in: {', '.join(sorted(builtins))}"
            )
        return builtins[name]
    stored = body.get("training_principle")
    if isinstance(stored, str):
        # The response holds the principle's text; a built-in is recognized by name or text.
        for principle in builtins.values():
            if stored.strip() in (principle.name, principle.text.strip()):
                return principle
    return default_principle(directory)


def _load(path: str) -> tuple[list[Workout], dict[str, Any]]:
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise LintInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LintInputError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from exc
    body: dict[str, Any] = {}
    if isinstance(data, dict):
        if not isinstance(data.get("content"), list):
            raise LintInputError(
                f"{path}: expected a plan with a 'content' list of workouts "
                "or a bare list of workouts"
            )
        body, items = data, data["content"]
    elif isinstance(data, list):
        items = data
    else:
        raise LintInputError(f"{path}: expected a JSON object or list")
    try:
        workouts = _WORKOUTS.validate_python(items)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise LintInputError(f"{path}: not a valid list of workouts: {problems}") from exc
    return workouts, body


def _max_quality(request: dict[str, Any], rules_quality: int) -> int | None:
    instructions = request.get("instructions")
    if not isinstance(instructions, str):
        return None
    # Lint reads the instructions the way the built-in engine does.
    asked = parse_instructions(instructions).quality_per_week
    return max(asked, rules_quality) if asked else None


class LintReport(BaseModel):
    """Every coaching rule a plan breaks, by week and day, under the principle named."""

    principle: str = Field(description="The built-in principle whose rules applied.")
    weeks: int
    workouts: int
    violations: list[Violation]


def lint_workouts(
    workouts: list[Workout],
    body: dict[str, Any],
    principles_dir: Path,
    *,
    weeks: int | None = None,
    level: str | None = None,
    principle_name: str | None = None,
) -> LintReport:
    """Check `workouts` against the rules of the plan's principle (`body` is the plan as
    generate-plan answers it: its `request` and `training_principle`, when known).
    LintInputError when the plan cannot be checked."""
    principle = _principle(principle_name, body, principles_dir)
    stored = body.get("request")
    request: dict[str, Any] = stored if isinstance(stored, dict) else {}
    weeks = weeks or request.get("weeks") or max((w.week for w in workouts), default=0)
    level = level or request.get("experience_level")
    if level not in (None, "beginner", "intermediate", "advanced"):
        level = None
    start_date = None
    if isinstance(request.get("start_date"), str):
        try:
            start_date = dt.date.fromisoformat(request["start_date"])
        except ValueError:
            start_date = None
    if not isinstance(weeks, int) or weeks < 1:
        raise LintInputError("the plan has no workouts and no --weeks")
    rules = principle.rules
    level_quality = rules.quality_days.for_level(level)
    violations = validate_plan(
        workouts,
        weeks=weeks,
        rules=rules,
        level=level,
        start_date=start_date,
        max_quality=_max_quality(request, level_quality),
    )
    return LintReport(
        principle=rules.name, weeks=weeks, workouts=len(workouts), violations=violations
    )


def lint_main(argv: list[str], *, principles_dir: Path) -> int:
    """Run the lint command with the principles in `principles_dir` (the service's
    Settings.principles_dir); returns the process exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        workouts, body = _load(args.plan)
        report = lint_workouts(
            workouts,
            body,
            principles_dir,
            weeks=args.weeks,
            level=args.level,
            principle_name=args.principle,
        )
    except (LintInputError, PrincipleFileError) as exc:
        sys.stderr.write(f"coach lint: {exc}\n")
        return 2
    violations = report.violations
    for violation in violations:
        sys.stdout.write(f"{violation}\n")
    summary = (
        f"{len(violations)} violation{'s' if len(violations) != 1 else ''}"
        if violations
        else "no violations"
    )
    sys.stderr.write(
        f"coach lint: {report.workouts} workouts, {report.weeks} weeks, "
        f"principle {report.principle}: {summary}\n"
    )
    return 1 if violations else 0
