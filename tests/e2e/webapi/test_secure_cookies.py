"""Cookies are Secure unless a browser on this machine asked over plain HTTP, or the site
says it is served over plain HTTP on purpose (``entrypoints.api.cookies``)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lexdial.bootstrap.web import InterfaceSettings
from lexdial.errors import ConfigError

from .conftest import PASSWORD, Api
from .test_web_pages import _field


def _set_cookies(api: Api, base: str, headers: dict[str, str]) -> dict[str, str]:
    """The Set-Cookie lines (name -> the whole line) of the log-in form and of a log-in."""
    client = TestClient(api.client.app, base_url=base, headers=headers)
    form = client.get("/login")
    lines = form.headers.get_list("set-cookie")
    token = _field(form.text, "login_csrf")
    # a Secure cookie set on an http:// page is not sent back by the client: sent here
    client.cookies.clear()
    done = client.post(
        "/login",
        data={"email": "admin@firm.test", "password": PASSWORD, "login_csrf": token},
        headers={"Cookie": f"lexdial_login={token}"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    lines += done.headers.get_list("set-cookie")
    return {line.split("=", 1)[0]: line for line in lines if "Max-Age=0" not in line}


def _secure(line: str) -> bool:
    return "secure" in [part.strip().lower() for part in line.split(";")]


@pytest.mark.parametrize(
    ("base", "headers", "secure"),
    [
        pytest.param("https://lexdial.firm.example", {}, True, id="https"),
        pytest.param("http://lexdial.firm.example", {}, True, id="a-public-name-over-http"),
        pytest.param("http://10.0.0.5:8000", {}, True, id="a-lan-address-over-http"),
        pytest.param(
            "http://127.0.0.1:8000",
            {"X-Forwarded-Proto": "https"},
            True,
            id="an-untrusted-tls-proxy-on-this-machine",
        ),
        pytest.param(
            "http://127.0.0.1:8000", {"X-Forwarded-For": "198.51.100.7"}, True, id="any-proxy"
        ),
        pytest.param(
            "http://localhost:8000", {"Forwarded": "for=198.51.100.7"}, True, id="rfc-7239-proxy"
        ),
        pytest.param("http://127.0.0.1:8000", {}, False, id="a-browser-on-this-machine"),
        pytest.param("http://localhost:8000", {}, False, id="localhost"),
        pytest.param("http://[::1]:8000", {}, False, id="ipv6-loopback"),
    ],
)
def test_the_session_and_log_in_cookies_are_secure_unless_a_local_browser_asked_over_http(
    api: Api, base: str, headers: dict[str, str], secure: bool
) -> None:
    cookies = _set_cookies(api, base, headers)
    assert {"lexdial_login", "lexdial_session", "lexdial_device"} <= set(cookies)
    for name in ("lexdial_login", "lexdial_session", "lexdial_device"):
        assert _secure(cookies[name]) is secure, cookies[name]


def test_a_site_said_to_be_plain_http_sets_secure_cookies_only_over_https(api: Api) -> None:
    api.client.app.state.interfaces = InterfaceSettings(plain_http=True)  # type: ignore[attr-defined]
    plain = _set_cookies(api, "http://lexdial.lan", {"X-Forwarded-For": "10.0.0.9"})
    assert not _secure(plain["lexdial_session"])
    assert _secure(_set_cookies(api, "https://lexdial.lan", {})["lexdial_session"])


@pytest.mark.parametrize("value", ["yes", "true", "2"])
def test_a_plain_http_setting_that_is_not_1_or_0_is_refused_by_name(value: str) -> None:
    with pytest.raises(ConfigError, match="LEXDIAL_PLAIN_HTTP"):
        InterfaceSettings.from_env({"LEXDIAL_PLAIN_HTTP": value})
    assert InterfaceSettings.from_env({"LEXDIAL_PLAIN_HTTP": "0"}).plain_http is False
    assert InterfaceSettings.from_env({}).plain_http is False


@pytest.mark.parametrize(
    ("base", "headers", "warned"),
    [
        pytest.param("http://10.0.0.5:8000", {}, True, id="a-lan-address-over-http"),
        pytest.param(
            "http://10.0.0.5:8000", {"X-Forwarded-Proto": "http"}, True, id="a-proxy-saying-http"
        ),
        pytest.param(
            "http://10.0.0.5:8000", {"X-Forwarded-Proto": "https"}, False, id="a-tls-proxy"
        ),
        pytest.param("https://lexdial.firm.example", {}, False, id="https"),
        pytest.param("http://127.0.0.1:8000", {}, False, id="a-browser-on-this-machine"),
    ],
)
def test_a_log_in_page_opened_over_plain_http_says_the_browser_will_not_keep_the_sign_in(
    api: Api, base: str, headers: dict[str, str], warned: bool
) -> None:
    client = TestClient(api.client.app, base_url=base, headers=headers)
    form = client.get("/login")
    assert ('id="login-plain-http"' in form.text) is warned
    # the browser dropped the Secure log-in cookie: the refusal says why, not "expired"
    token = _field(form.text, "login_csrf")
    client.cookies.clear()
    refused = client.post(
        "/login",
        data={"email": "admin@firm.test", "password": PASSWORD, "login_csrf": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert ("LEXDIAL_PLAIN_HTTP=1" in refused.text) is warned
    assert ("expired" in refused.text) is not warned
