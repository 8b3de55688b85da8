"""The queue of flagged conversations: resolving a flag, paging; and the widget's periodic
check, which asks Rasa only while staff have the conversation."""

from __future__ import annotations

from bot.store import conversations as stored
from tests.support.staff import (
    STAFF_NAME,
    T0,
    page_csrf,
    staff_client,
)


async def test_queue_and_resolving_a_flag(store, tracker, client):
    tracker.simple("telegram:777", T0)
    tracker.slot("telegram:777", "customer_name", "Bea")
    flag = store.flag_conversation("telegram:777", "customer asked for a person")
    page = await (await client.get("/staff/queue")).text()
    assert "customer asked for a person" in page and "Bea" in page and "telegram" in page
    assert 'action="/staff/conversations/telegram%3A777/takeover"' in page
    token = await page_csrf(client, "/staff/queue")
    forged = await client.post(f"/staff/queue/flags/{flag['id']}/resolve", data={"csrf_token": "x"})
    assert forged.status == 403
    resolved = await client.post(f"/staff/queue/flags/{flag['id']}/resolve",
                                 data={"csrf_token": token, "next": "/staff/queue"}, allow_redirects=False)
    assert resolved.status == 303 and resolved.headers["Location"] == "/staff/queue?done=resolved"
    assert store.flags_for("telegram:777")[0]["resolved_by"] == STAFF_NAME
    after = await (await client.get("/staff/queue?done=resolved")).text()
    assert "No conversation is waiting for a person." in after and "Flag resolved." in after
    unknown = await client.post("/staff/queue/flags/99999/resolve", data={"csrf_token": token})
    assert unknown.status == 404 and "There is no such flag" in await unknown.text()


async def test_the_queue_comes_in_pages(store, tracker, client):
    for number in range(53):
        store.flag_conversation(f"web:queue{number:04d}", "customer asked for a person")
    first = await (await client.get("/staff/queue")).text()
    assert "53 open flags, oldest first; 1-50 shown" in first and first.count("/takeover") == 50
    assert 'href="/staff/queue?page=2"' in first
    second = await (await client.get("/staff/queue?page=2")).text()
    assert "51-53 shown" in second and second.count("/takeover") == 3 and "web:queue0052" in second
    beyond = await client.get("/staff/queue?page=9")
    assert beyond.status == 200 and "51-53 shown" in await beyond.text()
    assert (await client.get("/staff/queue?page=x")).status == 200


async def test_the_widgets_periodic_check_asks_rasa_only_while_staff_have_the_conversation(store, tracker):
    # Rasa is not running at this address: a check that went to Rasa would get 502.
    client = await staff_client("http://127.0.0.1:9", "token")
    try:
        sender = "web:polling0001"
        quiet = await client.get("/api/history", params={"sender": sender, "poll": "1"})
        assert quiet.status == 200 and await quiet.json() == {"messages": None, "paused": False}
        stored.start_takeover(store, sender, STAFF_NAME)
        taken = await client.get("/api/history", params={"sender": sender, "poll": "1"})
        assert taken.status == 502  # now it reads the history (and the staff messages) from Rasa
        assert (await client.get("/api/history", params={"sender": sender})).status == 502  # a full load always does
    finally:
        await client.close()
