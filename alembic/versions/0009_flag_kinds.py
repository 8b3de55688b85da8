"""conversation flags say why as data (kind) and how they ended (resolution, resolved_order)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Flags raised before this have the kind "other": their reason text is kept as it was and
not read back into a kind.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_flags") as batch:
        batch.add_column(sa.Column("kind", sa.String(40), server_default="other", nullable=False))
        batch.add_column(sa.Column("resolution", sa.String(40), nullable=True))
        batch.add_column(sa.Column("resolved_order", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation_flags") as batch:
        batch.drop_column("resolved_order")
        batch.drop_column("resolution")
        batch.drop_column("kind")
