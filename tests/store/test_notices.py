"""News for the customer (bot/store/notices.py): queued with the mail in the transaction
that made it, on the conversation's channel; taken once by the widget, claimed once by a
Telegram sender, retried on failure; its wording made from its kind and fields."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.core.news import NoticeKind, notice_subject, notice_text
from bot.store import notices, outbox
from bot.store.db import utcnow
from bot.store.models import Order
from tests.support.orders import new_order


def _order(store, conversation_id):
    placed = store.place_order(new_order(conversation_id=conversation_id))
    return placed["number"]


def test_a_status_change_queues_a_notice_on_the_channel_and_a_mail(order_store):
    number = _order(order_store, "telegram:4242")
    order_store.change_status(number, "confirmed", "Grace")
    found = notices.notices_for(order_store.sessions, "telegram:4242")
    assert [(n["kind"], n["channel"], n["order_number"], n["data"]["status"], n["delivered"]) for n in found] == [
        ("status_changed", "telegram", number, "confirmed", False)]
    mails = outbox.mails_to(order_store.sessions, "ada@example.org")
    assert [m["kind"] for m in mails] == ["order_placed", "status_changed"]


def test_rolled_back_news_is_neither_pushed_nor_mailed(order_store):
    number = _order(order_store, "web:abcdefgh12")
    try:
        with order_store.sessions.begin() as session:
            order = session.query(Order).filter_by(number=number).one()
            notices.tell_customer(session, order, NoticeKind.STAFF_MESSAGE, text="Hello", staff="Grace")
            raise RuntimeError("the caller failed")
    except RuntimeError:
        pass
    assert notices.notices_for(order_store.sessions, "web:abcdefgh12") == []
    assert [m["kind"] for m in outbox.mails_to(order_store.sessions, "ada@example.org")] == ["order_placed"]


def test_the_widget_takes_each_notice_once_and_a_failed_one_comes_back(order_store):
    number = _order(order_store, "web:abcdefgh12")
    with order_store.sessions.begin() as session:
        order = session.query(Order).filter_by(number=number).one()
        notices.tell_customer(session, order, NoticeKind.STAFF_MESSAGE, text="Your wood arrived", staff="Grace")
    sessions = order_store.sessions
    assert notices.has_pending(sessions, "web:abcdefgh12")
    assert not notices.has_pending(sessions, "web:someoneelse")
    first = notices.take_for(sessions, "web:abcdefgh12")
    assert [n.data["text"] for n in first] == ["Your wood arrived"]
    assert notices.take_for(sessions, "web:abcdefgh12") == []  # a second poll: nothing again
    notices.failed(sessions, first[0].id, "Rasa down", timedelta(0))
    again = notices.take_for(sessions, "web:abcdefgh12")
    assert [n.id for n in again] == [first[0].id]
    mail = [m for m in outbox.mails_to(sessions, "ada@example.org") if m["kind"] == "staff_message"]
    assert len(mail) == 1


def test_one_telegram_sender_claims_a_notice(order_store):
    number = _order(order_store, "telegram:4242")
    order_store.change_status(number, "confirmed", "Grace")
    sessions, now = order_store.sessions, utcnow() + timedelta(seconds=1)
    [due] = notices.due(sessions, "telegram", now)
    assert notices.claim(sessions, due, now + timedelta(minutes=5))
    assert not notices.claim(sessions, due, now + timedelta(minutes=5))  # another web server: too late
    assert notices.due(sessions, "telegram", now) == []
    assert notices.due(sessions, "web", now + timedelta(hours=1)) == []  # the channels never mix
    notices.failed(sessions, due.id, "Telegram not reachable", timedelta(seconds=30), now=now)
    assert notices.due(sessions, "telegram", now) == []
    [retry] = notices.due(sessions, "telegram", now + timedelta(seconds=31))
    assert retry.attempts == 1
    notices.finish(sessions, retry.id)
    assert notices.due(sessions, "telegram", now + timedelta(hours=2)) == []


def test_the_wording_comes_from_the_kind_and_its_fields():
    assert notice_text(NoticeKind.STATUS_CHANGED, "BSP-ABC234", {"status": "in_production"}) == (
        "News about your order **BSP-ABC234**: it is now in production.")
    text = notice_text(NoticeKind.CHANGE_ACCEPTED, "BSP-ABC234", {
        "lines": ["Memory: 32 GB -> 64 GB"], "total": "1450.00", "difference": Decimal("200"), "currency": "EUR"})
    assert "- Memory: 32 GB -> 64 GB" in text and "New total: €1,450.00 (+€200.00)." in text
    assert notice_text(NoticeKind.STAFF_MESSAGE, "BSP-ABC234", {"text": "Ready Friday", "staff": "Grace"}) == (
        "Grace from the shop wrote about your order **BSP-ABC234**:\nReady Friday")
    assert notice_subject(NoticeKind.QUOTE_PRICED, "BSP-ABC234", {}) == "Your quote BSP-ABC234 has a price"
    for kind in set(NoticeKind) - {NoticeKind.CHANNEL_LINKED}:  # every order's kind has words, with no fields at all
        assert "BSP-ABC234" in notice_text(kind, "BSP-ABC234", {}) and notice_subject(kind, "BSP-ABC234", {})
    assert notice_text(NoticeKind.CHANNEL_LINKED, "", {"channel": "web"}).startswith(
        "This conversation is now also on the web chat: your link code was typed there")
    assert "on another chat" in notice_text(NoticeKind.CHANNEL_LINKED, "", {})
