"""Proposed edits: `propose_edit` runs the editor's own edits (coach.plans.edits) on the
plan without saving, shows the diff and the coaching report after them, and stores the
result as a proposal; `apply_proposal` saves exactly that as the plan's next revision,
through the same compare-and-set save as the editor's endpoints (412 when the plan
moved on since).

Proposals are stored (coach.plans.proposals), not signed into their id: an assistant
passes back a short id, and what is applied is what was shown, byte for byte.
"""

from __future__ import annotations

import uuid

from coach.accounts import Caller
from coach.api.lookups import plan_for
from coach.api.plan_edits import checked_edit, save_edit, stored_content
from coach.db.tables import PlanRow, ProposalRow
from coach.errors import BadRequest, NotFound
from coach.mcp.models import (
    AddOp,
    AppliedProposal,
    ApplyArguments,
    CopyOp,
    DeleteOp,
    EditOp,
    Proposal,
    ProposeArguments,
    ReorderOp,
    ShiftOp,
    UpdateOp,
    WorkoutDiff,
)
from coach.plans import edits
from coach.plans.edits import Change, Edit, PlanContent
from coach.plans.models import Workout
from coach.plans.proposals import drop_proposal, live_proposal, save_proposal
from coach.plans.report import coaching_report, plan_weeks, stored_principle
from coach.plans.revisions import dump_weekly_info, dump_workouts, load_workouts
from coach.services import Services


def _one(content: PlanContent, op: EditOp) -> Edit:
    if isinstance(op, UpdateOp):
        return edits.update_workout(
            content, op.week, op.day, op.fields.model_dump(exclude_unset=True)
        )
    if isinstance(op, DeleteOp):
        return edits.delete_workout(content, op.week, op.day)
    if isinstance(op, AddOp):
        return edits.add_workout(content, op.workout.model_dump())
    if isinstance(op, ReorderOp):
        return edits.reorder_week(content, op.week, op.days)
    if isinstance(op, ShiftOp):
        return edits.shift(content, op.from_week, op.from_day, op.days)
    assert isinstance(op, CopyOp)
    return edits.copy_week(content, op.week, op.to_week)


def combined(content: PlanContent, ops: list[EditOp]) -> Edit:
    """The edits one after the other, as one edit."""
    summaries: list[str] = []
    changes: list[Change] = []
    for op in ops:
        edit = _one(content, op)
        content = edit.content
        summaries.append(edit.summary)
        changes.extend(edit.changes)
    return Edit(content, "; ".join(summaries), changes)


def diff(before: list[Workout], after: list[Workout]) -> list[WorkoutDiff]:
    """Every day whose workout the edit adds, removes or changes, in plan order."""
    old = {(w.week, w.day): w for w in before}
    new = {(w.week, w.day): w for w in after}
    found = []
    for week, day in sorted(old.keys() | new.keys()):
        was, now = old.get((week, day)), new.get((week, day))
        if was == now:
            continue
        fields: list[str] = []
        if was is not None and now is not None:
            a, b = was.model_dump(mode="json"), now.model_dump(mode="json")
            fields = [name for name in a if a[name] != b.get(name)]
        change = "added" if was is None else "removed" if now is None else "changed"
        found.append(
            WorkoutDiff.model_validate(
                {
                    "week": week,
                    "day": day,
                    "change": change,
                    "fields": fields,
                    "before": was,
                    "after": now,
                }
            )
        )
    return found


async def propose(services: Services, caller: Caller, args: ProposeArguments) -> Proposal:
    limit = services.settings.mcp_proposal_max_changes
    if len(args.changes) > limit:
        raise BadRequest.field("changes", f"at most {limit} changes in one proposal")
    row = await plan_for(services, caller, args.plan_id)
    revision = args.revision if args.revision is not None else row.revision
    edit = checked_edit(row, revision, lambda r: combined(PlanContent.of(r), args.changes))
    after = edit.content.workouts
    report = coaching_report(
        after,
        request=row.request,
        principle=stored_principle(row.training_principle, services.settings.principles_dir),
        weeks=plan_weeks(row.request, after),
    )
    stored = await services.db.run(
        lambda s: save_proposal(
            s,
            organization_id=caller.organization_id,
            plan_id=args.plan_id,
            member_id=caller.member_id,
            revision=revision,
            summary=edit.summary,
            changes=edit.dumped_changes(),
            content=dump_workouts(after),
            weekly_info=dump_weekly_info(edit.content.weekly_info),
            ttl_s=services.settings.mcp_proposal_ttl_s,
        )
    )
    return Proposal(
        proposal_id=uuid.UUID(stored.id),
        plan_id=args.plan_id,
        revision=revision,
        summary=edit.summary,
        changes=edit.changes,
        diff=diff(load_workouts(row.content), after),
        report=report,
        expires_at=stored.expires_at,
    )


async def apply(services: Services, caller: Caller, args: ApplyArguments) -> AppliedProposal:
    proposal = await services.db.run(lambda s: live_proposal(s, args.proposal_id))
    if proposal is None or proposal.organization_id != caller.organization_id:
        raise NotFound(f"proposal {args.proposal_id} not found (or expired)")
    if args.revision != proposal.revision:
        raise BadRequest.field(
            "revision",
            f"proposal {proposal.id} was made against revision {proposal.revision}, "
            f"not {args.revision}",
        )
    row = await plan_for(services, caller, uuid.UUID(proposal.plan_id))
    edit = checked_edit(row, proposal.revision, lambda r: _stored_edit(r, proposal))
    view = await save_edit(services, caller, row, proposal.revision, edit)
    await services.db.run(lambda s: drop_proposal(s, args.proposal_id))
    return AppliedProposal(
        plan_id=view.plan_id,
        revision=view.revision,
        summary=proposal.summary,
        report=view.report,
        resource_uri=f"coach://plans/{view.plan_id}",
    )


def _stored_edit(row: PlanRow, proposal: ProposalRow) -> Edit:
    changes = [Change.model_validate(c) for c in proposal.changes]
    content = stored_content(row, proposal.content, proposal.weekly_info)
    return Edit(content, proposal.summary, changes)
