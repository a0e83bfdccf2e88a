"""Limits shared through Redis by several `coach serve` processes: three processes pushing
through one Shape account together stay under its rate limit (zero 429s) and still
deliver every workout; an organization's quota counts every process's streams."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx2

from coach.db.database import Database
from tests.api.test_llm_over_http import plan_body
from tests.api.test_redis_streams import _cluster as _llm_cluster
from tests.api.test_redis_streams import _read
from tests.emulators.shape import ShapeEmulator
from tests.engine_llm.answers import FIRST_WORKOUT_TOKENS, good_responder
from tests.support.live import serve_app
from tests.support.processes import ServeProcess, coach_serve
from tests.support.push import SECRET_KEY, athlete_with, dated_plan, wait_for_job, wait_until
from tests.support.redis import REDIS_URL, fresh_prefix, needs_redis
from tests.support.scripted_llm import ScriptedLLM
from tests.support.sse import names
from tests.support.tenants import Tenant, make_tenant

pytestmark = needs_redis

# Shape's limit in this test: a few calls a minute, so three processes with limits of
# their own would exceed it at once, while the shared one spreads the calls over minutes.
PER_MINUTE = 3
ATHLETES = 4


@contextlib.contextmanager
def _cluster(
    database_url: str, tmp_path: Path, count: int, **settings: str
) -> Iterator[tuple[list[ServeProcess], Tenant]]:
    shared = {
        "redis_url": REDIS_URL,
        "redis_prefix": fresh_prefix(),
        "secret_key": SECRET_KEY,
        "push_poll_s": "0.05",
        **settings,
    }
    with contextlib.ExitStack() as stack:
        processes = [
            stack.enter_context(coach_serve(database_url, tmp_path, **shared)) for _ in range(count)
        ]
        db = Database(database_url)
        tenant = make_tenant(db)
        db.dispose()
        yield processes, tenant


def test_three_processes_share_one_shape_accounts_rate_limit(
    own_database_url: str, tmp_path: Path
) -> None:
    shape = ShapeEmulator({"shape_test_token"}, per_minute=PER_MINUTE)
    with (
        serve_app(shape.app()) as shape_url,
        _cluster(own_database_url, tmp_path, 3, shape_base_url=f"{shape_url}/api/v1") as (
            processes,
            tenant,
        ),
    ):
        headers = {"Authorization": f"Bearer {tenant.coach_key}"}
        clients = [
            httpx2.Client(base_url=p.base_url, headers=headers, timeout=30) for p in processes
        ]
        connection = {
            "provider": "shape",
            "credentials": {"token": "shape_test_token"},
            "settings": {"per_minute": PER_MINUTE},
        }
        plan = dated_plan(clients[0], tenant, weeks=1)
        jobs = []
        # Every athlete has a connection on the one Shape account; each process is asked
        # for some of the pushes, and every process's worker pushes.
        for index in range(ATHLETES):
            http = clients[index % len(clients)]
            user_id, _ = athlete_with(http, connection)
            pushed = http.post(f"/v1/coach/plans/{plan['plan_id']}/push", json={"user_id": user_id})
            assert pushed.status_code == 202, pushed.text
            jobs.append(pushed.json()["job_id"])
        finished = [
            wait_for_job(clients[index % len(clients)], job_id, timeout=300)
            for index, job_id in enumerate(jobs)
        ]
        for http in clients:
            http.close()
    assert shape.rate_limited == 0
    assert [job["status"] for job in finished] == ["complete"] * ATHLETES
    assert len(shape.activities) == ATHLETES * len(plan["content"])
    # More calls than one minute allows: the limit was reached, and waited for.
    assert shape.requests > PER_MINUTE


def test_an_organizations_generations_are_counted_across_processes(
    own_database_url: str, tmp_path: Path
) -> None:
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    limits = {"org_max_generations": "1", "redis_lease_s": "2"}
    with _llm_cluster(own_database_url, tmp_path, llm, **limits) as ([first, second], tenant):
        headers = {"Authorization": f"Bearer {tenant.coach_key}"}
        with (
            httpx2.Client(base_url=first.base_url, headers=headers, timeout=30) as one,
            httpx2.Client(base_url=second.base_url, headers=headers, timeout=30) as two,
        ):
            assert one.post("/v1/coach/plans", json=plan_body(tenant, 1)).status_code == 202
            assert llm.wait_held(1)
            refused = two.post("/v1/coach/plans", json=plan_body(tenant, 1))
            assert refused.status_code == 429, refused.text
            assert "1 generations running" in refused.json()["error"]
            # The process holding the slot dies: its slot expires, it is not held for ever.
            first.kill()

            def plan_accepted() -> httpx2.Response | None:
                response = two.post("/v1/coach/plans", json=plan_body(tenant, 1))
                return response if response.status_code == 202 else None

            accepted = wait_until(plan_accepted, "the dead process's slot to expire")
            llm.release()
    assert accepted.json()["plan_id"]


def test_the_llm_budget_is_shared_by_every_process(own_database_url: str, tmp_path: Path) -> None:
    # Two plans of three weeks, one on each process, would have six requests open at once;
    # the deployment's budget is two.
    llm = ScriptedLLM(responder=good_responder(), hold_after_tokens=FIRST_WORKOUT_TOKENS)
    with _llm_cluster(own_database_url, tmp_path, llm, llm_budget="2") as (processes, tenant):
        plans = []
        for process in processes:
            with httpx2.Client(
                base_url=process.base_url, headers={"Authorization": f"Bearer {tenant.coach_key}"}
            ) as http:
                plans.append(http.post("/v1/coach/plans", json=plan_body(tenant, 3)).json())
        assert llm.wait_held(2)
        llm.release()
        streams = [
            _read(process.base_url, tenant.coach_key, f"/v1/coach/plans/{plan['plan_id']}/stream")
            for process, plan in zip(processes, plans, strict=True)
        ]
    assert [names(events)[-2:] for events in streams] == [["result", "done"]] * 2
    assert llm.max_open == 2
