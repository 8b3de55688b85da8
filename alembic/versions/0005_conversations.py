"""conversation index (summaries and its watermark) and staff takeovers

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-25

"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "conversation_summaries",
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_name", sa.String(length=255), nullable=True),
        sa.Column("user_turns", sa.Integer(), nullable=False),
        sa.Column("not_understood", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_summaries")),
    )
    op.create_index("ix_conversation_summaries_last_message_at", "conversation_summaries", ["last_message_at"])
    op.create_index(
        "ix_conversation_summaries_channel_last_message_at", "conversation_summaries", ["channel", "last_message_at"]
    )
    op.create_index("ix_conversation_summaries_started_at", "conversation_summaries", ["started_at"])
    op.create_table(
        "conversation_index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_index_state")),
    )
    op.create_table(
        "conversation_takeovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("staff", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_takeovers")),
    )
    op.create_index(
        op.f("ix_conversation_takeovers_conversation_id"), "conversation_takeovers", ["conversation_id"], unique=False
    )
    op.create_index(
        "ix_conversation_takeovers_active", "conversation_takeovers", ["conversation_id"], unique=True,
        sqlite_where=sa.text("ended_at IS NULL"), postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_conversation_takeovers_active", table_name="conversation_takeovers")
    op.drop_index(op.f("ix_conversation_takeovers_conversation_id"), table_name="conversation_takeovers")
    op.drop_table("conversation_takeovers")
    op.drop_table("conversation_index_state")
    op.drop_index("ix_conversation_summaries_started_at", table_name="conversation_summaries")
    op.drop_index("ix_conversation_summaries_channel_last_message_at", table_name="conversation_summaries")
    op.drop_index("ix_conversation_summaries_last_message_at", table_name="conversation_summaries")
    op.drop_table("conversation_summaries")
