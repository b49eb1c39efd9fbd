"""problem index on (workspace, area, number) carries status and id: the duplicate check's window is checked from the
index alone

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD = ("ix_problem_workspace_area", ["workspace_id", "area_id", "number"])
NEW = ("ix_problem_workspace_area_window", ["workspace_id", "area_id", "number", "status", "id"])


def upgrade() -> None:
    # Each report checks its area's newest 500 open problems against the database's: their count, ids and statuses,
    # newest first. With only (workspace, area, number) in the index, each of those rows was looked up in the table
    # for its status: 349 us a report in an area with 4,000 open problems on SQLite. It replaces the old index,
    # whose prefix it is (a forum's digest still starts from it): as many indexes to keep up on each insert.
    op.create_index(NEW[0], "problem", NEW[1])
    op.drop_index(OLD[0], table_name="problem")


def downgrade() -> None:
    op.create_index(OLD[0], "problem", OLD[1])
    op.drop_index(NEW[0], table_name="problem")
