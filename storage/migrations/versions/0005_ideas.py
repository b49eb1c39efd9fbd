"""ideas, their votes, linked problems, evidence and history; '3 I' forums; the workspace's idea_seq

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing workspaces start numbering ideas at I1.
    op.add_column("workspace", sa.Column("idea_seq", sa.Integer(), nullable=False, server_default="0"))

    op.create_table(
        "forum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("destination", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
        sa.Column("area_ids", sa.JSON(), nullable=False),
        sa.Column("meets", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("digest_day", sa.Integer(), nullable=False),
        sa.Column("digest_time", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "slug", name="uq_forum_workspace_slug"),
    )

    op.create_table(
        "idea",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("proposer_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("root_cause", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("reduction_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("forum_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["forum_id"], ["forum.id"]),
        sa.ForeignKeyConstraint(["merged_into_id"], ["idea.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "number", name="uq_idea_workspace_number"),
    )
    op.create_index("ix_idea_workspace_stage", "idea", ["workspace_id", "stage"])

    op.create_table(
        "idea_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"]),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idea_id", "problem_id", name="uq_idea_problem"),
    )

    op.create_table(
        "idea_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idea_id", "user_id", name="uq_idea_vote"),
    )
    op.create_index("ix_idea_vote_workspace_user", "idea_vote", ["workspace_id", "user_id"])

    op.create_table(
        "idea_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_idea_evidence_workspace_idea", "idea_evidence", ["workspace_id", "idea_id"])

    op.create_table(
        "idea_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_idea_change_workspace_idea", "idea_change", ["workspace_id", "idea_id"])


def downgrade() -> None:
    op.drop_index("ix_idea_change_workspace_idea", table_name="idea_change")
    op.drop_table("idea_change")
    op.drop_index("ix_idea_evidence_workspace_idea", table_name="idea_evidence")
    op.drop_table("idea_evidence")
    op.drop_index("ix_idea_vote_workspace_user", table_name="idea_vote")
    op.drop_table("idea_vote")
    op.drop_table("idea_problem")
    op.drop_index("ix_idea_workspace_stage", table_name="idea")
    op.drop_table("idea")
    op.drop_table("forum")
    # SQLite 3.35+ drops a column in place; no index or constraint names it.
    op.drop_column("workspace", "idea_seq")
