"""problem index on (workspace, area): a forum's digest reads its areas' problems, then their weeks' occurrences

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The digest starts from the forum's problems and reads each one's occurrences for the 26 weeks through
    # ix_occurrence_workspace_problem_date: work that follows the forum and the weeks, not the whole history.
    op.create_index("ix_problem_workspace_area", "problem", ["workspace_id", "area_id"])


def downgrade() -> None:
    op.drop_index("ix_problem_workspace_area", table_name="problem")
