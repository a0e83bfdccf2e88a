"""generate-draft and generate-plan over HTTP with the built-in engine."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coach.plans.models import Workout
from coach.plans.validate import validate_plan
from coach.principles import load_builtin
from tests.support.live import LiveServer
from tests.support.plans import body, draft_then_plan
from tests.support.tenants import Tenant


@pytest.mark.parametrize("level", ["beginner", "intermediate", "advanced"])
@pytest.mark.parametrize("weeks", [1, 4, 12, 16, 52])
def test_builtin_plans_for_every_level_and_length(
    server: LiveServer, tenant: Tenant, level: str, weeks: int
) -> None:
    with server.client(tenant.coach_key) as http:
        draft, plan = draft_then_plan(
            http, tenant, weeks=weeks, experience_level=level, start_date="2026-01-05"
        )
    assert draft["request"]["weeks"] == weeks
    assert dt.datetime.fromisoformat(draft["request"]["generated_at"])
    assert f"Week {weeks}" in draft["draft"]
    workouts = [Workout.model_validate(w) for w in plan["content"]]
    assert {w.week for w in workouts} == set(range(1, weeks + 1))
    assert sorted(plan["weekly_info"], key=int) == [str(w) for w in range(1, weeks + 1)]
    assert all(w.source == "builtin" for w in workouts)
    assert workouts[0].date == dt.date(2026, 1, 5) + dt.timedelta(days=workouts[0].day - 1)
    rules = load_builtin()["polarized"].rules
    assert (
        validate_plan(
            workouts, weeks=weeks, rules=rules, level=level, start_date=dt.date(2026, 1, 5)
        )
        == []
    )


def test_plan_is_stored_and_read_back(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        _, plan = draft_then_plan(http, tenant, weeks=3)
        stored = http.get(f"/v1/coach/plans/{plan['plan_id']}")
    assert stored.status_code == 200
    assert stored.json()["content"] == plan["content"]
    assert stored.json()["weekly_info"] == plan["weekly_info"]


def test_stored_plan_is_tenant_scoped(
    server: LiveServer, tenant: Tenant, other_tenant: Tenant
) -> None:
    with server.client(tenant.coach_key) as http:
        _, plan = draft_then_plan(http, tenant, weeks=1)
    with server.client(other_tenant.coach_key) as http:
        response = http.get(f"/v1/coach/plans/{plan['plan_id']}")
        # Another tenant's plan answers as one that does not exist: ids cannot be probed.
        assert response.status_code == 404
        assert "content" not in response.json()
        assert http.get("/v1/coach/plans/6a1f8e0e-0000-4000-8000-000000000000").status_code == 404
        assert http.get("/v1/coach/plans/not-a-uuid").status_code == 400


def test_principle_override_wins(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        draft = http.post(
            "/v1/coach/generate-draft", json=body(tenant, training_principle="lydiard")
        ).json()
    assert "Lydiard" in draft["training_principle"]


def test_lint_command_accepts_a_generated_plan(
    server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    with server.client(tenant.coach_key) as http:
        _, plan = draft_then_plan(http, tenant, weeks=8, start_date="2026-03-02")
    good = tmp_path / "plan.json"
    good.write_text(json.dumps(plan))
    result = subprocess.run(
        [sys.executable, "-m", "coach.cli", "lint", str(good)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Make week 2 carry two hard days back to back: lint names week and day.
    week2 = [w for w in plan["content"] if w["week"] == 2]
    week2[0]["type"], week2[1]["type"] = "intervals", "tempo"
    week2[1]["day"] = week2[0]["day"] + 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(plan))
    result = subprocess.run(
        [sys.executable, "-m", "coach.cli", "lint", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "week 2" in result.stdout


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weeks": 0}, "weeks"),
        ({"weeks": 53}, "weeks"),
        ({"weeks": "twelve"}, "weeks"),
        ({"weeks": None}, "weeks"),
        ({"experience_level": "pro"}, "experience_level"),
        ({"start_date": "2025-13-01"}, "start_date"),
        ({"start_date": 20250101}, "start_date"),
        ({"content_source": "whatever"}, "content_source"),
        ({"sport": "curling"}, "sport"),
        ({"athlete": {"ftp_w": -5}}, "athlete.ftp_w"),
        ({"athlete": {"vo2": 60}}, "athlete.vo2"),
        ({"organization_id": "one"}, "organization_id"),
        ({"organization_id": 10**30}, "organization_id"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_generation_fields_are_400(
    server: LiveServer, tenant: Tenant, changes: dict, field: str
) -> None:  # type: ignore[type-arg]
    request = {**body(tenant), **changes}
    with server.client(tenant.coach_key) as http:
        draft = http.post("/v1/coach/generate-draft", json=request)
        plan = http.post("/v1/coach/generate-plan", json={**request, "refined_draft": "W1 D1 Easy"})
    for response in (draft, plan):
        assert response.status_code == 400, response.text
        assert field in [d["field"] for d in response.json()["details"]]


def test_refined_draft_rules(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        missing = http.post("/v1/coach/generate-plan", json=body(tenant))
        short = http.post("/v1/coach/generate-plan", json=body(tenant, refined_draft="short"))
    for response in (missing, short):
        assert response.status_code == 400
        assert response.json()["details"][0]["field"] == "refined_draft"


def test_generation_tenancy_codes(server: LiveServer, tenant: Tenant, other_tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        other = http.post(
            "/v1/coach/generate-draft",
            json=body(tenant, organization_id=other_tenant.organization_id),
        )
        unknown = http.post("/v1/coach/generate-draft", json=body(tenant, organization_id=99999))
    # Another tenant's organization and one that does not exist answer alike.
    assert other.status_code == unknown.status_code == 404
    assert other.json()["error"] == f"organization {other_tenant.organization_id} not found"
    with server.client(tenant.athlete_key) as http:
        assert http.post("/v1/coach/generate-draft", json=body(tenant)).status_code == 403
    with server.client() as http:
        assert http.post("/v1/coach/generate-draft", json=body(tenant)).status_code == 401


@pytest.mark.parametrize(
    ("draft", "reason"),
    [
        ("Please make me a good plan for the spring, thanks!", "the draft has no workout lines"),
        ("W9 D2 Easy run, 40 min\nW10 D3 Long run, 90 min\n", "outside the 4-week plan"),
        ("Week 1\n" + "W1 D2 " + "x" * 5000 + " easy run, 40 min\n", "longer than 500"),
    ],
    ids=["free-text", "outside-the-weeks", "one-huge-line"],
)
def test_a_draft_with_nothing_to_plan_is_a_400_never_a_plan(
    server: LiveServer, tenant: Tenant, draft: str, reason: str
) -> None:
    request = body(tenant, refined_draft=draft)
    with server.client(tenant.coach_key) as http:
        response = http.post("/v1/coach/generate-plan", json=request)
        # Every way of starting a plan refuses it before a stream or a plan exists.
        others = [
            http.post(path, json=request)
            for path in (
                "/v1/coach/generate-plan/stream",
                "/v1/coach/generate-plan/stream/batch",
                "/v1/coach/plans",
            )
        ]
    assert response.status_code == 400, response.text
    error = response.json()
    assert set(error) == {"error", "details"}
    assert [d["field"] for d in error["details"]] == ["refined_draft"]
    message = error["details"][0]["message"]
    assert reason in message and "e.g. 'W1 D2 Easy run, 40 min, 7 km'" in message
    for other in others:
        assert other.status_code == 400 and other.json() == error


def test_the_forms_coaches_write_are_planned(server: LiveServer, tenant: Tenant) -> None:
    draft = "\n".join(
        [
            "Week 1",
            "- Monday: easy 40'",
            "* Wed: intervals 6x800m @ 3:45/km, 60 min, 11,5 km",
            "1. Saturday — long run 1h30",
            "",
            "Week | Day | Session | Minutes | Km",
            "|---|---|---|---|---|",
            "| 2 | Tue | Tempo 20 min @ Z3 | 45 | 9 |",
            "| 2 | Sun | Long run | 100 | 17 |",
            "",
            "Week\tMon\tTue\tWed\tThu\tFri\tSat\tSun",
            "3\tEasy 40'\tRest\tThreshold 2x10 min @ Z4, 50 min\t\tEasy 30'\tLong 90'\t-",
        ]
    )
    with server.client(tenant.coach_key) as http:
        response = http.post(
            "/v1/coach/generate-plan",
            json=body(tenant, weeks=3, start_date="2026-03-02", refined_draft=draft),
        )
    assert response.status_code == 200, response.text
    plan = response.json()
    got = [(w["week"], w["day"], w["type"], w["duration"] // 60) for w in plan["content"]]
    assert got == [
        (1, 1, "easy-run", 40),
        (1, 3, "intervals", 60),
        (1, 6, "long-run", 90),
        (2, 2, "tempo", 45),
        (2, 7, "long-run", 100),
        (3, 1, "easy-run", 40),
        (3, 3, "threshold", 50),
        (3, 5, "easy-run", 30),
        (3, 6, "long-run", 90),
    ]
    intervals = plan["content"][1]
    assert intervals["distance"] == 11500
    main = next(s for s in intervals["segments"] if s["repeats"] > 1)
    assert main["repeats"] == 6 and main["steps"][0]["duration_value"] == 800
    assert main["steps"][0]["target"]["type"] == "pace"
    assert not [w for w in plan["warnings"] if w.startswith("line")], plan["warnings"]
