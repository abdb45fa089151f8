"""The agent desk in real Chromium, as an agent uses it with nothing installed: log in,
choose a campaign, go ready; a call is handed to the agent and the screen pops (name,
masked number, the gate's reasons, the script); after the call, ready is refused until a
disposition is recorded; on the next call "asked not to be called" records the opt-out at
once; then a preview offer, and Call.

The dialler's side is played the way the dialler plays it, through its own functions on
the same store: the gate records the attempt (``service.gate.gate``), then
``service.desk_line.call_assigned`` hands it to the seat and ``call_ended`` puts the seat
in wrap-up (the live-agent wiring of the dialler is another branch's). A preview offer is
the seat's ``preview_contact_id`` written as the dialler writes it. The store is a sandbox;
nothing here is dialled.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

try:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # the conftest explains; in CI a missing selenium is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("selenium is not installed", allow_module_level=True)

from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import init_store, mark_sandbox
from lexdial.config import Settings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy
from lexdial.service import desk_line
from lexdial.service.auth import set_password
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import add_contacts, create_campaign, set_status
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.gate import gate
from lexdial.service.users import OPERATOR, add_user, attest_training

from .conftest import FIRM, PASSWORD, START, Server, SimClock, require_browser

AGENT = "agent@firm.test"
NUMBERS = ("+16145550131", "+16145550132", "+16145550133")
NAMES = ("Robin Client", "Sam Client", "Alex Preview")
SCRIPT = (
    f"Hello, this is Jordan calling from {FIRM} about your appointment at our office this "
    "week. If you would rather not get these calls, just tell me and we will stop."
)
DESK_CAMPAIGN = {
    "name": "Desk callbacks",
    "purpose": "reminder",
    "mode": "preview",
    "caller_id": "+16145550199",
    "schedule": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"},
    "message": {"text": SCRIPT},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app over a sandbox store with a running preview campaign, three consenting
    clients on it and a trained agent; nothing dials (the test plays the dialler)."""
    require_browser()
    import uvicorn

    settings = Settings(policy=Policy(), firm_name=FIRM)
    store = init_store(
        settings, {"LEXDIAL_DATA_DIR": str(tmp_path_factory.mktemp("desk"))}, now=START
    )
    mark_sandbox(store)
    at = START - timedelta(days=30)
    with store.unit_of_work() as uow:
        uid = add_user(uow, store.cipher, store.firm_id, AGENT, "Jordan Agent", "agent", at,
                       audit=store.audit, caller=OPERATOR)  # fmt: skip
        attest_training(uow, uid, "TCPA basics", at.date(), 365, at, OPERATOR, audit=store.audit)
        set_password(uow, store.audit, uid, PASSWORD, OPERATOR, at)
        ids = []
        for number, name in zip(NUMBERS, NAMES, strict=True):
            new = NewContact(
                numbers=((number, "wireless"),),
                name=name,
                address={"country": "US", "state": "OH"},
                relationship="current_client",
                subscriber="consumer",
            )
            ids.append(add_contact(uow, store.cipher, store.firm_id, new, at, audit=store.audit,
                                   caller=OPERATOR))  # fmt: skip
            evidence = ConsentEvidence("signed letter", "You may call me.", "2026-06", "intake")
            consent = NewConsent(number, "express", ["reminder"], [FIRM], at, evidence)
            record_consent(uow, store.cipher, store.audit, store.firm_id, consent, OPERATOR, at)
        cid = create_campaign(uow, store.audit, store.firm_id, DESK_CAMPAIGN, OPERATOR, at)
        add_contacts(uow, store.audit, store.firm_id, cid, ids, OPERATOR, at)
        problems = lint_campaign(uow, store.rules, store.cipher, store.registry,
                                 firm_id=store.firm_id, campaign_id=cid, at=START)  # fmt: skip
        set_status(uow, store.audit, store.firm_id, cid, "start", OPERATOR, START, problems)
    clock = SimClock(START, 1.0)  # real time: the desk is not a race
    app = create_app(store, clock=clock, dial=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="none")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", store, cid, clock)
    finally:
        web.should_exit = True
        thread.join(timeout=15)
        sock.close()
        store.db.dispose()


def _wait(browser: Any, seconds: float = 20) -> WebDriverWait[Any]:
    return WebDriverWait(
        browser,
        seconds,
        poll_frequency=0.1,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


def _text(browser: Any, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def _notice(browser: Any, words: str) -> None:
    """Wait for the page's notice to say ``words``; else fail with what the page says."""
    try:
        _wait(browser).until(lambda b: words in b.find_element(By.ID, "desk-notice").text)
    except Exception:
        shown = {
            i: _text(browser, i)
            for i in (
                "desk-error",
                "call-error",
                "disposition-error",
                "controls-error",
                "preview-error",
            )
        }
        raise AssertionError(f"no notice '{words}': {shown}") from None


def _state(browser: Any, state: str) -> None:
    _wait(browser).until(
        lambda b: b.find_element(By.ID, "state").get_attribute("data-state") == state
    )


def _ids(server: Server) -> tuple[int, list[int]]:
    with server.store.db.connect() as conn:
        agent = conn.execute(select(t.users.c.id).where(t.users.c.role == "agent")).scalar_one()
        contacts = list(conn.execute(select(t.contacts.c.id).order_by(t.contacts.c.id)).scalars())
    return int(agent), [int(c) for c in contacts]


def _hand_call(server: Server, agent: int, contact: int) -> int:
    """What the dialler does for a progressive call: gate (recorded), then the seat."""
    s, at = server.store, server.clock()
    with s.unit_of_work() as uow:
        result = gate(uow, s.rules, s.cipher, s.audit, s.registry, firm_id=s.firm_id,
                      contact_id=contact, at=at, campaign_id=server.campaign)  # fmt: skip
        assert result.decision.verdict == "allow", result.decision
        desk_line.call_assigned(uow, s.audit, s.firm_id, agent, result.attempt_id, at)
    return result.attempt_id


def _end_call(server: Server, agent: int, attempt: int) -> None:
    s = server.store
    with s.unit_of_work() as uow:
        desk_line.call_ended(uow, s.firm_id, agent, attempt, server.clock())


def test_an_agent_takes_a_call_dispositions_it_records_an_opt_out_and_calls_a_preview(
    server: Server, browser: Any
) -> None:
    agent, contacts = _ids(server)
    browser.get(f"{server.url}/desk")
    _wait(browser).until(lambda b: b.find_elements(By.ID, "email"))
    browser.find_element(By.ID, "email").send_keys(AGENT)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(browser).until(lambda b: b.find_elements(By.ID, "login-form"))
    assert "/desk" in browser.current_url

    # choose the campaign (no phone: the simulated carrier), sit: paused while logging in
    Select(browser.find_element(By.ID, "campaign")).select_by_value(str(server.campaign))
    Select(browser.find_element(By.ID, "endpoint")).select_by_value("")
    browser.find_element(By.ID, "login").click()
    _state(browser, "paused")
    assert "Desk callbacks" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.ID, "ready").click()
    _state(browser, "ready")

    # the dialler hands a call: the screen pops within a poll or two
    first = _hand_call(server, agent, contacts[0])
    _state(browser, "on_call")
    _wait(browser).until(lambda b: b.find_element(By.ID, "pop-name").text == NAMES[0])
    shown = _text(browser, "pop-number")
    assert "•" in shown and NUMBERS[0] not in shown and shown.endswith(NUMBERS[0][-2:])
    assert "allow" in _text(browser, "pop-verdict")
    assert _text(browser, "pop-reasons")  # the gate's words, or that every rule passed
    assert FIRM in _text(browser, "pop-script")
    assert _text(browser, "pop-disclosures")

    # the call ends: wrap-up; ready is refused until a disposition is recorded
    _end_call(server, agent, first)
    _state(browser, "wrap_up")
    browser.find_element(By.ID, "ready").click()
    error = _wait(browser).until(lambda b: b.find_element(By.ID, "controls-error").text)
    assert error.startswith("disposition")
    assert browser.find_element(By.ID, "state").get_attribute("data-state") == "wrap_up"
    Select(browser.find_element(By.ID, "disposition")).select_by_value("reached")
    browser.find_element(By.ID, "notes").send_keys("Confirmed Friday 10:00.")
    browser.find_element(By.ID, "save-disposition").click()
    _notice(browser, "Disposition recorded")
    browser.find_element(By.ID, "ready").click()
    _state(browser, "ready")
    with server.store.db.connect() as conn:
        notes = conn.execute(select(t.call_dispositions.c.notes_enc)).scalars().all()
    assert notes and all("Friday" not in (n or "") for n in notes)  # encrypted at rest

    # the next person asks not to be called: the opt-out is in force at once
    second = _hand_call(server, agent, contacts[1])
    _wait(browser).until(lambda b: b.find_element(By.ID, "pop-name").text == NAMES[1])
    with server.store.db.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.dnc_entries)).scalar_one()
    browser.find_element(By.ID, "opt-out").click()
    _notice(browser, "asked not to be called")
    with server.store.db.connect() as conn:
        after = conn.execute(select(func.count()).select_from(t.dnc_entries)).scalar_one()
    assert after == before + 1
    _end_call(server, agent, second)
    _state(browser, "wrap_up")
    # the opt-out is the call's disposition: no later one can undo it
    Select(browser.find_element(By.ID, "disposition")).select_by_value("reached")
    browser.find_element(By.ID, "save-disposition").click()
    refused = _wait(browser).until(lambda b: b.find_element(By.ID, "disposition-error").text)
    assert refused.startswith("code:") and "asked_not_to_call" in refused
    browser.find_element(By.ID, "ready").click()
    _state(browser, "ready")

    # a preview offer: the contact and a dry-run verdict first, then Call
    s = server.store
    with s.unit_of_work() as uow:
        seat = uow.desk.session(s.firm_id, agent, lock=True)
        assert seat is not None
        uow.desk.save(replace(seat, state="preview", preview_contact_id=contacts[2]))
    _state(browser, "preview")
    _wait(browser).until(lambda b: b.find_element(By.ID, "pop-name").text == NAMES[2])
    assert "dry run" in _text(browser, "pop-verdict")
    browser.find_element(By.ID, "preview-call").click()
    _notice(browser, "Calling")
    with s.reading() as uow:
        seat = uow.desk.session(s.firm_id, agent)
    assert seat is not None and seat.dial_contact_id == contacts[2]
