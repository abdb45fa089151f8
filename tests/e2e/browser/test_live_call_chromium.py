"""An agent in real Chromium takes a real call through the desk: nothing is played by hand.

The web app runs as ``lexdial serve`` runs it (``create_app(store, dial=True)``: the
campaign runner in its own loop) over a store whose ``[telephony]`` carrier is SIP on the
in-process media plane, its trunk a SIPp "person" on loopback, and whose ``[desk]`` WebRTC
gateway listens on a free port. The agent has a ``browser`` endpoint; Chromium's microphone
is a file (an upward sweep, looped).

The desk seats agents only at a running or paused campaign, so a manager starts the
campaign through the API and pauses it at once (no seat is ready: nothing is dialled).
The agent logs in, sits at it with the browser phone, connects the softphone, goes ready;
the manager resumes the campaign. The dialler opens the agent's
leg to the gateway, gates and places the call to SIPp, judges the "Hello?" human and
bridges: the screen pops with the contact and the gate's decision. Who hears whom is
proved by correlation at both ends: the page records what it plays (the person's
downward sweep must be in it), and SIPp's answer names the test's ``RtpSink`` as its
media address, so the sink holds what lexdial sent the person (the agent's upward sweep
must be in it). The agent hangs up in the page (SIPp gets its BYE), ready is refused until
a disposition is stored, and the seat is ready again after it.

Then a preview campaign: the desk offers a contact with the gate's dry-run verdict, the
agent clicks Call, and the call is placed to SIPp and bridged to the same browser.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import wave
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

try:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # the conftest explains; in CI a missing selenium is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("selenium is not installed", allow_module_level=True)

from sqlalchemy import select
from tests.integration.telephony.softphone_peers import best_match, chirp
from tests.integration.telephony.test_sip_sipp import (
    ULAW_DECODE,
    RtpSink,
    Sipp,
    _missing_tools,
    scenario,
    voice,
    write_pcap,
)

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import Store, init_store
from lexdial.config import Settings
from lexdial.config.desk import DeskSettings
from lexdial.config.telephony import TelephonySettings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy
from lexdial.service.agent_endpoints import add_endpoint
from lexdial.service.auth import issue_token, set_password
from lexdial.service.campaigns import add_contacts, create_campaign
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.users import OPERATOR, add_user, attest_training

from .conftest import CHROMEDRIVER, CHROMIUM, FIRM, PASSWORD, START, SimClock, require_browser

AGENT, MANAGER = "agent@firm.test", "manager@firm.test"
UP, DOWN = chirp(300, 3000), chirp(3000, 300)  # the agent's microphone, the person's talk
SWEEP = 8000  # one second of a sweep: what correlation looks for
NUMBERS = ("+16145550141", "+16145550142")
NAMES = ("Robin Live", "Alex Preview")
SCRIPT = (
    f"Hello, this is Jordan calling from {FIRM} about your appointment at our office this "
    "week. If you would rather not get these calls, just tell me and we will stop."
)


def _spec(name: str, mode: str) -> dict[str, Any]:
    return {
        "name": name,
        "purpose": "reminder",
        "mode": mode,
        "caller_id": "+16145550199",
        "schedule": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"},
        "retry": {"max_attempts": 1},
        "message": {
            "text": SCRIPT,
            "safe_harbor_text": f"{FIRM}, 614-555-0199. To stop these calls, press 9 now.",
        },
    }


T = TypeVar("T")


class Loop:
    """An asyncio loop in a thread, for SIPp and its RTP sink."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@dataclass
class Rig:
    url: str
    store: Store
    app: Any
    agent: int
    endpoint: int
    live: int  # the progressive campaign
    preview: int  # the preview campaign
    token: str  # the manager's API token
    sipp: Sipp
    sink: RtpSink
    loop: Loop
    calls: int = 0  # calls the tests placed to the person's SIPp (it expects two)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _person(folder: Path) -> np.ndarray:
    """The person's side of each call: "Hello?" (0.6 s), a near-silent wait (the detector
    hears a human), then the downward sweep over and over for 40 s."""
    quiet = np.random.default_rng(11).normal(0, 12, round(1.8 * 8000))
    talk = np.tile(DOWN * 2 * 16000, 27)  # 1.5 s each
    return np.concatenate([voice(0.6), quiet, talk]).astype(np.int16)


def _populate(store: Store) -> tuple[int, int, int, int, str]:
    at = START - timedelta(days=30)
    with store.unit_of_work() as uow:
        uid = add_user(uow, store.cipher, store.firm_id, AGENT, "Jordan Agent", "agent", at,
                       audit=store.audit, caller=OPERATOR)  # fmt: skip
        attest_training(uow, uid, "TCPA basics", at.date(), 365, at, OPERATOR, audit=store.audit)
        set_password(uow, store.audit, uid, PASSWORD, OPERATOR, at)
        endpoint = add_endpoint(uow, uid, "browser", None, at, audit=store.audit,
                                caller=OPERATOR, firm_id=store.firm_id)  # fmt: skip
        mid = add_user(uow, store.cipher, store.firm_id, MANAGER, "Morgan Manager", "manager",
                       at, audit=store.audit, caller=OPERATOR)  # fmt: skip
        token = issue_token(uow, store.audit, mid, "e2e", OPERATOR, at, store.firm_id).token
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
        campaigns = []
        for k, (name, mode) in enumerate((("Live reminders", "progressive"),
                                          ("Preview reminders", "preview"))):  # fmt: skip
            cid = create_campaign(uow, store.audit, store.firm_id, _spec(name, mode), OPERATOR, at)
            add_contacts(uow, store.audit, store.firm_id, cid, [ids[k]], OPERATOR, at)
            campaigns.append(cid)
    return uid, endpoint, campaigns[0], campaigns[1], token


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    require_browser()
    missing = [tool for tool in _missing_tools() if tool != "baresip"]
    if missing:
        why = f"telephony tools missing: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(why + "; scripts/telephony.sh installs them")
        pytest.skip(why + "; run scripts/telephony.sh")
    import uvicorn

    tmp = tmp_path_factory.mktemp("live")
    loop, sink = Loop(), RtpSink()

    async def listen() -> Any:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: sink, local_addr=("127.0.0.1", 0)
        )
        return transport

    transport = loop.run(listen())
    pcap = write_pcap(tmp / "person.pcap", _person(tmp))
    path = scenario(tmp, "uas_greeting.xml", GREETING_PCAP=str(pcap), BYE_TIMEOUT_MS="90000")
    # two calls: the progressive one, then the preview one
    sipp = Sipp(path, tmp, 2, int(transport.get_extra_info("sockname")[1]))
    sipp_started = False
    web = thread = sock = store = None
    try:
        loop.run(sipp.start())
        sipp_started = True
        settings = Settings(
            policy=Policy(),
            firm_name=FIRM,
            telephony=TelephonySettings(carrier="sip", trunk=sipp.trunk, media="plane"),
            # a fixed port: the dialler INVITEs sip:agent-<id>@ this address
            desk=DeskSettings(True, ("127.0.0.1", _free_udp_port())),
        )
        store = init_store(settings, {"LEXDIAL_DATA_DIR": str(tmp / "store")}, now=START)
        agent, endpoint, live, preview, token = _populate(store)
        app = create_app(store, clock=SimClock(START, 1.0), dial=True)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", ws="none"
        )
        web = uvicorn.Server(config)
        thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not web.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        yield Rig(url, store, app, agent, endpoint, live, preview, token, sipp, sink, loop)
    finally:
        if web is not None and thread is not None:
            web.should_exit = True
            thread.join(timeout=20)
        if sock is not None:
            sock.close()
        if store is not None:
            store.db.dispose()
        if sipp_started and sipp.proc is not None and sipp.proc.returncode is None:
            sipp.proc.kill()
            loop.run(sipp.proc.wait())
        transport.close()
        loop.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium whose microphone plays the upward sweep, looped."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    folder = tmp_path_factory.mktemp("mic")
    wav = folder / "agent.wav"
    pcm = (np.tile(UP, 60) * 0.8 * 32767).astype("<i2")
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(pcm.tobytes())
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-extensions", "--disable-default-apps",
        "--window-size=1280,1000",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        f"--user-data-dir={folder / 'profile'}",
    ):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(browser: Any, seconds: float = 30) -> WebDriverWait[Any]:
    return WebDriverWait(
        browser,
        seconds,
        poll_frequency=0.1,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


def _text(browser: Any, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def _errors(browser: Any) -> dict[str, str]:
    out = {}
    for i in ("desk-error", "login-error", "call-error", "controls-error", "preview-error"):
        found = browser.find_elements(By.ID, i)
        out[i] = found[0].text if found else "(absent)"
    found = browser.find_elements(By.ID, "softphone-status")
    out["softphone"] = found[0].text if found else "(absent)"
    return out


def _state(browser: Any, state: str, seconds: float = 30) -> None:
    try:
        _wait(browser, seconds).until(
            lambda b: b.find_element(By.ID, "state").get_attribute("data-state") == state
        )
    except Exception:
        shown = browser.find_element(By.ID, "state").get_attribute("data-state")
        raise AssertionError(f"seat not {state} but {shown}: {_errors(browser)}") from None


def _softphone(browser: Any, words: str, seconds: float = 30) -> None:
    try:
        _wait(browser, seconds).until(lambda b: words in _text(b, "softphone-status"))
    except Exception:
        raise AssertionError(f"softphone never said '{words}': {_errors(browser)}") from None


def _api(rig: Rig, path: str) -> dict[str, Any]:
    req = urllib.request.Request(
        f"{rig.url}{path}",
        b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {rig.token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return dict(json.loads(res.read()))
    except urllib.error.HTTPError as err:
        raise AssertionError(f"{path}: {err.code} {err.read().decode()}") from None


def _log_in(browser: Any, rig: Rig) -> None:
    browser.get(f"{rig.url}/login?next=/desk")
    browser.find_element(By.ID, "email").send_keys(AGENT)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    try:
        _wait(browser).until(lambda b: b.find_elements(By.ID, "desk"))
    except Exception:
        body = browser.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"not on the desk: {browser.current_url}\n{body}") from None


def _sit(browser: Any, rig: Rig, campaign: int) -> None:
    """Choose the campaign and the browser phone, connect the softphone, go ready."""
    Select(browser.find_element(By.ID, "campaign")).select_by_value(str(campaign))
    Select(browser.find_element(By.ID, "endpoint")).select_by_value(str(rig.endpoint))
    browser.find_element(By.ID, "login").click()
    _state(browser, "paused")
    _wait(browser).until(lambda b: b.find_elements(By.ID, "softphone-connect"))
    browser.find_element(By.ID, "softphone-connect").click()
    _softphone(browser, "ready, no line")
    browser.find_element(By.ID, "ready").click()
    _state(browser, "ready")


def _heard_by_person(sink: RtpSink, streams: set[int]) -> np.ndarray:
    out = []
    for ssrc in streams:
        packets = sink.streams[ssrc]
        out += [packets[q] for q in sorted(packets)]
    return ULAW_DECODE[np.frombuffer(b"".join(out), dtype=np.uint8)] / 32768.0


def _both_hear(browser: Any, rig: Rig, streams: set[int]) -> dict[str, float]:
    time.sleep(1.0)  # jitter buffers settle
    samples = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.lexdialSoftphone.captureHeard(4, 8000).then(done, e => done(String(e)));"
    )
    assert isinstance(samples, list), samples
    at_browser = np.array(samples, dtype=np.float64)
    at_person = _heard_by_person(rig.sink, streams)
    heard = {
        "agent hears person": best_match(at_browser, DOWN[:SWEEP]),
        "agent hears self": best_match(at_browser, UP[:SWEEP]),
        "person hears agent": best_match(at_person, UP[:SWEEP]),
        "person hears self": best_match(at_person, DOWN[:SWEEP]),
    }
    print(heard)
    # Chromium's echo canceller, noise suppressor and gain control reshape the agent's
    # sweep as they would a voice, and the person's sweep crosses Opus and u-law: the test
    # asks for several times an unrelated signal's score (about 0.05), not a copy
    assert heard["agent hears person"] > 0.5 and heard["agent hears self"] < 0.2, heard
    assert heard["person hears agent"] > 0.4 and heard["person hears self"] < 0.2, heard
    return heard


def _new_streams(rig: Rig, before: set[int], seconds: float = 30) -> set[int]:
    """The RTP streams lexdial opened towards the person since ``before`` was taken."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fresh = set(rig.sink.streams) - before
        if fresh:
            return fresh
        time.sleep(0.1)
    raise AssertionError("no RTP reached the person")


def _media_stops(rig: Rig, streams: set[int]) -> None:
    """The call is over at the person's end: lexdial sends them nothing more."""
    deadline = time.monotonic() + 10
    while True:
        sent = sum(len(rig.sink.streams[s]) for s in streams)
        time.sleep(1.0)
        if sum(len(rig.sink.streams[s]) for s in streams) == sent:
            return
        assert time.monotonic() < deadline, "lexdial still sends the person audio"


def test_an_agent_in_chromium_takes_a_sipp_persons_call_through_the_desk_and_dispositions_it(
    rig: Rig, chromium: Any
) -> None:
    browser = chromium
    # the desk seats agents at a running or paused campaign: the manager starts it and
    # pauses it at once (no seat is ready: nothing is dialled), so the agent can sit first
    assert _api(rig, f"/v1/campaigns/{rig.live}/start")["status"] == "running"
    assert _api(rig, f"/v1/campaigns/{rig.live}/pause")["status"] == "paused"
    _log_in(browser, rig)
    _sit(browser, rig, rig.live)

    # the manager resumes the campaign: the dialler opens the agent's leg, dials the person
    before = set(rig.sink.streams)
    started = _api(rig, f"/v1/campaigns/{rig.live}/resume")
    assert started["status"] == "running", started
    _softphone(browser, "line open")
    _state(browser, "on_call", 60)
    _wait(browser).until(lambda b: _text(b, "pop-name") == NAMES[0])
    shown = _text(browser, "pop-number")
    assert NUMBERS[0] not in shown and shown.endswith(NUMBERS[0][-2:])
    assert "allow" in _text(browser, "pop-verdict")
    assert _text(browser, "pop-reasons")
    assert FIRM in _text(browser, "pop-script")

    streams = _new_streams(rig, before)
    rig.calls += 1
    time.sleep(1.5)  # the person's greeting and wait are behind; they are sweeping now
    _both_hear(browser, rig, streams)

    # the agent hangs up in the page: the person gets the BYE, the seat wraps up
    browser.find_element(By.ID, "hangup").click()
    _state(browser, "wrap_up")
    _media_stops(rig, streams)
    browser.find_element(By.ID, "ready").click()
    error = _wait(browser).until(lambda b: _text(b, "controls-error"))
    assert error.startswith("disposition"), error
    assert browser.find_element(By.ID, "state").get_attribute("data-state") == "wrap_up"
    Select(browser.find_element(By.ID, "disposition")).select_by_value("reached")
    browser.find_element(By.ID, "notes").send_keys("Confirmed Friday 10:00.")
    browser.find_element(By.ID, "save-disposition").click()
    _wait(browser).until(lambda b: "Disposition recorded" in _text(b, "desk-notice"))
    browser.find_element(By.ID, "ready").click()
    _state(browser, "ready")

    # the evidence: one attempt allowed, its outcome bridged to this agent
    with rig.store.db.connect() as conn:
        outcomes = list(conn.execute(select(t.call_outcomes.c.outcome, t.call_outcomes.c.agent_id)))
    assert ("bridged", rig.agent) in [tuple(r) for r in outcomes], outcomes


def test_an_agent_in_chromium_reviews_a_preview_offer_and_calls_the_sipp_person_on_click(
    rig: Rig, chromium: Any
) -> None:
    browser = chromium
    browser.get(f"{rig.url}/desk")
    if browser.find_elements(By.ID, "email"):  # run alone: not logged in yet
        _log_in(browser, rig)
    if browser.find_element(By.ID, "logout").is_displayed():  # seated by the test before
        browser.find_element(By.ID, "logout").click()
        _state(browser, "logged_out")
    # a preview campaign dials nobody without the agent's click: it runs before they sit
    assert _api(rig, f"/v1/campaigns/{rig.preview}/start")["status"] == "running"
    browser.refresh()
    _wait(browser).until(lambda b: b.find_element(By.ID, "login").is_displayed())
    before = set(rig.sink.streams)
    _sit(browser, rig, rig.preview)

    # the dialler opens the leg and offers the contact: the gate's dry run, nothing dialled
    _softphone(browser, "line open")
    _state(browser, "preview", 60)
    _wait(browser).until(lambda b: _text(b, "pop-name") == NAMES[1])
    assert "dry run" in _text(browser, "pop-verdict")
    assert "allow" in _text(browser, "pop-verdict")
    time.sleep(1.0)
    assert set(rig.sink.streams) == before, "the person was called before the agent's click"
    with rig.store.db.connect() as conn:
        attempts = conn.execute(
            select(t.call_attempts.c.id).where(t.call_attempts.c.campaign_id == rig.preview)
        ).all()
    assert not attempts, attempts

    # Call: gated, placed to SIPp, and the person is put through to this browser
    browser.find_element(By.ID, "preview-call").click()
    _state(browser, "on_call", 60)
    streams = _new_streams(rig, before)
    rig.calls += 1
    _wait(browser).until(lambda b: _text(b, "pop-name") == NAMES[1])
    # the page redraws the screen pop at its next poll: the recorded decision replaces the
    # preview's dry run
    _wait(browser).until(lambda b: "dry run" not in _text(b, "pop-verdict"))
    assert "allow" in _text(browser, "pop-verdict")
    time.sleep(1.5)
    _both_hear(browser, rig, streams)
    browser.find_element(By.ID, "hangup").click()
    _state(browser, "wrap_up")
    _media_stops(rig, streams)
    Select(browser.find_element(By.ID, "disposition")).select_by_value("reached")
    browser.find_element(By.ID, "save-disposition").click()
    _wait(browser).until(lambda b: "Disposition recorded" in _text(b, "desk-notice"))
    with rig.store.db.connect() as conn:
        rows = conn.execute(
            select(t.call_outcomes.c.outcome, t.call_outcomes.c.agent_id)
            .join(t.call_attempts, t.call_attempts.c.id == t.call_outcomes.c.attempt_id)
            .where(t.call_attempts.c.campaign_id == rig.preview)
        ).all()
    assert ("bridged", rig.agent) in [tuple(r) for r in rows], rows
    # the person's SIPp answered both calls and got both BYEs: it exits cleanly (run
    # alone, this test placed only one of the two calls it waits for)
    if rig.calls == 2:
        assert rig.loop.run(rig.sipp.finish(30)) == 0, rig.sipp.report()
