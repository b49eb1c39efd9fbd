"""problem index on (workspace, status, area), for the duplicate check; it replaces (workspace, status)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The new index's prefix serves every query the old one did, so the old one only cost writes.
    op.create_index("ix_problem_workspace_status_area", "problem", ["workspace_id", "status", "area_id"])
    op.drop_index("ix_problem_workspace_status", table_name="problem")


def downgrade() -> None:
    op.create_index("ix_problem_workspace_status", "problem", ["workspace_id", "status"])
    op.drop_index("ix_problem_workspace_status_area", table_name="problem")
