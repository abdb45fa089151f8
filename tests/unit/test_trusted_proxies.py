"""X-Forwarded-For is believed only from configured proxies; by default from nobody, not
even 127.0.0.1, so a local process cannot choose the address per-IP limits count."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn

from lexdial.entrypoints.api.proxies import server_options, trusted_proxies
from lexdial.errors import ConfigError


def _client_seen(options: dict[str, Any], peer: str, forwarded: str) -> str:
    """The client address the app sees when ``peer`` sends X-Forwarded-For: ``forwarded``,
    through the server configured as ``lexdial serve`` configures it."""
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])

    config = uvicorn.Config(app, **options)
    config.load()
    scope = {"type": "http", "client": (peer, 50000), "scheme": "http",
             "headers": [(b"x-forwarded-for", forwarded.encode())]}  # fmt: skip
    asyncio.run(config.loaded_app(scope, None, None))
    return seen[0]


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "10.0.0.5"])
def test_by_default_no_peer_may_set_the_client_address(peer: str) -> None:
    assert _client_seen(server_options({}), peer, "203.0.113.9") == peer


def test_a_configured_proxy_is_believed_and_others_are_not() -> None:
    options = server_options({"LEXDIAL_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"})
    assert _client_seen(options, "10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert _client_seen(options, "192.0.2.1", "203.0.113.9") == "203.0.113.9"
    assert _client_seen(options, "127.0.0.1", "203.0.113.9") == "127.0.0.1"


def test_a_bad_proxy_entry_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match=r"'proxy\.example'"):
        trusted_proxies({"LEXDIAL_TRUSTED_PROXIES": "127.0.0.1,proxy.example"})
