"""A plan editor's writes over HTTP: change, move, delete and add one workout, reorder,
shift and copy weeks, each against the revision it names in If-Match (428 without, 412
when stale, 409 while generating), answered with the plan, its new ETag and its coaching
report; revisions listed, read and restored; two editors racing, one winner."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from coach.settings import Settings
from tests.support.live import LiveServer, live_server
from tests.support.plans import body, generating_plan
from tests.support.tenants import Tenant, make_tenant

DRAFT = (
    "W1 D1 Easy run, 40 min, 7 km\n"
    "W1 D3 Tempo 20 min, 50 min\n"
    "W1 D5 Easy run, 30 min\n"
    "W2 D2 Long run, 80 min"
)
START = "2026-12-07"  # a Monday


def _plan(http: httpx2.Client, tenant: Tenant, weeks: int = 3) -> dict[str, Any]:
    request = body(tenant, weeks=weeks, refined_draft=DRAFT, start_date=START)
    plan = http.post("/v1/coach/generate-plan", json=request)
    assert plan.status_code == 200, plan.text
    view = http.get(f"/v1/coach/plans/{plan.json()['plan_id']}")
    assert view.headers["etag"] == '"1"'
    result: dict[str, Any] = view.json()
    return result


def _slots(view: dict[str, Any]) -> list[tuple[int, int]]:
    return [(w["week"], w["day"]) for w in view["content"]]


def _workout(view: dict[str, Any], week: int, day: int) -> dict[str, Any]:
    [found] = [w for w in view["content"] if (w["week"], w["day"]) == (week, day)]
    return found


def _changes(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Each revision's changes, without the fields their op leaves null."""
    return [[{k: v for k, v in c.items() if v is not None} for c in r["changes"]] for r in items]


def _ok(response: httpx2.Response, revision: int) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{revision}"'
    view: dict[str, Any] = response.json()
    assert view["revision"] == revision and view["report"] is not None
    return view


@pytest.fixture
def editor(server: LiveServer, tenant: Tenant) -> Iterator[tuple[httpx2.Client, dict[str, Any]]]:
    with server.client(tenant.coach_key) as http:
        yield http, _plan(http, tenant)


def test_a_patch_changes_any_field_steps_included(
    editor: tuple[httpx2.Client, dict[str, Any]],
) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}"
    steps = [
        {
            "kind": "main",
            "repeats": 6,
            "steps": [
                {
                    "intensity": "interval",
                    "duration_type": "distance_meters",
                    "duration_value": 400,
                },
                {"intensity": "recovery", "duration_type": "time", "duration_value": 90},
            ],
        }
    ]
    changed = http.patch(
        f"{path}/workouts/1/3",
        json={"title": "6 x 400 m", "type": "intervals", "segments": steps},
        headers={"If-Match": '"1"'},
    )
    view = _ok(changed, 2)
    workout = _workout(view, 1, 3)
    assert workout["title"] == "6 x 400 m" and workout["type"] == "intervals"
    assert workout["segments"] == [
        {**steps[0], "steps": [{**s, "target": None, "notes": None} for s in steps[0]["steps"]]}
    ]
    assert http.get(path).headers["etag"] == '"2"'
    assert http.get(path).json()["content"] == view["content"]
    [latest, first] = http.get(f"{path}/revisions").json()["items"]
    assert first["revision"] == 1 and first["summary"] == "generated"
    assert latest["revision"] == 2 and latest["member_name"] == "coach"
    assert _changes([latest]) == [
        [{"op": "update", "week": 1, "day": 3, "fields": ["segments", "title", "type"]}]
    ]


def test_a_move_keeps_the_original_date_and_a_return_clears_it(
    editor: tuple[httpx2.Client, dict[str, Any]],
) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}/workouts"
    moved = _ok(http.patch(f"{path}/1/1", json={"day": 2}, headers={"If-Match": '"1"'}), 2)
    workout = _workout(moved, 1, 2)
    assert workout["date"] == "2026-12-08" and workout["original_date"] == "2026-12-07"
    assert (1, 1) not in _slots(moved)
    again = _ok(http.patch(f"{path}/1/2", json={"week": 3}, headers={"If-Match": '"2"'}), 3)
    assert _workout(again, 3, 2)["original_date"] == "2026-12-07"
    assert _workout(again, 3, 2)["date"] == "2026-12-22"
    back = http.patch(f"{path}/3/2", json={"week": 1, "day": 1}, headers={"If-Match": '"3"'})
    assert _workout(_ok(back, 4), 1, 1)["original_date"] is None
    taken = http.patch(f"{path}/1/1", json={"day": 3}, headers={"If-Match": '"4"'})
    assert taken.status_code == 409 and "already has a workout" in taken.json()["error"]
    beyond = http.patch(f"{path}/1/1", json={"week": 4}, headers={"If-Match": '"4"'})
    assert beyond.status_code == 400 and beyond.json()["details"][0]["field"] == "week"


def test_delete_and_add_one_workout(editor: tuple[httpx2.Client, dict[str, Any]]) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}/workouts"
    gone = _ok(http.delete(f"{path}/1/5", headers={"If-Match": '"1"'}), 2)
    assert (1, 5) not in _slots(gone)
    assert http.delete(f"{path}/1/5", headers={"If-Match": '"2"'}).status_code == 404
    new = {
        "week": 2,
        "day": 6,
        "title": "Hill repeats",
        "phase": "base",
        "type": "hills",
        "duration": 2700,
        "distance": 7000,
    }
    added = _ok(http.post(path, json=new, headers={"If-Match": '"2"'}), 3)
    workout = _workout(added, 2, 6)
    assert workout["date"] == "2026-12-19" and workout["title"] == "Hill repeats"
    assert added["weekly_info"]["2"]["total_distance"] == sum(
        w["distance"] for w in added["content"] if w["week"] == 2
    )
    twice = http.post(path, json=new, headers={"If-Match": '"3"'})
    assert twice.status_code == 409


def test_reorder_shift_and_copy(editor: tuple[httpx2.Client, dict[str, Any]]) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}"
    titles = {(w["week"], w["day"]): w["title"] for w in plan["content"]}
    swapped = http.post(
        f"{path}/weeks/1/reorder", json={"days": {"1": 3, "3": 1}}, headers={"If-Match": '"1"'}
    )
    view = _ok(swapped, 2)
    assert _workout(view, 1, 1)["title"] == titles[(1, 3)]
    assert _workout(view, 1, 3)["title"] == titles[(1, 1)]
    assert _workout(view, 1, 3)["original_date"] == "2026-12-07"
    clash = http.post(
        f"{path}/weeks/1/reorder", json={"days": {"1": 5}}, headers={"If-Match": '"2"'}
    )
    assert clash.status_code == 400 and clash.json()["details"][0]["field"] == "days"

    shifted = http.post(
        f"{path}/shift",
        json={"from_week": 1, "from_day": 5, "days": 7},
        headers={"If-Match": '"2"'},
    )
    view = _ok(shifted, 3)
    assert _slots(view) == [(1, 1), (1, 3), (2, 5), (3, 2)]
    too_far = http.post(
        f"{path}/shift",
        json={"from_week": 2, "from_day": 1, "days": 7},
        headers={"If-Match": '"3"'},
    )
    assert too_far.status_code == 400 and too_far.json()["details"][0]["field"] == "days"

    copied = _ok(
        http.post(f"{path}/weeks/1/copy", json={"to_week": 3}, headers={"If-Match": '"3"'}), 4
    )
    week1 = [w for w in copied["content"] if w["week"] == 1]
    week3 = [w for w in copied["content"] if w["week"] == 3]
    assert [(w["day"], w["title"]) for w in week3] == [(w["day"], w["title"]) for w in week1]
    assert [w["date"] for w in week3] == ["2026-12-21", "2026-12-23"]
    changes = _changes(http.get(f"{path}/revisions").json()["items"])
    assert changes[:3] == [
        [{"op": "copy", "week": 1, "to_week": 3}],
        [{"op": "shift", "week": 1, "day": 5, "days": 7}],
        [
            {"op": "move", "week": 1, "day": 1, "to_week": 1, "to_day": 3},
            {"op": "move", "week": 1, "day": 3, "to_week": 1, "to_day": 1},
        ],
    ]


def test_the_answer_carries_the_coaching_report(
    editor: tuple[httpx2.Client, dict[str, Any]],
) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}"
    # A hard day right after another hard day breaks a rule every principle keeps.
    hard = http.patch(
        f"{path}/workouts/1/1", json={"day": 2, "type": "intervals"}, headers={"If-Match": '"1"'}
    )
    report = _ok(hard, 2)["report"]
    rules = {(v["week"], v["day"], v["rule"]) for v in report["violations"]}
    assert (1, 3, "back-to-back-hard") in rules
    assert report["weeks"] == 3 and report["principle"]


def test_writes_need_the_current_revision(editor: tuple[httpx2.Client, dict[str, Any]]) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}/workouts/1/1"
    missing = http.patch(path, json={"title": "Easy"})
    assert missing.status_code == 428 and missing.json()["details"][0]["field"] == "If-Match"
    assert http.patch(path, json={"title": "Easy"}, headers={"If-Match": "*"}).status_code == 400
    assert (
        http.patch(path, json={"title": "Easy"}, headers={"If-Match": 'W/"1"'}).status_code == 400
    )
    _ok(http.patch(path, json={"title": "Easy"}, headers={"If-Match": '"1"'}), 2)
    stale = http.patch(path, json={"title": "Easier"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and "revision 2" in stale.json()["error"]
    assert http.get(f"/v1/coach/plans/{plan['plan_id']}").json()["content"][0]["title"] == "Easy"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"duration": -5}, "duration"),
        ({"week": 60}, "week"),
        ({"type": "nap"}, "type"),
        ({"date": "2026-12-09"}, "date"),
        ({"segments": [{"kind": "main", "steps": []}]}, "segments[0].steps"),
        (
            {"segments": [{"kind": "main", "steps": [{"intensity": "active"}]}]},
            "segments[0].steps[0].duration_type",
        ),
        ({}, "body"),
    ],
)
def test_bad_bodies_are_400s_naming_the_field(
    editor: tuple[httpx2.Client, dict[str, Any]], patch: dict[str, Any], field: str
) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}/workouts/1/1"
    bad = http.patch(path, json=patch, headers={"If-Match": '"1"'})
    assert bad.status_code == 400, bad.text
    assert field in [d["field"] for d in bad.json()["details"]], bad.json()


def test_other_bad_writes(editor: tuple[httpx2.Client, dict[str, Any]]) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}"
    headers = {"If-Match": '"1"'}
    cases = [
        ("POST", "/weeks/1/reorder", {"days": {"8": 1}}, "days.8.[key]"),
        ("POST", "/weeks/1/reorder", {"days": {"2": 1}}, "days.2"),
        ("POST", "/shift", {"from_week": 1, "from_day": 1, "days": 0}, "days"),
        ("POST", "/shift", {"from_week": 1, "from_day": 1}, "days"),
        ("POST", "/weeks/1/copy", {"to_week": 1}, "to_week"),
        ("POST", "/weeks/1/copy", {"to_week": 9}, "to_week"),
        ("POST", "/workouts", {"week": 1, "day": 2, "title": "x"}, "phase"),
    ]
    for method, suffix, payload, field in cases:
        bad = http.request(method, path + suffix, json=payload, headers=headers)
        assert bad.status_code == 400, (suffix, payload, bad.text)
        assert field in [d["field"] for d in bad.json()["details"]], (payload, bad.json())
    assert http.get(path).headers["etag"] == '"1"'
    assert (
        http.patch(f"{path}/workouts/1/8", json={"title": "x"}, headers=headers).status_code == 404
    )
    assert (
        http.patch(f"{path}/workouts/1/2", json={"title": "x"}, headers=headers).status_code == 404
    )


def test_revisions_are_read_and_restored(editor: tuple[httpx2.Client, dict[str, Any]]) -> None:
    http, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}"
    _ok(http.delete(f"{path}/workouts/1/1", headers={"If-Match": '"1"'}), 2)
    _ok(http.delete(f"{path}/workouts/1/3", headers={"If-Match": '"2"'}), 3)
    first = http.get(f"{path}/revisions/1")
    assert first.status_code == 200 and first.json()["content"] == plan["content"]
    assert http.get(f"{path}/revisions/2").json()["summary"].startswith("deleted week 1 day 1")
    assert http.get(f"{path}/revisions/9").status_code == 404
    restored = _ok(http.post(f"{path}/revisions/1/restore", headers={"If-Match": '"3"'}), 4)
    assert restored["content"] == plan["content"]
    [latest, *_] = http.get(f"{path}/revisions").json()["items"]
    assert latest["summary"] == "restored revision 1"
    assert _changes([latest]) == [[{"op": "restore", "revision": 1}]]
    stale = http.post(f"{path}/revisions/2/restore", headers={"If-Match": '"3"'})
    assert stale.status_code == 412


def test_a_plan_still_generating_is_409(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as http:
        plan_id = generating_plan(server.db, http, tenant)
        path = f"/v1/coach/plans/{plan_id}"
        busy = http.patch(f"{path}/workouts/1/1", json={"title": "x"}, headers={"If-Match": '"0"'})
        assert http.get(path).json()["report"] is None
    assert busy.status_code == 409 and "generating" in busy.json()["error"]


def test_another_tenant_can_neither_edit_nor_read_revisions(
    server: LiveServer, editor: tuple[httpx2.Client, dict[str, Any]], other_tenant: Tenant
) -> None:
    _, plan = editor
    path = f"/v1/coach/plans/{plan['plan_id']}"
    with server.client(other_tenant.coach_key) as theirs:
        headers = {"If-Match": '"1"'}
        assert theirs.get(f"{path}/revisions").status_code == 404
        assert theirs.get(f"{path}/revisions/1").status_code == 404
        assert theirs.delete(f"{path}/workouts/1/1", headers=headers).status_code == 404
        assert theirs.post(f"{path}/revisions/1/restore", headers=headers).status_code == 404


def _race(clients: list[httpx2.Client], path: str, etag: str, name: str = "") -> list[int]:
    """Every client PATCHes the same workout with the same ETag at once."""
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def edit(n: int) -> None:
        barrier.wait()
        title = f"Editor {n}{name}"
        answer = clients[n].patch(path, json={"title": title}, headers={"If-Match": etag})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_two_editors_with_one_etag_one_wins(server: LiveServer, tenant: Tenant) -> None:
    with server.client(tenant.coach_key) as a, server.client(tenant.admin_key) as b:
        plan = _plan(a, tenant)
        path = f"/v1/coach/plans/{plan['plan_id']}"
        assert _race([a, b], f"{path}/workouts/1/1", '"1"') == [200, 412]
        revisions = a.get(f"{path}/revisions").json()["items"]
    assert [r["revision"] for r in revisions] == [2, 1]


def test_two_editors_on_two_services_one_wins(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    with live_server(settings) as one, live_server(settings) as two:
        tenant = make_tenant(one.db)
        with one.client(tenant.coach_key) as a, two.client(tenant.admin_key) as b:
            plan = _plan(a, tenant)
            path = f"/v1/coach/plans/{plan['plan_id']}"
            for round_ in range(3):
                # Each round: both editors hold the current ETag; one saves.
                current = a.get(path).headers["etag"]
                assert current == b.get(path).headers["etag"]
                statuses = _race([a, b], f"{path}/workouts/1/1", current, f" round {round_}")
                assert statuses == [200, 412]
            revisions = b.get(f"{path}/revisions").json()["items"]
    assert [r["revision"] for r in revisions] == [4, 3, 2, 1]
