"""planned workouts keep their payload, provider date, progress and deadline; plan
templates are found again by content

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("planned_workouts") as batch:
        batch.add_column(sa.Column("template", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("provider_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("progress", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_planned_workouts_deadline_at", ["deadline_at"])
    with op.batch_alter_table("workout_templates") as batch:
        batch.add_column(
            sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.create_index("ix_workout_templates_content_hash", ["content_hash"])
    # Rows pushed before this revision are on the provider on their planned date; rows
    # still waiting get the default deadline from now, so they too settle.
    op.execute("UPDATE planned_workouts SET provider_date = planned_date WHERE status = 'pushed'")
    op.get_bind().execute(
        sa.text(
            "UPDATE planned_workouts SET deadline_at = :deadline "
            "WHERE status = 'queued' AND deadline_at IS NULL"
        ).bindparams(sa.bindparam("deadline", type_=sa.DateTime(timezone=True))),
        {"deadline": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)},
    )


def downgrade() -> None:
    with op.batch_alter_table("workout_templates") as batch:
        batch.drop_index("ix_workout_templates_content_hash")
        batch.drop_column("content_hash")
    with op.batch_alter_table("planned_workouts") as batch:
        batch.drop_index("ix_planned_workouts_deadline_at")
        batch.drop_column("deadline_at")
        batch.drop_column("progress")
        batch.drop_column("provider_date")
        batch.drop_column("template")
