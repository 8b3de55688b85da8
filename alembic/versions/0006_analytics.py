"""analytics for the staff dashboard: refused answers and orders in progress

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-26

"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # New tables and indexes only: plain CREATE statements, no batch copy on SQLite.
    op.create_table(
        "answer_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("draft_id", sa.String(length=64), nullable=True),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("option_id", sa.String(length=100), nullable=False),
        sa.Column("answer", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_rejections")),
    )
    op.create_index(op.f("ix_answer_rejections_conversation_id"), "answer_rejections", ["conversation_id"], unique=False)
    op.create_index("ix_answer_rejections_at", "answer_rejections", ["at"], unique=False)
    op.create_index(
        "ix_answer_rejections_option_reason", "answer_rejections", ["product_id", "option_id", "reason", "at"],
        unique=False,
    )
    op.create_table(
        "order_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("last_question", sa.String(length=100), nullable=True),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_drafts")),
        sa.UniqueConstraint("draft_id", name=op.f("uq_order_drafts_draft_id")),
    )
    op.create_index(op.f("ix_order_drafts_conversation_id"), "order_drafts", ["conversation_id"], unique=False)
    op.create_index("ix_order_drafts_started_at", "order_drafts", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_order_drafts_started_at", table_name="order_drafts")
    op.drop_index(op.f("ix_order_drafts_conversation_id"), table_name="order_drafts")
    op.drop_table("order_drafts")
    op.drop_index("ix_answer_rejections_option_reason", table_name="answer_rejections")
    op.drop_index("ix_answer_rejections_at", table_name="answer_rejections")
    op.drop_index(op.f("ix_answer_rejections_conversation_id"), table_name="answer_rejections")
    op.drop_table("answer_rejections")
