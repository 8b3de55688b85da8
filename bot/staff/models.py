"""Every table the staff console keeps, imported in one place for Alembic's metadata."""

from bot.staff import accounts  # noqa: F401
