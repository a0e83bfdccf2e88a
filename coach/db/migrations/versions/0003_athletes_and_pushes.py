"""athletes connections planned workouts push jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:14:15.369779
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "athletes",
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("athletes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_athletes_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("feed_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disconnected_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["athletes.user_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connections_feed_token"), ["feed_token"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_connections_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_connections_user_id"), ["user_id"], unique=False)

    op.create_table(
        "planned_workouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("workout_id", sa.Integer(), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "provider_workout_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True
        ),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("coercion_warnings", sa.JSON(), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_flight", sa.Boolean(), nullable=False),
        sa.Column("claim_token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("push_job_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("plan_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("planned_workouts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planned_workouts_connection_id"), ["connection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planned_workouts_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planned_workouts_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planned_workouts_provider_workout_id"),
            ["provider_workout_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_planned_workouts_push_job_id"), ["push_job_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_planned_workouts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_planned_workouts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "push_jobs",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("push_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_push_jobs_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_push_jobs_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("push_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_jobs_plan_id"))
        batch_op.drop_index(batch_op.f("ix_push_jobs_organization_id"))

    op.drop_table("push_jobs")
    with op.batch_alter_table("planned_workouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_workouts_user_id"))
        batch_op.drop_index(batch_op.f("ix_planned_workouts_status"))
        batch_op.drop_index(batch_op.f("ix_planned_workouts_push_job_id"))
        batch_op.drop_index(batch_op.f("ix_planned_workouts_provider_workout_id"))
        batch_op.drop_index(batch_op.f("ix_planned_workouts_organization_id"))
        batch_op.drop_index(batch_op.f("ix_planned_workouts_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_planned_workouts_connection_id"))

    op.drop_table("planned_workouts")
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connections_user_id"))
        batch_op.drop_index(batch_op.f("ix_connections_organization_id"))
        batch_op.drop_index(batch_op.f("ix_connections_feed_token"))

    op.drop_table("connections")
    with op.batch_alter_table("athletes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_athletes_organization_id"))

    op.drop_table("athletes")
