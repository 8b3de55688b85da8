"""conversation flags for staff

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A new table and its indexes: plain CREATE statements, which SQLite runs as they are
    # (no ALTER, so no batch copy of a table is needed).
    op.create_table(
        "conversation_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_flags")),
    )
    op.create_index(
        op.f("ix_conversation_flags_conversation_id"), "conversation_flags", ["conversation_id"], unique=False
    )
    # At most one open flag per conversation and reason.
    op.create_index(
        "ix_conversation_flags_open_reason",
        "conversation_flags",
        ["conversation_id", "reason"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_conversation_flags_open_reason", table_name="conversation_flags")
    op.drop_index(op.f("ix_conversation_flags_conversation_id"), table_name="conversation_flags")
    op.drop_table("conversation_flags")
