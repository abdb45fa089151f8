"""Nobody can lock a person out of web log-in: an attacker's failures stop the attacker's
own address, an account under attack slows only browsers it has never used, and the real
user's usual browser with the right password gets in while the attack goes on."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from lexdial.entrypoints.api import login_throttle as lt
from lexdial.entrypoints.api.login_throttle import LoginThrottle

from .conftest import BASE_URL, PASSWORD, Api

VICTIM = "admin@firm.test"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock(api: Api) -> Clock:
    c = Clock()
    api.client.app.state.login_throttle = LoginThrottle(clock=c)  # type: ignore[attr-defined]
    return c


def _client(api: Api, ip: str) -> TestClient:
    return TestClient(api.client.app, base_url=BASE_URL, client=(ip, 50000))


def _try(client: TestClient, email: str, password: str) -> int:
    form = client.get("/login")
    found = re.search(r'name="login_csrf" value="([^"]*)"', form.text)
    assert found
    res = client.post(
        "/login",
        data={"email": email, "password": password, "login_csrf": found.group(1)},
        follow_redirects=False,
    )
    return res.status_code


def test_the_real_user_s_usual_browser_gets_in_during_an_attack(api: Api, clock: Clock) -> None:
    user = _client(api, "198.51.100.7")
    assert _try(user, VICTIM, PASSWORD) == 303  # a browser the user has used before
    user.cookies.delete("lexdial_session")
    for i in range(60):  # attackers from many addresses, as many wrong passwords
        _try(_client(api, f"203.0.113.{i % 30}"), VICTIM, f"guess {i}")
    assert _try(user, VICTIM, PASSWORD) == 303


def test_an_attacker_locks_out_only_their_own_address(api: Api, clock: Clock) -> None:
    attacker = _client(api, "203.0.113.66")
    codes = [_try(attacker, VICTIM, f"guess {i}") for i in range(lt.PAIR_LIMIT + 1)]
    assert codes == [401] * lt.PAIR_LIMIT + [429]
    assert _try(attacker, VICTIM, PASSWORD) == 429  # even the right password, from there
    assert _try(_client(api, "198.51.100.7"), VICTIM, PASSWORD) == 303  # elsewhere: fine


def test_an_account_under_attack_slows_unknown_browsers_to_one_try_a_minute(
    api: Api, clock: Clock
) -> None:
    for i in range(lt.ACCOUNT_LIMIT):
        assert _try(_client(api, f"203.0.113.{i}"), VICTIM, f"guess {i}") == 401
    assert _try(_client(api, "203.0.113.200"), VICTIM, "guess") == 401  # the minute's try
    assert _try(_client(api, "203.0.113.201"), VICTIM, "guess") == 429
    clock.t += lt.BACKOFF_S
    assert _try(_client(api, "198.51.100.9"), VICTIM, PASSWORD) == 303  # new laptop, later


def test_a_stolen_device_cookie_for_another_account_is_no_pass(api: Api, clock: Clock) -> None:
    browser = _client(api, "198.51.100.7")
    assert _try(browser, "agent@firm.test", PASSWORD) == 303  # known for the agent only
    for i in range(lt.ACCOUNT_LIMIT + 1):
        _try(_client(api, f"203.0.113.{i}"), VICTIM, f"guess {i}")
    assert _try(browser, VICTIM, "guess") == 429


def test_a_known_browser_still_has_its_own_limit(api: Api, clock: Clock) -> None:
    browser = _client(api, "198.51.100.7")
    assert _try(browser, VICTIM, PASSWORD) == 303
    browser.cookies.delete("lexdial_session")
    codes = [_try(browser, VICTIM, f"guess {i}") for i in range(lt.DEVICE_LIMIT + 1)]
    assert codes == [401] * lt.DEVICE_LIMIT + [429]
