"""news pushed to the customer's channel, and one customer's conversations across channels

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "customer_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("order_number", sa.String(20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_notices")),
    )
    op.create_index("ix_customer_notices_pending", "customer_notices", ["channel", "delivered_at", "next_attempt_at"])
    op.create_index("ix_customer_notices_conversation", "customer_notices", ["conversation_id", "delivered_at"])
    op.create_table(
        "customer_link_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(255), nullable=True),
        sa.Column("carried", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_customer_link_codes")),
    )
    op.create_index(op.f("ix_customer_link_codes_conversation_id"), "customer_link_codes", ["conversation_id"])
    op.create_table(
        "customer_links",
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_customer_links")),
    )
    op.create_index(op.f("ix_customer_links_customer_id"), "customer_links", ["customer_id"])
    with op.batch_alter_table("email_outbox") as batch:
        batch.add_column(sa.Column("data", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("email_outbox") as batch:
        batch.drop_column("data")
    op.drop_index(op.f("ix_customer_links_customer_id"), table_name="customer_links")
    op.drop_table("customer_links")
    op.drop_index(op.f("ix_customer_link_codes_conversation_id"), table_name="customer_link_codes")
    op.drop_table("customer_link_codes")
    op.drop_index("ix_customer_notices_conversation", table_name="customer_notices")
    op.drop_index("ix_customer_notices_pending", table_name="customer_notices")
    op.drop_table("customer_notices")
