"""CPU-bound engine work (reading drafts, planning) off the event loop: in worker threads,
a limited number at once, each under a deadline.

A coach's draft may be 200,000 characters and a plan 52 weeks; done on the event loop, one
such request would hold every other tenant's requests (and /healthz) until it finished.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
from anyio.lowlevel import RunVar

from coach.engines.base import EngineError
from coach.errors import BadRequest
from coach.plans.deadline import Deadline, DeadlineExceeded
from coach.settings import Settings

T = TypeVar("T")
SWITCH_INTERVAL_S = 0.0005


class Offload:
    """Runs `func(*args, deadline=..., **kwargs)` in a worker thread.

    At most `workers` run at once (an anyio CapacityLimiter per event loop); the rest wait
    their turn. The deadline counts from the call, waiting included: the work checks it
    as it goes and stops itself (a thread cannot be cancelled), and a call still waiting
    for a worker when it passes fails at once. Either way the generation fails with a clear
    message, and the worker is free for the next request.
    """

    def __init__(self, workers: int, deadline_s: float) -> None:
        # A thread busy in Python holds the GIL until another asks for it and the switch
        # interval (5 ms by default) has passed; the event loop asks several times per
        # request. At 0.5 ms it waits a tenth as long, and nothing changes while no other
        # thread wants the GIL.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self.workers = workers
        self.deadline_s = deadline_s
        self._limiter: RunVar[anyio.CapacityLimiter] = RunVar(f"coach-offload-{id(self)}")

    def limiter(self) -> anyio.CapacityLimiter:
        try:
            return self._limiter.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(self.workers)
            self._limiter.set(limiter)
            return limiter

    async def run(self, what: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        deadline = Deadline(self.deadline_s)
        call = partial(func, *args, deadline=deadline, **kwargs)
        try:
            with anyio.fail_after(self.deadline_s):
                return await anyio.to_thread.run_sync(call, limiter=self.limiter())
        except (TimeoutError, DeadlineExceeded):
            raise EngineError(
                f"{what} took longer than the {self.deadline_s:g} s allowed "
                "(COACH_PLAN_DEADLINE_S); try a shorter draft or fewer weeks"
            ) from None

    @classmethod
    def from_settings(cls, settings: Settings) -> Offload:
        return cls(settings.plan_workers, settings.plan_deadline_s)

    @classmethod
    def default(cls) -> Offload:
        fields = Settings.model_fields
        workers = fields["plan_workers"].default
        deadline = fields["plan_deadline_s"].default
        assert isinstance(workers, int) and isinstance(deadline, float)
        return cls(workers, deadline)


def as_engine_error(exc: BadRequest) -> EngineError:
    """A request error met inside a generation: the run fails with its message (the
    synchronous endpoint checks before it starts a run, and answers 400)."""
    return EngineError(exc.message, exc.details)
