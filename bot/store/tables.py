"""Every table the staff console keeps, imported in one place for Alembic's metadata."""

from bot.staff import accounts  # noqa: F401
from bot.staff import conversations  # noqa: F401 - conversation_summaries, conversation_takeovers
from bot.store import analytics  # noqa: F401,E402 - the dashboard's tables (answer_rejections, order_drafts)
