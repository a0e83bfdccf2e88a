"""SQLModel tables: organizations, members and their hashed API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from coach.db.utc import UtcDateTime

ROLES = ("admin", "coach", "athlete")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # The Terra-style `dev-id` header names the organization on /v2.
    dev_id: str = Field(max_length=64, unique=True, index=True)
    features: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    training_principle: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class Member(SQLModel, table=True):
    __tablename__ = "members"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    # Only the SHA-256 of the key is stored; the prefix lets an admin tell keys apart.
    key_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    revoked_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class PlanRow(SQLModel, table=True):
    """A generated plan: stored as it is generated, so it can be followed and replayed."""

    __tablename__ = "plans"

    id: str = Field(primary_key=True, max_length=36)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    member_id: int = Field(foreign_key="members.id")
    status: str = Field(max_length=16)  # generating, complete, failed
    engine: str = Field(max_length=32)
    request: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    training_principle: str = Field(sa_column=Column(Text, nullable=False))
    content: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    weekly_info: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    finished_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    # The process generating the plan, and when it last said it still was: a plan whose
    # heartbeat stopped is failed by any live process (the generating one died).
    runner_id: str | None = Field(default=None, max_length=64)
    heartbeat_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True, index=True)
    )
    # Edits: 0 while generating, 1 once generated, one more per saved edit.
    revision: int = Field(default=0)
    # A coach asked to stop the generation; the process generating it stops it.
    cancel_requested_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class ProposalRow(SQLModel, table=True):
    """An edit of a plan proposed through MCP and not applied yet: the revision it was
    made against and the plan as it would be after it."""

    __tablename__ = "mcp_proposals"

    id: str = Field(primary_key=True, max_length=36)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    plan_id: str = Field(foreign_key="plans.id", max_length=36)
    member_id: int = Field(foreign_key="members.id")
    revision: int
    summary: str = Field(sa_column=Column(Text, nullable=False))
    changes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    content: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    weekly_info: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    expires_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))


class PlanRevisionRow(SQLModel, table=True):
    """One saved state of a plan: who changed what, when, and the plan as it then was."""

    __tablename__ = "plan_revisions"
    __table_args__ = (
        UniqueConstraint("plan_id", "revision", name="uq_plan_revisions_plan_revision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plans.id", max_length=36, index=True)
    revision: int
    member_id: int | None = Field(default=None, foreign_key="members.id")
    summary: str = Field(sa_column=Column(Text, nullable=False))
    changes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    content: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    weekly_info: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class DraftRow(SQLModel, table=True):
    """A draft as it is written: stored, so it can be followed, resumed and read back."""

    __tablename__ = "drafts"

    id: str = Field(primary_key=True, max_length=36)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    member_id: int = Field(foreign_key="members.id")
    status: str = Field(max_length=16)  # generating, complete, failed
    engine: str = Field(max_length=32)
    request: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    training_principle: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    runner_id: str | None = Field(default=None, max_length=64)
    heartbeat_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    finished_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class WorkoutTemplateRow(SQLModel, table=True):
    """An organization's workout template (/v2/workouts): its workout library."""

    __tablename__ = "workout_templates"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(max_length=200)
    sport: str = Field(max_length=64)
    template: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # SHA-256 of the template's JSON, for templates a plan push made: pushing plans again
    # (to other connections, or plans with the same workouts) reuses them instead of
    # adding a copy to the library each time.
    content_hash: str | None = Field(default=None, max_length=64, index=True)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class AthleteRow(SQLModel, table=True):
    """An athlete of an organization; planned dates are dates in the athlete's timezone."""

    __tablename__ = "athletes"

    user_id: str = Field(primary_key=True, max_length=36)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    thresholds: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class ConnectionRow(SQLModel, table=True):
    """An athlete's link to a provider. Credentials are encrypted and never returned."""

    __tablename__ = "connections"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    user_id: str = Field(foreign_key="athletes.user_id", index=True, max_length=36)
    provider: str = Field(max_length=32)
    credentials_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The secret part of the private calendar feed URL (ics connections).
    feed_token: str = Field(max_length=64, unique=True, index=True)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    disconnected_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class PushJobRow(SQLModel, table=True):
    """Pushing a whole plan to one connection; its planned workouts carry the progress."""

    __tablename__ = "push_jobs"

    id: str = Field(primary_key=True, max_length=36)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    plan_id: str = Field(max_length=36, index=True)
    user_id: str = Field(max_length=36)
    connection_id: int = Field(foreign_key="connections.id")
    status: str = Field(max_length=16)  # running, complete, failed
    total: int = 0
    # Jobs of an assignment push the difference between what the connection has and the
    # plan's `revision`; their items (push_job_items) say what each workout got.
    assignment_id: str | None = Field(default=None, max_length=36, index=True)
    revision: int | None = None
    unchanged: int = 0
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    finished_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class PlannedWorkoutRow(SQLModel, table=True):
    """A template on a date on a connection: the outbox row a worker pushes exactly once."""

    __tablename__ = "planned_workouts"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    user_id: str = Field(max_length=36, index=True)
    connection_id: int = Field(foreign_key="connections.id", index=True)
    workout_id: int = Field(description="The template; it may be deleted later.")
    # What this row pushes: the template as it was when the push was asked for, so a
    # template deleted or edited later changes neither the push nor the calendar feed.
    template: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    planned_date: dt.date
    # queued -> pushed | failed; deleting -> deleted once removed from the provider.
    # Every change is a compare-and-set on (status, claim_token): see coach/push/outbox.py.
    status: str = Field(max_length=16, index=True)
    provider_workout_id: str | None = Field(default=None, max_length=128, index=True)
    # The date the provider has it on; a pushed row whose planned_date differs is due a move.
    provider_date: dt.date | None = None
    # What the adapter learned in earlier attempts (Terra's template id), dates an unanswered
    # attempt may have used before the row was moved, and whether only a look-up remains.
    progress: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    idempotency_key: str = Field(max_length=80, unique=True)
    coercion_warnings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    artifact: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # A worker that claims the row holds it until lease_until; a crashed worker's rows are
    # claimed again after that, with in_flight telling the adapter to look before creating.
    lease_until: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    in_flight: bool = False
    # Set by the claim that holds the row: claiming is a compare-and-set on the due
    # condition, so two workers can never both hold a row (SQLite has no SKIP LOCKED).
    claim_token: str | None = Field(default=None, max_length=32)
    next_attempt_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True, index=True)
    )
    # The row is settled (pushed, failed, deleted) by then whatever the provider does.
    deadline_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True, index=True)
    )
    push_job_id: str | None = Field(default=None, max_length=36, index=True)
    plan_id: str | None = Field(default=None, max_length=36)
    # A push that followed an attempt whose outcome is unknown may have a late twin on
    # the provider: its copies are looked for (by marker) at verify_at, and every one but
    # the row's own removed. verified_at: the last look; null while none was made.
    verify_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True, index=True)
    )
    verified_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    duplicates_removed: int = 0
    # Rows of an assignment: the plan day the row stands for now (a move re-dates the
    # row and changes its day) and the hash of its template, which a later push of the
    # assignment compares with the plan's current workouts.
    assignment_id: str | None = Field(default=None, max_length=36, index=True)
    plan_week: int | None = None
    plan_day: int | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class AssignmentRow(SQLModel, table=True):
    """A plan assigned to an athlete from a start date; pushes send its revisions."""

    __tablename__ = "plan_assignments"
    __table_args__ = (UniqueConstraint("plan_id", "user_id", name="uq_plan_assignments_plan_user"),)

    id: str = Field(primary_key=True, max_length=36)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    plan_id: str = Field(foreign_key="plans.id", max_length=36, index=True)
    user_id: str = Field(foreign_key="athletes.user_id", max_length=36)
    member_id: int | None = Field(default=None, foreign_key="members.id")
    start_date: dt.date
    # The plan's revision the last push sent (0: none yet).
    revision: int = 0
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    pushed_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )


class PushJobItemRow(SQLModel, table=True):
    """What an assignment's push job did to one workout: create, update, delete, retry."""

    __tablename__ = "push_job_items"

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="push_jobs.id", max_length=36, index=True)
    planned_workout_id: int = Field(foreign_key="planned_workouts.id")
    # An update that replaces the workout: the old copy, removed from the provider.
    replaces_id: int | None = Field(default=None, foreign_key="planned_workouts.id")
    action: str = Field(max_length=16)  # create, update, delete, retry
    method: str | None = Field(default=None, max_length=16)  # update: move, replace
    week: int
    day: int
