"""one head again after the staff console's parts (orders, conversations, analytics)

Revision ID: 0007
Revises: 0004, 0005, 0006
Create Date: 2026-11-25

"""
from typing import Sequence, Union

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = ("0004", "0005", "0006")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass  # a merge point only: `alembic upgrade head` works again


def downgrade() -> None:
    pass
