"""planned workouts pushed after an unanswered attempt are checked for late copies

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("planned_workouts") as batch:
        batch.add_column(sa.Column("verify_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("duplicates_removed", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_index("ix_planned_workouts_verify_at", ["verify_at"])


def downgrade() -> None:
    with op.batch_alter_table("planned_workouts") as batch:
        batch.drop_index("ix_planned_workouts_verify_at")
        batch.drop_column("duplicates_removed")
        batch.drop_column("verified_at")
        batch.drop_column("verify_at")
