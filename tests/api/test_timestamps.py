"""Every timestamp the API returns is UTC and ends in `Z`, on SQLite and PostgreSQL alike:
stored ones read back (plans, drafts, push jobs, connections, keys) as well as live ones."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from typing import Any

from tests.support.plans import body, draft_then_plan
from tests.support.push import athlete_with, connection_body, emulators, service, wait_for_job
from tests.support.tenants import make_tenant

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _timestamps(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every date-time string in a JSON body."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _timestamps(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _timestamps(item, f"{path}[{i}]")
    elif isinstance(value, str) and _DATE_TIME.match(value):
        yield path, value


def test_every_endpoint_answers_utc_times_with_z(database_url: str) -> None:
    answers: dict[str, Any] = {}
    with emulators() as emu, service(database_url, emu) as live:
        tenant = make_tenant(live.db)
        with live.client(tenant.coach_key) as http:
            draft, plan = draft_then_plan(http, tenant, weeks=2, start_date="2026-12-07")
            answers["generate-draft"], answers["generate-plan"] = draft, plan
            answers["plan"] = http.get(f"/v1/coach/plans/{plan['plan_id']}").json()
            started = http.post("/v1/coach/drafts", json=body(tenant, weeks=2)).json()
            for _ in range(400):
                stored = http.get(f"/v1/coach/drafts/{started['draft_id']}").json()
                if stored["status"] != "generating":
                    break
                time.sleep(0.05)
            answers["draft"] = stored
            user_id, connection_id = athlete_with(http, connection_body("shape"))
            answers["connections"] = http.get(f"/v1/athletes/{user_id}/connections").json()
            pushed = http.post(f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id})
            answers["push-job"] = wait_for_job(http, pushed.json()["job_id"])
            answers["stream-token"] = http.post(
                "/v1/stream-tokens", json={"plan_id": plan["plan_id"]}
            ).json()
        with live.client(tenant.admin_key) as http:
            answers["keys"] = http.get("/v1/keys").json()
    found = {name: list(_timestamps(answer)) for name, answer in answers.items()}
    assert all(found.values()), {name: times for name, times in found.items() if not times}
    for name, times in found.items():
        for path, text in times:
            assert text.endswith("Z"), f"{name}{path} = {text!r}"
            moment = dt.datetime.fromisoformat(text)
            assert moment.utcoffset() == dt.timedelta(0)
    # The stored request echo carries the time the plan was generated, not a local one.
    generated = dt.datetime.fromisoformat(answers["plan"]["request"]["generated_at"])
    assert abs(generated - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)
    assert answers["connections"]["connections"][0]["connection_id"] == connection_id
