"""Generation runs: an engine driven in a task of its own, its events published on a channel.

Every generation endpoint is a view of one run. The SSE endpoints follow the run's
channel, the synchronous endpoints drain the same channel, and a client that resumes
follows it from where it left. The run owns the lifecycle: a plan's row is written when
the run starts and completed or failed when it ends, and the engine's event generator is
iterated and closed inside the run's own task, as the engine contract requires (an LLM
plan keeps a task group open while it yields).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from contextlib import aclosing

import anyio
from anyio.abc import TaskGroup

from coach.accounts import Caller
from coach.db.database import Database
from coach.db.liveness import beat, fail_stale
from coach.engines.base import (
    DraftContext,
    EngineError,
    PlanContext,
    PlanEngine,
    WeekRequest,
    WorkoutReady,
)
from coach.engines.events import DraftProgress, PlanAccumulator, PlanEvent
from coach.errors import CoachError
from coach.plans.draft_store import fail_draft, finish_draft, start_draft
from coach.plans.requests import DraftResponse, PlanResponse, echo
from coach.plans.revisions import save_revision
from coach.plans.store import cancel_requested, fail_plan, finish_plan, start_plan
from coach.plans.week_plan import WeekPlan
from coach.quotas import Lease, Quotas
from coach.streaming.broker import Broker, Channel
from coach.streaming.events import DONE, Progress, StreamEvent, error_events
from coach.streaming.plan_events import PlanStreamTranslator

log = logging.getLogger("coach.generation")

# Stored as the plan's error when the client whose stream started it went away.
CANCELLED = "cancelled: the requesting client disconnected"
# Stored as the plan's error when a coach cancels its generation.
CANCELLED_BY_COACH = "cancelled by a coach"
# Stored as the plan's error when the service stops while generating it.
INTERRUPTED = "interrupted: the service stopped"


def failure_reason(exc: BaseException) -> str:
    """What a failed generation reports: the engine's own words, or "internal error"
    (logged with its traceback) for anything unexpected."""
    if isinstance(exc, EngineError):
        return str(exc)
    log.error("generation failed", exc_info=exc)
    return "internal error"


def failed_events(reason: str) -> list[StreamEvent]:
    """The end of a failed stream, the same live and replayed from the database."""
    return error_events(f"generation failed: {reason}")


class Run(ABC):
    """One generation: started once, followed by any number of clients, ended once."""

    def __init__(self, run_id: uuid.UUID, channel: Channel) -> None:
        self.id = run_id
        self.channel = channel
        # The organization's generation slot, given back when the run ends.
        self.lease: Lease | None = None
        self.error: str | None = None
        self.finished = anyio.Event()
        self._scope = anyio.CancelScope()
        self._cancel_reason = CANCELLED

    def cancel(self, reason: str = CANCELLED) -> None:
        """Stop the generation; its followers get `error` (with `reason`), then `done`."""
        if not self.finished.is_set():
            self._cancel_reason = reason
            self._scope.cancel()

    async def execute(self) -> None:
        """The run's task: generate, then record how it ended, whatever ends it."""
        try:
            with self._scope:
                await self._generate()
                return
            await self._end_failed(self._cancel_reason)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._end_failed(INTERRUPTED)
            raise
        except Exception as exc:
            await self._end_failed(failure_reason(exc))
        finally:
            if self.lease is not None:
                await self.lease.release()
            with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                await self.channel.finish()
            self.finished.set()

    async def _end_failed(self, reason: str) -> None:
        self.error = reason
        with anyio.CancelScope(shield=True):
            await self._record_failure(reason)
        with anyio.CancelScope(shield=True), anyio.move_on_after(10):
            for event in failed_events(reason):
                await self.channel.publish(event)

    @abstractmethod
    async def _generate(self) -> None:
        """Run the engine, publishing every event on the channel, `done` last."""

    async def _record_failure(self, reason: str) -> None:
        """Store the failure where the run is stored (nothing by default)."""
        return None


class DraftRun(Run):
    def __init__(
        self,
        run_id: uuid.UUID,
        channel: Channel,
        engine: PlanEngine,
        ctx: DraftContext,
        db: Database,
    ) -> None:
        super().__init__(run_id, channel)
        self.engine = engine
        self.ctx = ctx
        self.db = db
        self.pieces: list[str] = []

    @property
    def text(self) -> str:
        """The draft written so far."""
        return "".join(self.pieces)

    async def _generate(self) -> None:
        publish = self.channel.publish
        await publish(
            StreamEvent.of(
                "progress",
                Progress(
                    status="started",
                    message="resolving principle and building the prompt",
                    progress=0,
                ),
            )
        )
        pieces = self.pieces
        percent = 0
        async with aclosing(self.engine.draft(self.ctx)) as draft:
            async for event in draft:
                if isinstance(event, DraftProgress):
                    percent = event.progress
                    progress = Progress(
                        status=event.status, message=event.message, progress=percent
                    )
                else:
                    pieces.append(event.text)
                    progress = Progress(
                        status="writing", message="draft text", progress=percent, text=event.text
                    )
                await publish(StreamEvent.of("progress", progress))
        text = "".join(pieces)
        await self.db.run(lambda s: finish_draft(s, draft_id=self.id, text=text))
        result = DraftResponse(
            draft=text, training_principle=self.ctx.principle.text, request=echo(self.ctx.request)
        )
        await publish(StreamEvent.of("result", result))
        await publish(DONE)

    async def _record_failure(self, reason: str) -> None:
        await self.db.run(lambda s: fail_draft(s, draft_id=self.id, error=reason))


class PlanEventsRun(Run):
    """A run of an engine's plan events, translated into the plan stream's events."""

    def __init__(
        self,
        run_id: uuid.UUID,
        channel: Channel,
        engine: PlanEngine,
        ctx: PlanContext,
        db: Database,
        *,
        plan_id: uuid.UUID,
    ) -> None:
        super().__init__(run_id, channel)
        self.engine = engine
        self.ctx = ctx
        self.db = db
        self.translator = PlanStreamTranslator(plan_id, incremental=True)

    async def _publish_plan(self, events: AsyncGenerator[PlanEvent, None]) -> PlanAccumulator:
        """Iterate (and close) the engine's events, publishing their stream events; the
        plan they add up to."""
        async with aclosing(events) as stream:
            async for engine_event in stream:
                self._check(engine_event)
                for event in self.translator.on_event(engine_event):
                    await self.channel.publish(event)
        return self.translator.plan

    def _check(self, event: PlanEvent) -> None:
        """Raise an EngineError for an event the run cannot take (nothing by default)."""
        return None


class PlanRun(PlanEventsRun):
    def __init__(
        self,
        run_id: uuid.UUID,
        channel: Channel,
        engine: PlanEngine,
        ctx: PlanContext,
        db: Database,
    ) -> None:
        super().__init__(run_id, channel, engine, ctx, db, plan_id=run_id)

    def response(self) -> PlanResponse:
        """The plan as the synchronous endpoint answers it (complete once the run is)."""
        return self.translator.plan.response(
            plan_id=self.id, principle_text=self.ctx.principle.text, request=self.ctx.request
        )

    async def _generate(self) -> None:
        plan = await self._publish_plan(self.engine.plan(self.ctx))
        await self.db.run(
            lambda s: finish_plan(
                s,
                plan_id=self.id,
                workouts=plan.workouts,
                weekly_info=plan.weekly_info,
                warnings=plan.warnings,
            )
        )
        await self.channel.publish(self.translator.result())
        await self.channel.publish(DONE)

    async def _record_failure(self, reason: str) -> None:
        await self.db.run(lambda s: fail_plan(s, plan_id=self.id, error=reason))


class WeekRun(PlanEventsRun):
    """One week of a stored plan written again, then saved as the plan's next revision
    with only that week replaced; a failure saves nothing (the plan stays as it was)."""

    def __init__(
        self,
        run_id: uuid.UUID,
        channel: Channel,
        engine: PlanEngine,
        ctx: PlanContext,
        db: Database,
        *,
        plan: WeekPlan,
    ) -> None:
        # The stream is the plan's: its events carry the plan's id.
        super().__init__(run_id, channel, engine, ctx, db, plan_id=plan.plan_id)
        self.plan = plan

    def _check(self, event: PlanEvent) -> None:
        if isinstance(event, WorkoutReady) and event.workout.week != self.plan.week:
            raise EngineError(f"week {self.plan.week}: the engine wrote week {event.workout.week}")

    async def _generate(self) -> None:
        plan, week = self.plan, self.plan.week
        written = await self._publish_plan(
            self.engine.week(self.ctx, WeekRequest(week, plan.neighbours()))
        )
        workouts, weekly_info = plan.with_week(written.workouts, written.weekly_info.get(week))
        try:
            row = await self.db.run(
                lambda s: save_revision(
                    s,
                    plan_id=plan.plan_id,
                    expected_revision=plan.revision,
                    member_id=plan.member_id,
                    summary=f"regenerated week {week}",
                    changes=[{"op": "regenerate", "week": week}],
                    workouts=workouts,
                    weekly_info=weekly_info,
                )
            )
        except CoachError as exc:  # another editor saved first, ...: nothing is saved
            raise EngineError(f"week {week} was not saved: {exc.message}") from exc
        await self.channel.publish(self.translator.result())
        await self.channel.publish(
            StreamEvent.of(
                "progress",
                Progress(
                    status="saved",
                    message=f"week {week} saved as revision {row.revision}",
                    progress=100,
                    count=len(written.workouts),
                    total=len(written.workouts),
                ),
            )
        )
        await self.channel.publish(DONE)


class Runner:
    """Starts runs in the service's task group, so a run outlives the request that began
    it until it ends or is cancelled; the broker keeps its channel for followers."""

    def __init__(
        self,
        *,
        db: Database,
        engine: PlanEngine,
        broker: Broker,
        tasks: TaskGroup,
        quotas: Quotas,
        runner_id: str | None = None,
    ) -> None:
        self.quotas = quotas
        self.db = db
        self.engine = engine
        self.broker = broker
        self.tasks = tasks
        # Names this process on what it generates (host, pid, and a random part for
        # processes that reuse a pid).
        self.runner_id = runner_id or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.active: dict[uuid.UUID, Run] = {}

    async def keep_alive(self, *, interval_s: float, stale_after_s: float) -> None:
        """Until cancelled: beat for what this process generates, stop the plans a coach
        asked to cancel elsewhere, and fail what dead processes left generating.

        The first pass runs at once: at start-up it fails what a crash left generating.
        """
        while True:
            try:
                await self.db.run(lambda s: beat(s, runner_id=self.runner_id))
                for plan_id in await self.db.run(
                    lambda s: cancel_requested(s, runner_id=self.runner_id)
                ):
                    if (run := self.active.get(plan_id)) is not None:
                        run.cancel(CANCELLED_BY_COACH)
                failed = await self.db.run(
                    lambda s: fail_stale(s, stale_after_s=stale_after_s, error=INTERRUPTED)
                )
                if failed:
                    log.warning("%d generation(s) whose process stopped marked failed", len(failed))
                for run_id in failed:
                    # Followers in every process learn it from the run's shared stream.
                    await self.broker.end_orphan(run_id, failed_events(INTERRUPTED))
            except Exception:  # a database hiccup must not end the heartbeat
                log.exception("generation heartbeat failed")
            await anyio.sleep(interval_s)

    async def start_draft(self, caller: Caller, ctx: DraftContext) -> DraftRun:
        """Write the draft's row, then start writing the draft; 429 when the organization
        runs its limit of generations."""
        draft_id = uuid.uuid4()
        request = ctx.request
        lease = await self.quotas.take(request.organization_id, "generations")
        try:
            await self.db.run(
                lambda s: start_draft(
                    s,
                    draft_id=draft_id,
                    organization_id=request.organization_id,
                    member_id=caller.member_id,
                    engine=self.engine.name,
                    request=request.model_dump(mode="json"),
                    training_principle=ctx.principle.text,
                    runner_id=self.runner_id,
                )
            )
        except BaseException:
            await lease.release()
            raise
        run = DraftRun(draft_id, self.broker.open(draft_id), self.engine, ctx, self.db)
        self._start(run, lease, f"draft-{draft_id}")
        return run

    async def start_plan(self, caller: Caller, ctx: PlanContext) -> PlanRun:
        """Write the plan's row (status `generating`), then start generating it; 400 for a
        draft with nothing to plan, 429 when the organization runs its limit of
        generations."""
        await self.engine.check_plan_request(ctx)
        plan_id = uuid.uuid4()
        request = ctx.request
        lease = await self.quotas.take(request.organization_id, "generations")
        try:
            await self.db.run(
                lambda s: start_plan(
                    s,
                    plan_id=plan_id,
                    organization_id=request.organization_id,
                    member_id=caller.member_id,
                    engine=self.engine.name,
                    request=request.model_dump(mode="json"),
                    training_principle=ctx.principle.text,
                    runner_id=self.runner_id,
                )
            )
        except BaseException:
            await lease.release()
            raise
        run = PlanRun(plan_id, self.broker.open(plan_id), self.engine, ctx, self.db)
        self._start(run, lease, f"plan-{plan_id}")
        return run

    async def start_week(self, caller: Caller, ctx: PlanContext, plan: WeekPlan) -> WeekRun:
        """Start writing one week of a stored plan again; 400 for a draft with nothing to
        plan, 429 when the organization runs its limit of generations."""
        await self.engine.check_plan_request(ctx)
        lease = await self.quotas.take(ctx.request.organization_id, "generations")
        run_id = uuid.uuid4()
        run = WeekRun(run_id, self.broker.open(run_id), self.engine, ctx, self.db, plan=plan)
        self._start(run, lease, f"plan-{plan.plan_id}-week-{plan.week}")
        return run

    def _start(self, run: Run, lease: Lease, name: str) -> None:
        run.lease = lease
        self.active[run.id] = run

        async def execute() -> None:
            try:
                await run.execute()
            finally:
                self.active.pop(run.id, None)

        self.tasks.start_soon(execute, name=name)
