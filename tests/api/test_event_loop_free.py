"""No request holds the event loop: while generate-plan requests are in their worker threads
with the largest adversarial drafts, /healthz and other tenants are answered; the workers
are limited (COACH_PLAN_WORKERS) and each generation has a deadline (COACH_PLAN_DEADLINE_S).

The proof waits on conditions, not on time: a plugin engine (the built-in one, registered
as an outside engine would be) holds each worker thread at a gate until the test has been
answered, then does the real work on the adversarial draft. Were the work on the event
loop, nothing could be answered while a gate is closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx2

from coach.engines import registry
from coach.engines.base import PlanEngine
from coach.engines.builtin import BuiltinEngine
from coach.engines.offload import Offload
from coach.settings import Settings
from tests.support.live import LiveServer, live_server
from tests.support.plans import body
from tests.support.tenants import Tenant, make_tenant

T = TypeVar("T")
LIMIT = 200_000
# The largest drafts the API takes, built to make a backtracking parser take forever.
ADVERSARIAL = {
    "one line and spaces": ("W1 D1 Easy run" + " " * LIMIT)[:LIMIT],
    "tiny garbage lines": ("a\n" * LIMIT)[:LIMIT],
    "digit runs": (("W1 D3 Intervals 1x" + "1" * 470 + "\n") * 500)[:LIMIT],
}


class Gate:
    """Worker threads wait here until the test opens it; `inside` counts the waiting."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.condition = threading.Condition()
        self.inside = 0

    def hold(self) -> None:
        with self.condition:
            self.inside += 1
            self.condition.notify_all()
        self.open.wait(timeout=120)
        with self.condition:
            self.inside -= 1

    def wait_inside(self, count: int, timeout: float = 60) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: self.inside >= count, timeout=timeout)


class GatedOffload(Offload):
    def __init__(self, workers: int, deadline_s: float, gate: Gate) -> None:
        super().__init__(workers, deadline_s)
        self.gate = gate

    async def run(self, what: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def held(*inner: Any, **named: Any) -> T:
            self.gate.hold()
            return func(*inner, **named)

        return await super().run(what, held, *args, **kwargs)


@contextmanager
def gated_service(database_url: str, gate: Gate, **override: Any) -> Iterator[LiveServer]:
    async def factory(settings: Settings) -> PlanEngine:
        offload = GatedOffload(settings.plan_workers, settings.plan_deadline_s, gate)
        return BuiltinEngine(settings.principles_dir, offload=offload)

    registry.register("gated-builtin", factory)
    try:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=database_url, engine="gated-builtin", **override
        )
        with live_server(settings) as live:
            yield live
    finally:
        gate.open.set()
        registry.unregister("gated-builtin")


def _post_plans(live: LiveServer, tenant: Tenant, drafts: list[str]) -> list[Any]:
    """Start one generate-plan per draft, each from its own client; their futures."""
    pool = ThreadPoolExecutor(max_workers=len(drafts))

    def post(draft: str) -> httpx2.Response:
        with live.client(tenant.coach_key) as http:
            return http.post(
                "/v1/coach/generate-plan", json=body(tenant, weeks=4, refined_draft=draft)
            )

    futures = [pool.submit(post, draft) for draft in drafts]
    pool.shutdown(wait=False)
    return futures


def test_health_and_other_tenants_are_answered_while_workers_read_adversarial_drafts(
    database_url: str,
) -> None:
    gate = Gate()
    workers = 2
    with gated_service(database_url, gate, plan_workers=workers) as live:
        tenant, other = make_tenant(live.db), make_tenant(live.db)
        drafts = list(ADVERSARIAL.values()) * 2
        futures = _post_plans(live, tenant, drafts)
        assert gate.wait_inside(workers), "the generations never reached a worker"
        with live.client(other.coach_key) as http:
            health = http.get("/healthz", timeout=10)
            principles = http.get("/v1/principles", timeout=10)
        # Every worker is busy and the rest wait for one: the limiter holds them back.
        inside = gate.inside
        gate.open.set()
        responses = [future.result(timeout=120) for future in futures]
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert principles.status_code == 200
    assert inside == workers
    codes = {draft_name: [] for draft_name in ADVERSARIAL}
    for name, response in zip(list(ADVERSARIAL) * 2, responses, strict=True):
        codes[name].append(response.status_code)
    # One line a coach could read is a plan; nothing readable is a 400 naming the field.
    assert codes["one line and spaces"] == [200, 200]
    assert codes["tiny garbage lines"] == [400, 400]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["details"][0]["field"] == "refined_draft"


def test_a_generation_past_its_deadline_fails_clearly(database_url: str) -> None:
    gate = Gate()
    with gated_service(database_url, gate, plan_workers=1, plan_deadline_s=0.5) as live:
        tenant = make_tenant(live.db)
        futures = _post_plans(live, tenant, [ADVERSARIAL["digit runs"]] * 2)
        assert gate.wait_inside(1)
        # The one worker is held: the other request's deadline passes while it waits.
        done, _ = wait(futures, timeout=60, return_when=FIRST_COMPLETED)
        gate.open.set()
        assert len(done) == 1
        late = done.pop().result()
        for future in futures:
            future.result(timeout=60)
    assert late.status_code == 500
    error = late.json()["error"]
    assert "took longer than the 0.5 s allowed (COACH_PLAN_DEADLINE_S)" in error
