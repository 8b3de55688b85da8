"""Shops for the contact readers' tests: one delivering within the EU, one anywhere."""

from bot.core.catalog import Shop

EU = Shop(delivery_area="the EU", delivery_countries=[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
    "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"])
DACH = Shop(delivery_countries=["DE", "AT", "CH"])
ANYWHERE = Shop()
