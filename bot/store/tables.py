"""Every table of the store, imported in one place so that one metadata holds them all
(Alembic's env.py, the test that the models match the migrations)."""

from bot.store import accounts  # noqa: F401 - staff_users, staff_api_tokens, staff_sign_in_failures
from bot.store import analytics  # noqa: F401 - the dashboard's tables (answer_rejections, order_drafts)
from bot.store import models  # noqa: F401 - orders, their history and notes, conversation flags, summaries, takeovers
