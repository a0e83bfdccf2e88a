"""Plan revisions: revision 1 is the generated plan, every save is one more, and of
editors who save against the same revision exactly one wins."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from coach.errors import Conflict, PreconditionFailed
from coach.plans.models import Workout
from coach.plans.revisions import (
    get_revision,
    list_revisions,
    load_weekly_info,
    load_workouts,
    save_revision,
)
from coach.plans.store import get_plan, start_plan
from tests.support.live import LiveServer
from tests.support.plans import body
from tests.support.tenants import Tenant

DRAFT = "W1 D1 Easy run, 40 min\nW1 D3 Tempo run, 50 min\nW2 D2 Long run, 90 min"


def _generated(server: LiveServer, tenant: Tenant) -> dict[str, Any]:
    with server.client(tenant.coach_key) as http:
        plan = http.post("/v1/coach/generate-plan", json=body(tenant, weeks=2, refined_draft=DRAFT))
    assert plan.status_code == 200, plan.text
    view: dict[str, Any] = plan.json()
    return view


def _retitled(server: LiveServer, plan_id: uuid.UUID, title: str) -> list[Workout]:
    row = server.db.call(lambda s: get_plan(s, plan_id))
    assert row is not None
    workouts = load_workouts(row.content)
    return [w.model_copy(update={"title": title}) if i == 0 else w for i, w in enumerate(workouts)]


def _save(server: LiveServer, plan_id: uuid.UUID, expected: int, title: str) -> int:
    workouts = _retitled(server, plan_id, title)

    def save(session: Any) -> int:
        row = get_plan(session, plan_id)
        assert row is not None
        saved = save_revision(
            session,
            plan_id=plan_id,
            expected_revision=expected,
            member_id=row.member_id,
            summary=f"retitled to {title}",
            changes=[{"op": "update", "week": 1, "day": 1, "fields": ["title"]}],
            workouts=workouts,
            weekly_info=load_weekly_info(row.weekly_info),
        )
        return saved.revision

    return server.db.call(save)


def test_a_generated_plan_is_revision_one_and_each_save_adds_one(
    server: LiveServer, tenant: Tenant
) -> None:
    view = _generated(server, tenant)
    plan_id = uuid.UUID(view["plan_id"])
    first = server.db.call(lambda s: list_revisions(s, plan_id))
    assert [(r.revision, r.summary) for r in first] == [(1, "generated")]
    assert first[0].content == view["content"]

    assert _save(server, plan_id, 1, "Shake-out") == 2
    with server.client(tenant.coach_key) as http:
        read = http.get(f"/v1/coach/plans/{plan_id}")
    assert read.headers["etag"] == '"2"'
    assert read.json()["content"][0]["title"] == "Shake-out"
    kept = server.db.call(lambda s: list_revisions(s, plan_id))
    assert [r.revision for r in kept] == [2, 1]
    second = server.db.call(lambda s: get_revision(s, plan_id, 2))
    assert second is not None and second.summary == "retitled to Shake-out"
    assert second.changes == [{"op": "update", "week": 1, "day": 1, "fields": ["title"]}]
    assert second.content == read.json()["content"]
    assert server.db.call(lambda s: get_revision(s, plan_id, 3)) is None


def test_a_save_against_an_old_revision_fails(server: LiveServer, tenant: Tenant) -> None:
    plan_id = uuid.UUID(_generated(server, tenant)["plan_id"])
    _save(server, plan_id, 1, "First")
    with pytest.raises(PreconditionFailed) as stale:
        _save(server, plan_id, 1, "Second")
    assert stale.value.status == 412 and "revision 2" in stale.value.message
    assert [r.revision for r in server.db.call(lambda s: list_revisions(s, plan_id))] == [2, 1]


def test_editors_racing_on_one_revision_get_exactly_one_winner(
    server: LiveServer, tenant: Tenant
) -> None:
    plan_id = uuid.UUID(_generated(server, tenant)["plan_id"])

    def attempt(n: int) -> str:
        try:
            return f"saved {_save(server, plan_id, 1, f'Editor {n}')}"
        except PreconditionFailed:
            return "412"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(attempt, range(6)))
    assert outcomes == ["412"] * 5 + ["saved 2"]
    kept = server.db.call(lambda s: list_revisions(s, plan_id))
    assert [r.revision for r in kept] == [2, 1]


def test_a_plan_still_generating_cannot_be_saved(server: LiveServer, tenant: Tenant) -> None:
    plan_id = uuid.UUID(_generated(server, tenant)["plan_id"])
    row = server.db.call(lambda s: get_plan(s, plan_id))
    assert row is not None
    generating = uuid.uuid4()
    server.db.call(
        lambda s: start_plan(
            s,
            plan_id=generating,
            organization_id=row.organization_id,
            member_id=row.member_id,
            engine="builtin",
            request=row.request,
            training_principle=row.training_principle,
            runner_id="elsewhere",
        )
    )
    with pytest.raises(Conflict) as conflict:
        _save(server, generating, 0, "Too early")
    assert conflict.value.status == 409 and "generating" in conflict.value.message
