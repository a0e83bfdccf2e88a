"""plan assignments; push jobs and planned workouts of an assignment; push job items

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sqlmodel.sql.sqltypes.AutoString(length=36)


def upgrade() -> None:
    op.create_table(
        "plan_assignments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["athletes.user_id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "user_id", name="uq_plan_assignments_plan_user"),
    )
    op.create_index("ix_plan_assignments_organization_id", "plan_assignments", ["organization_id"])
    op.create_index("ix_plan_assignments_plan_id", "plan_assignments", ["plan_id"])
    with op.batch_alter_table("push_jobs") as batch:
        batch.add_column(sa.Column("assignment_id", _ID, nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unchanged", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_push_jobs_assignment_id", ["assignment_id"])
    with op.batch_alter_table("planned_workouts") as batch:
        batch.add_column(sa.Column("assignment_id", _ID, nullable=True))
        batch.add_column(sa.Column("plan_week", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("plan_day", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.create_index("ix_planned_workouts_assignment_id", ["assignment_id"])
    op.create_table(
        "push_job_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", _ID, nullable=False),
        sa.Column("planned_workout_id", sa.Integer(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["push_jobs.id"]),
        sa.ForeignKeyConstraint(["planned_workout_id"], ["planned_workouts.id"]),
        sa.ForeignKeyConstraint(["replaces_id"], ["planned_workouts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_push_job_items_job_id", "push_job_items", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_push_job_items_job_id", table_name="push_job_items")
    op.drop_table("push_job_items")
    with op.batch_alter_table("planned_workouts") as batch:
        batch.drop_index("ix_planned_workouts_assignment_id")
        batch.drop_column("content_hash")
        batch.drop_column("plan_day")
        batch.drop_column("plan_week")
        batch.drop_column("assignment_id")
    with op.batch_alter_table("push_jobs") as batch:
        batch.drop_index("ix_push_jobs_assignment_id")
        batch.drop_column("unchanged")
        batch.drop_column("revision")
        batch.drop_column("assignment_id")
    op.drop_index("ix_plan_assignments_plan_id", table_name="plan_assignments")
    op.drop_index("ix_plan_assignments_organization_id", table_name="plan_assignments")
    op.drop_table("plan_assignments")
