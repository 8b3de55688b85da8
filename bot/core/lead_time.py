"""When an order is ready: its lead time counted in business days."""

from __future__ import annotations

from datetime import date
from typing import Optional

import numpy as np


def ready_date(lead_time_days: int, today: Optional[date] = None) -> date:
    """The business day the order is ready if confirmed today."""
    start = np.datetime64(today or date.today(), "D")
    return np.busday_offset(start, lead_time_days, roll="forward").astype(date)
