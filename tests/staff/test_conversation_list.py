"""The conversation list: its filters and paging, with and without a tracker database."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from bot.staff.conversations import index, listing
from bot.store.orders import OrderStore
from tests.support.staff import (
    T0,
    Tracker,
    add_staff,
    conversation_order,
    count_text,
    sign_in,
    staff_client,
)


async def test_the_list_without_a_tracker_database_is_empty(store):
    add_staff(store)
    client = await staff_client()
    try:
        await sign_in(client)
        response = await client.get("/staff/conversations")
        assert response.status == 200
        assert "No conversations" in await response.text()
    finally:
        await client.close()


def seed_list(store: OrderStore, tracker: Tracker) -> None:
    """120 conversations over 6 days: 60 web, 40 telegram, 20 rest; some with orders, flags, names."""
    for number in range(120):
        channel = ("web:", "telegram:", "")[0 if number < 60 else 1 if number < 100 else 2]
        sender = f"{channel}{'conv' if channel != 'telegram:' else ''}{number:04d}"
        tracker.simple(sender, T0 + (number % 6) * 86400 + number)
        if number % 10 == 0:
            tracker.slot(sender, "customer_name", f"Customer {number}")
        if number % 15 == 0:
            store.place_order(conversation_order(sender))
        if number % 20 == 0:
            store.flag_conversation(sender, "customer asked for a person")
    index.refresh_index(store, tracker.url)


async def test_list_filters_and_paging(store, tracker, client):
    seed_list(store, tracker)
    page = await (await client.get("/staff/conversations")).text()
    assert count_text(page) == "1-50 of 120" and "Page 1 of 3, newest message first" in page
    assert page.count('<td class="conversation-id">') == 50
    # newest first: the conversation with the latest message leads
    first_row = re.search(r'<td class="conversation-id"><a href="([^"]+)">([^<]+)</a>', page)
    assert first_row.group(2) == "conv0119"  # day 5 (119 % 6), the latest of that day
    assert 'rel="next"' in page
    last = await (await client.get("/staff/conversations?page=3")).text()
    assert count_text(last) == "101-120 of 120" and 'rel="next"' not in last

    async def total(query: str) -> str:
        return count_text(await (await client.get(f"/staff/conversations?{query}")).text())

    assert await total("channel=telegram") == "1-40 of 40"
    assert await total("channel=rest") == "1-20 of 20"
    assert await total("has_order=yes") == "1-8 of 8"  # 0, 15, ..., 105
    assert await total("has_order=no") == "1-50 of 112"
    assert await total("flagged=yes") == "1-6 of 6"
    assert await total("flagged=yes&channel=web") == "1-3 of 3"
    assert await total("q=customer+11") == "1-1 of 1"  # "Customer 110" (names are given when n % 10 == 0)
    assert await total("q=CONV0007") == "1-1 of 1"
    day = datetime.fromtimestamp(T0, timezone.utc).date()
    assert await total(f"from={day + timedelta(days=2)}&to={day + timedelta(days=2)}") == "1-20 of 20"

    flagged = await (await client.get("/staff/conversations?flagged=yes&has_order=yes")).text()
    assert count_text(flagged) == "1-2 of 2"  # 0 and 60
    assert "Flagged: customer asked for a person" in flagged
    assert re.search(r'href="/staff/orders/BSP-[A-Z0-9]{6}"', flagged)

    bad = await client.get("/staff/conversations?channel=fax&from=yesterday&has_order=maybe&page=-1")
    assert bad.status == 200
    text = await bad.text()
    # One wording for what every list reads (dates, pages, search): the order list's.
    for message in ("Unknown channel", "is not a date", "choose yes or no", "is not a valid page"):
        assert message in text
    assert count_text(text) == "1-50 of 120"


def test_list_paging_beyond_the_end_is_empty(store, tracker):
    seed_list(store, tracker)
    rows, total = listing.list_conversations(store, listing.ListFilters(page=9))
    assert rows == [] and total == 120
