"""`coach lint PLAN.json`: check a stored or generated plan against the coaching rules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from coach.errors import CoachError
from coach.plans.models import Workout
from coach.plans.report import coaching_report, plan_weeks, stored_principle
from coach.principles import Principle, PrincipleFileError, load_builtin

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
    if name is not None:
        builtins = load_builtin(directory)
        if name not in builtins:
            raise LintInputError(
                f"unknown principle {name!r}; built-in: {', '.join(sorted(builtins))}"
            )
        return builtins[name]
    return stored_principle(body.get("training_principle"), directory)


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


def lint_main(argv: list[str], *, principles_dir: Path) -> int:
    """Run the lint command with the principles in `principles_dir` (the service's
    Settings.principles_dir); returns the process exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        workouts, body = _load(args.plan)
        principle = _principle(args.principle, body, principles_dir)
    except (LintInputError, PrincipleFileError) as exc:
        sys.stderr.write(f"coach lint: {exc}\n")
        return 2
    stored = body.get("request")
    request: dict[str, Any] = stored if isinstance(stored, dict) else {}
    weeks = args.weeks or plan_weeks(request, workouts)
    if weeks < 1:
        sys.stderr.write("coach lint: the plan has no workouts and no --weeks\n")
        return 2
    report = coaching_report(
        workouts, request=request, principle=principle, weeks=weeks, level=args.level
    )
    violations = report.violations
    for violation in violations:
        sys.stdout.write(f"{violation}\n")
    summary = (
        f"{len(violations)} violation{'s' if len(violations) != 1 else ''}"
        if violations
        else "no violations"
    )
    sys.stderr.write(
        f"coach lint: {len(workouts)} workouts, {weeks} weeks, "
        f"principle {report.principle}: {summary}\n"
    )
    return 1 if violations else 0
