"""The desk's callback in real Chromium: after a call, the callback form offers the
person's zone (the zone the gate judged the call in, here the Ohio number's
America/New_York), preselected, beside UTC; the time the agent types is read in that zone,
not in UTC, and the page says when the callback is, in that zone.

The server, the store and the dialler's side are ``test_agent_desk_chromium``'s (a
sandbox; nothing dials)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PASSWORD, Server
from .test_agent_desk_chromium import (
    AGENT,
    _end_call,
    _hand_call,
    _ids,
    _notice,
    _state,
    _wait,
    server,  # noqa: F401 (the module's fixture)
)

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:  # pragma: no cover - test_agent_desk_chromium skipped the module
    pytest.skip("selenium is not installed", allow_module_level=True)

from sqlalchemy import select

from lexdial.adapters.db import tables as t


def test_a_callback_typed_at_the_desk_is_the_persons_local_time(
    server: Server,  # noqa: F811
    browser: Any,
) -> None:
    agent, contacts = _ids(server)
    browser.get(f"{server.url}/desk")
    _wait(browser).until(lambda b: b.find_elements(By.ID, "email"))
    browser.find_element(By.ID, "email").send_keys(AGENT)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(browser).until(lambda b: b.find_elements(By.ID, "login-form"))
    Select(browser.find_element(By.ID, "campaign")).select_by_value(str(server.campaign))
    Select(browser.find_element(By.ID, "endpoint")).select_by_value("")
    browser.find_element(By.ID, "login").click()
    _state(browser, "paused")
    browser.find_element(By.ID, "ready").click()
    _state(browser, "ready")
    attempt = _hand_call(server, agent, contacts[1])
    _state(browser, "on_call")
    _end_call(server, agent, attempt)
    _state(browser, "wrap_up")
    Select(browser.find_element(By.ID, "disposition")).select_by_value("callback_requested")
    browser.find_element(By.ID, "save-disposition").click()
    _notice(browser, "Disposition recorded")

    zone = Select(browser.find_element(By.ID, "callback-zone"))
    _wait(browser).until(lambda b: zone.first_selected_option.get_attribute("value") != "")
    assert zone.first_selected_option.get_attribute("value") == "America/New_York"
    assert [o.get_attribute("value") for o in zone.options] == ["", "America/New_York", "UTC"]
    assert "local time" in zone.first_selected_option.text
    # a datetime-local input takes its value as the browser's locale writes it: set it
    browser.execute_script("document.getElementById('callback-at').value = '2026-12-03T15:00';")
    browser.find_element(By.ID, "schedule-callback").click()
    _notice(browser, "Callback scheduled for 2026-12-03T15:00:00-05:00 (America/New_York)")
    with server.store.db.connect() as conn:
        q = t.campaign_contacts.c
        next_at = conn.execute(select(q.next_at).where(q.contact_id == contacts[1])).scalar_one()
    assert next_at.strftime("%Y-%m-%d %H:%M") == "2026-12-03 20:00"  # 15:00 EST in UTC
