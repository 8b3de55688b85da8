"""The web server's settings: whose X-Forwarded-For is believed, and malformed values (python -m bot.server)."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot import server
from bot.channels.web.kit import SETTINGS, client_address
from bot.settings import Settings, parse_limit, parse_trusted_proxies


def request_from(peer: str, forwarded: str, proxies: str = ""):
    app = web.Application()
    app[SETTINGS] = Settings(trusted_proxies=parse_trusted_proxies(proxies))
    request = make_mocked_request("POST", "/api/messages", headers={"X-Forwarded-For": forwarded}, app=app)
    return request.clone(remote=peer)


@pytest.mark.parametrize("peer, forwarded, proxies, address", [
    ("127.0.0.1", "198.51.100.7, 203.0.113.9", "", "203.0.113.9"),  # a proxy on this machine: its last entry
    ("10.0.0.2", "203.0.113.9", "", "10.0.0.2"),  # anyone else's header is not believed
    ("10.0.0.2", "203.0.113.9", "10.0.0.0/8", "203.0.113.9"),  # a configured proxy network
    ("127.0.0.1", "203.0.113.9", "10.0.0.0/8", "127.0.0.1"),  # configured: loopback is no longer implied
    ("::1", "2001:db8::5", "", "2001:db8::5"),
    ("127.0.0.1", "not an address", "", "127.0.0.1"),
])
def test_whose_forwarded_address_is_believed(peer, forwarded, proxies, address):
    assert client_address(request_from(peer, forwarded, proxies)) == address


@pytest.mark.parametrize("variable, value, message", [
    ("BESPOKE_TRUSTED_PROXIES", "10.0.0.0/8 not-a-network", "BESPOKE_TRUSTED_PROXIES"),
    ("BESPOKE_WEB_LIMIT_SENDER", "fast", "burst,per-second"),
    ("BESPOKE_WEB_LIMIT_ADDRESS", "20,0", "above 0"),
])
def test_a_malformed_setting_stops_the_server_with_a_message(monkeypatch, capsys, variable, value, message):
    monkeypatch.setenv(variable, value)
    assert server.main([]) == 2
    assert message in capsys.readouterr().err


def test_limits():
    assert parse_limit("", (20, 1.0)) == (20, 1.0)
    assert parse_limit("off", (20, 1.0)) is None
    assert parse_limit("5,0.5", (20, 1.0)) == (5.0, 0.5)
