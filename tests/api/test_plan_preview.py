"""`GET /v1/coach/plans/{plan_id}/preview`: per workout, what a connection would change
before anything is pushed, for the connection's provider and the athlete's thresholds."""

from __future__ import annotations

from tests.support.live import LiveServer
from tests.support.push import athlete_with, connection_body, dated_plan
from tests.support.tenants import Tenant, make_tenant


def test_a_plan_preview_names_what_each_connection_would_change(
    server: LiveServer, tenant: Tenant
) -> None:
    with server.client(tenant.coach_key) as http:
        plan = dated_plan(http, tenant, weeks=2)
        plan_id = plan["plan_id"]
        _, shape = athlete_with(http, connection_body("shape"))
        _, fit = athlete_with(http, connection_body("fit"))
        on_shape = http.get(f"/v1/coach/plans/{plan_id}/preview", params={"connection_id": shape})
        on_fit = http.get(f"/v1/coach/plans/{plan_id}/preview", params={"connection_id": fit})
        pushed = http.get(f"/v2/plannedWorkouts/connection/{shape}").json()["planned_workouts"]
    assert on_shape.status_code == 200, on_shape.text
    body = on_shape.json()
    assert body["provider"] == "shape" and body["revision"] == 1
    assert [(w["week"], w["day"], w["title"]) for w in body["workouts"]] == [
        (w["week"], w["day"], w["title"]) for w in plan["content"]
    ]
    # Shape takes steps only for intervals: the easy runs go as one activity, their steps
    # written in the description, each change explained.
    changed = [w for w in body["workouts"] if w["coercion_warnings"]]
    assert changed and all("Easy" in w["title"] or "run" in w["title"] for w in changed)
    reasons = {c["reason"] for w in changed for c in w["coercion_warnings"]}
    assert any("steps only for interval workouts" in r for r in reasons), reasons
    # A FIT file takes the plan as it is.
    assert on_fit.status_code == 200
    assert all(w["coercion_warnings"] == [] for w in on_fit.json()["workouts"])
    assert pushed == []  # nothing was sent


def test_a_preview_needs_the_callers_own_plan_and_connection(
    server: LiveServer, tenant: Tenant
) -> None:
    other = make_tenant(server.db)
    with server.client(tenant.coach_key) as http:
        plan_id = dated_plan(http, tenant, weeks=1)["plan_id"]
        _, mine = athlete_with(http, connection_body("ics"))
        missing = http.get(f"/v1/coach/plans/{plan_id}/preview")
        absent = http.get(f"/v1/coach/plans/{plan_id}/preview", params={"connection_id": 999999})
    with server.client(other.coach_key) as theirs:
        _, their_connection = athlete_with(theirs, connection_body("ics"))
        their_view = theirs.get(
            f"/v1/coach/plans/{plan_id}/preview", params={"connection_id": mine}
        )
    with server.client(tenant.coach_key) as http:
        crossed = http.get(
            f"/v1/coach/plans/{plan_id}/preview", params={"connection_id": their_connection}
        )
    assert missing.status_code == 400 and missing.json()["details"][0]["field"] == "connection_id"
    assert absent.status_code == 404
    assert their_view.status_code == 404
    assert crossed.status_code == 404
