"""conversation references, so Teams can be posted to proactively

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_ref",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("conversation_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "tenant_id", "conversation_id", name="uq_conversation_ref"),
    )


def downgrade() -> None:
    op.drop_table("conversation_ref")
