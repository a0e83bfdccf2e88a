"""The MCP tools: each a name, its access (as an HTTP endpoint declares it), its argument
and result models, and a function over the same service functions the HTTP handlers call.

A tool never reaches past those functions: generation goes through the runner (and its
channel, drained as the synchronous endpoints drain it), reads through the lookups that
scope every row to the caller's organization, pushes through the push job. Tools change
nothing the HTTP API could not.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from coach.accounts import COACH_AGENT_FEATURE, Caller
from coach.api.endpoint import Access
from coach.api.generation import drained, plan_view_for
from coach.api.lists import PlanList, PlanListQuery, plan_list
from coach.api.lookups import plan_for
from coach.api.plan_view import PlanView
from coach.api.principles import (
    PrincipleList,
    ResolvedTrainingPrinciple,
    TrainingPrincipleQuery,
    builtin_principles,
    principle_in_force,
)
from coach.api.push_jobs import JobAccepted, PushJob, job_for, start_push
from coach.api.workouts import preview_template
from coach.errors import BadRequest
from coach.generation.context import build_context
from coach.mcp import edits as mcp_edits
from coach.mcp.models import (
    AppliedProposal,
    ApplyArguments,
    DraftArguments,
    JobId,
    NoArguments,
    PlanArguments,
    PlanId,
    PlanPreview,
    PlanSummary,
    PreviewArguments,
    PreviewedWorkout,
    Proposal,
    ProposeArguments,
    PushArguments,
)
from coach.plans.models import Workout
from coach.plans.report import CoachingReport
from coach.plans.requests import DraftResponse
from coach.services import Services
from coach.streaming.events import StreamEvent
from coach.templates.convert import workout_to_template

# Reports progress to the client that asked for it: (progress, total, message).
Progress = Callable[[float, float | None, str | None], Awaitable[None]]


@dataclass(frozen=True)
class Invocation:
    """One tool call: the services, the key's member, and where progress goes."""

    services: Services
    caller: Caller
    progress: Progress


A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class Tool(Generic[A, R]):
    name: str
    title: str
    description: str
    arguments: type[A]
    result: type[R]
    run: Callable[[Invocation, A], Awaitable[R]]
    access: Access = Access.STAFF
    feature: str | None = None
    read_only: bool = True


def plan_uri(plan_id: object) -> str:
    return f"coach://plans/{plan_id}"


# ---------------------------------------------------------------- principles


async def list_principles(call: Invocation, _: NoArguments) -> PrincipleList:
    return builtin_principles(call.services.settings.principles_dir)


async def get_training_principle(
    call: Invocation, args: TrainingPrincipleQuery
) -> ResolvedTrainingPrinciple:
    return await principle_in_force(call.services, call.caller, args.organization_id)


# ---------------------------------------------------------------- generation


class _Counter:
    """Progress notifications, numbered so each is higher than the one before."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.sent = 0

    async def step(self, message: str, total: float | None = None) -> None:
        self.sent += 1
        await self.progress(self.sent, total, message)


def _draft_progress(
    counter: _Counter, every_chars: int
) -> Callable[[StreamEvent], Awaitable[None]]:
    """Progress while a draft is written: each stage, and every `every_chars` of text."""
    written = 0
    reported = 0

    async def on_event(event: StreamEvent) -> None:
        nonlocal written, reported
        if event.event != "progress":
            return
        data = json.loads(event.data)
        if data.get("status") == "writing":
            written += len(data.get("text") or "")
            if written - reported >= every_chars:
                reported = written
                await counter.step(f"writing the draft: {written} characters")
        else:
            await counter.step(f"draft: {data.get('message', '')}")

    return on_event


def _plan_progress(counter: _Counter) -> Callable[[StreamEvent], Awaitable[None]]:
    """Progress while a plan is generated: a notification per workout."""
    offset = 0
    last: dict[str, Any] = {}

    async def on_event(event: StreamEvent) -> None:
        nonlocal offset, last
        if event.event == "workout":
            last = json.loads(event.data)
            return
        if event.event != "progress":
            return
        data = json.loads(event.data)
        count, total = data.get("count"), data.get("total")
        if data.get("status") == "started":
            counter.sent += 1
            offset = counter.sent
            await counter.progress(offset, offset + (total or 0), f"plan: {data['message']}")
        elif count and total and last:
            counter.sent = offset + count
            await counter.progress(
                counter.sent,
                offset + total,
                f"workout {count} of {total}: week {last['week']} day {last['day']} "
                f"{last['title']}",
            )
            last = {}

    return on_event


async def _write_draft(call: Invocation, args: DraftArguments, counter: _Counter) -> DraftResponse:
    request = args.request(call.caller.organization_id)
    ctx = await build_context(call.services, call.caller, request)
    run = await call.services.runner.start_draft(call.caller, ctx)
    every = call.services.settings.mcp_draft_progress_chars
    body = await drained(run, "draft", _draft_progress(counter, every))
    return DraftResponse.model_validate_json(body)


async def generate_draft(call: Invocation, args: DraftArguments) -> DraftResponse:
    return await _write_draft(call, args, _Counter(call.progress))


def summarize(view: PlanView) -> PlanSummary:
    workouts = view.content
    weeks = int(view.request.model_dump().get("weeks") or 0)
    distance = sum(w.distance for w in workouts)
    duration = sum(w.duration for w in workouts)
    start = workouts[0].date if workouts else None
    phases = ", ".join(
        f"week {week} {info.phase} ({info.focus})" for week, info in view.weekly_info.items()
    )
    text = (
        f"{len(workouts)} workouts over {weeks} weeks, {distance / 1000:.1f} km and "
        f"{duration / 3600:.1f} h in all"
        + (f", from {start.isoformat()}" if start else ", undated")
        + f". {phases}."
        + (f" {len(view.warnings)} warning(s)." if view.warnings else "")
    )
    return PlanSummary(
        plan_id=view.plan_id,
        status=view.status,
        revision=view.revision,
        weeks=weeks,
        workouts=len(workouts),
        total_distance_m=distance,
        total_duration_s=duration,
        start_date=start,
        weekly_info=view.weekly_info,
        warnings=view.warnings,
        resource_uri=plan_uri(view.plan_id),
        summary=text,
    )


async def generate_plan(call: Invocation, args: PlanArguments) -> PlanSummary:
    counter = _Counter(call.progress)
    draft = args.refined_draft
    if draft is None:
        draft = (await _write_draft(call, args, counter)).draft
    request = args.plan_request(call.caller.organization_id, draft)
    ctx = await build_context(call.services, call.caller, request)
    run = await call.services.runner.start_plan(call.caller, ctx)
    await drained(run, "plan", _plan_progress(counter))
    return summarize(await plan_view_for(call.services, call.caller, run.id))


# ---------------------------------------------------------------- plans


async def get_plan(call: Invocation, args: PlanId) -> PlanView:
    return await plan_view_for(call.services, call.caller, args.plan_id)


async def lint_plan(call: Invocation, args: PlanId) -> CoachingReport:
    view = await plan_view_for(call.services, call.caller, args.plan_id)
    if view.report is None:
        raise BadRequest.field("plan_id", f"the plan is {view.status}, not complete")
    return view.report


async def list_plans(call: Invocation, args: PlanListQuery) -> PlanList:
    return await plan_list(call.services, call.caller, args)


async def propose_edit(call: Invocation, args: ProposeArguments) -> Proposal:
    return await mcp_edits.propose(call.services, call.caller, args)


async def apply_proposal(call: Invocation, args: ApplyArguments) -> AppliedProposal:
    return await mcp_edits.apply(call.services, call.caller, args)


# ---------------------------------------------------------------- push


async def preview_push(call: Invocation, args: PreviewArguments) -> PlanPreview:
    row = await plan_for(call.services, call.caller, args.plan_id)
    if row.status != "complete":
        raise BadRequest.field("plan_id", f"the plan is {row.status}, not complete")
    sport = row.request.get("sport", "running")
    previewed = []
    for item in row.content:
        workout = Workout.model_validate(item)
        preview = preview_template(workout_to_template(workout, sport=sport), args)
        previewed.append(
            PreviewedWorkout(
                week=workout.week,
                day=workout.day,
                date=workout.date,
                workout_template=preview.workout_template,
                coercion_warnings=preview.coercion_warnings,
            )
        )
    return PlanPreview(
        plan_id=args.plan_id,
        provider=args.provider,
        coerced=sum(1 for p in previewed if p.coercion_warnings),
        workouts=previewed,
    )


async def push_plan(call: Invocation, args: PushArguments) -> JobAccepted:
    if not args.confirm:
        raise BadRequest.field(
            "confirm",
            "pushing puts the plan's workouts on the athlete's calendar; "
            "call again with confirm: true once the coach agrees",
        )
    return await start_push(call.services, call.caller, args.plan_id, args)


async def get_push_job(call: Invocation, args: JobId) -> PushJob:
    return await job_for(call.services, call.caller, args.job_id)


TOOLS: list[Tool[Any, Any]] = [
    Tool(
        "list_principles",
        "Training principles",
        "The built-in training principles (name, title, summary, rules, text); the one "
        "marked default applies when nothing else is set.",
        NoArguments,
        PrincipleList,
        list_principles,
        access=Access.MEMBER,
    ),
    Tool(
        "get_training_principle",
        "Principle in force",
        "The training principle the coach's plans use: their own, else the "
        "organization's, else the built-in default.",
        TrainingPrincipleQuery,
        ResolvedTrainingPrinciple,
        get_training_principle,
        feature=COACH_AGENT_FEATURE,
    ),
    Tool(
        "generate_draft",
        "Write a plan draft",
        "Write a human-readable multi-week plan draft for the coach to read and edit. "
        "Progress is reported while it is written.",
        DraftArguments,
        DraftResponse,
        generate_draft,
        feature=COACH_AGENT_FEATURE,
        read_only=False,
    ),
    Tool(
        "generate_plan",
        "Generate a plan",
        "Turn a coach-approved draft (refined_draft; without one a draft is written "
        "first) into structured workouts, one per training day, stored as a plan. "
        "Progress is reported while the draft is written and per workout. Answers the "
        "plan id and a summary; the whole plan is the resource coach://plans/{plan_id}.",
        PlanArguments,
        PlanSummary,
        generate_plan,
        feature=COACH_AGENT_FEATURE,
        read_only=False,
    ),
    Tool(
        "list_plans",
        "List plans",
        "The organization's plans, newest first, a page at a time (next_cursor); "
        "filter by status, athlete pushed to, or creation time.",
        PlanListQuery,
        PlanList,
        list_plans,
    ),
    Tool(
        "get_plan",
        "Read a plan",
        "A plan: its workouts, weekly info, warnings, status and revision.",
        PlanId,
        PlanView,
        get_plan,
    ),
    Tool(
        "lint_plan",
        "Check a plan",
        "Every coaching rule the plan breaks, by week and day, under its principle.",
        PlanId,
        CoachingReport,
        lint_plan,
    ),
    Tool(
        "propose_edit",
        "Propose an edit",
        "Change one or more workouts or weeks of a plan (update, delete, add, reorder a "
        "week, shift from a day on, copy a week) WITHOUT saving: answers the diff, the "
        "coaching report after the change, and a proposal id for apply_proposal.",
        ProposeArguments,
        Proposal,
        propose_edit,
    ),
    Tool(
        "apply_proposal",
        "Apply a proposal",
        "Save a proposed edit as the plan's next revision. Give the revision the proposal "
        "was made against; if the plan changed since, nothing is saved and the error says "
        "so (propose again on the current revision).",
        ApplyArguments,
        AppliedProposal,
        apply_proposal,
        read_only=False,
    ),
    Tool(
        "preview_push",
        "Preview a push",
        "Every workout of a plan as a provider (terra, shape, fit, ics) or a device "
        "behind one (garmin, wahoo, coros, zwift) would take it, with what it changes "
        "(coercion warnings). Nothing is sent.",
        PreviewArguments,
        PlanPreview,
        preview_push,
    ),
    Tool(
        "push_plan",
        "Push a plan",
        "Put every workout of a complete, dated plan on an athlete's calendar through "
        "their connection, as a durable job. Refused unless confirm is true: ask the "
        "coach first. Pushing the same plan to the same connection again makes no copy.",
        PushArguments,
        JobAccepted,
        push_plan,
        read_only=False,
    ),
    Tool(
        "get_push_job",
        "Push job status",
        "A push job's status and counts (pushed, failed, queued).",
        JobId,
        PushJob,
        get_push_job,
    ),
]
