"""after the order: revisions of a placed order, change requests for staff, staff-priced quotes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_PENDING = "status = 'pending'"


def upgrade() -> None:
    # New tables only: plain CREATE statements (no batch copy on SQLite).
    op.create_table(
        "order_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("old_total", sa.Numeric(12, 2), nullable=True),
        sa.Column("new_total", sa.Numeric(12, 2), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_revisions_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_revisions")),
    )
    op.create_index("ix_order_revisions_order_id_number", "order_revisions", ["order_id", "number"], unique=True)
    op.create_table(
        "order_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("old_total", sa.Numeric(12, 2), nullable=True),
        sa.Column("new_total", sa.Numeric(12, 2), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("revision_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_change_requests_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_change_requests")),
    )
    op.create_index(op.f("ix_order_change_requests_order_id"), "order_change_requests", ["order_id"])
    op.create_index(
        "ix_order_change_requests_pending", "order_change_requests", ["order_id"], unique=True,
        sqlite_where=sa.text(_PENDING), postgresql_where=sa.text(_PENDING),
    )
    op.create_table(
        "order_quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("priced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("priced_by", sa.String(100), nullable=False),
        sa.Column("answer", sa.String(20), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_quotes_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_quotes")),
    )
    op.create_index(op.f("ix_order_quotes_order_id"), "order_quotes", ["order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_order_quotes_order_id"), table_name="order_quotes")
    op.drop_table("order_quotes")
    op.drop_index("ix_order_change_requests_pending", table_name="order_change_requests")
    op.drop_index(op.f("ix_order_change_requests_order_id"), table_name="order_change_requests")
    op.drop_table("order_change_requests")
    op.drop_index("ix_order_revisions_order_id_number", table_name="order_revisions")
    op.drop_table("order_revisions")
