"""plans generated before revisions were kept get their revision 1 in plan_revisions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Since this revision the service records revision 1 when a plan is generated; plans
    # generated earlier get it here, so every complete plan's history starts at 1.
    op.execute(
        "INSERT INTO plan_revisions"
        " (plan_id, revision, member_id, summary, changes, content, weekly_info, created_at)"
        " SELECT p.id, 1, p.member_id, 'generated', '[]', p.content, p.weekly_info,"
        " COALESCE(p.finished_at, p.created_at) FROM plans p"
        " WHERE p.status = 'complete' AND p.revision = 1 AND NOT EXISTS"
        " (SELECT 1 FROM plan_revisions r WHERE r.plan_id = p.id AND r.revision = 1)"
    )


def downgrade() -> None:
    # The rows are a correct history under the older schema too; nothing to undo.
    pass
