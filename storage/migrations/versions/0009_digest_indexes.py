"""problem index on (workspace, area, number): a forum's problems for its digest, an area's newest for the duplicate check;
idea index on (workspace, forum): a forum's ideas

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
    # With number last, the duplicate check's "newest 500 open in this area" reads that area's problems in
    # order; without it SQLite walked every problem of the workspace by number (16 ms against 20,000).
    op.create_index("ix_problem_workspace_area", "problem", ["workspace_id", "area_id", "number"])
    # A forum's ideas (and, for the first forum, those of no forum), not every idea the workspace ever had.
    op.create_index("ix_idea_workspace_forum", "idea", ["workspace_id", "forum_id"])


def downgrade() -> None:
    op.drop_index("ix_idea_workspace_forum", table_name="idea")
    op.drop_index("ix_problem_workspace_area", table_name="problem")
