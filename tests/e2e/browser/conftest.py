"""A real server and a real browser: uvicorn on 127.0.0.1 in a thread, headless Chromium
driven by Selenium, over a fresh SQLite store with sample contacts and a draft campaign.

The app runs on a simulated clock (a weekday, 15:00 UTC, time running 1000 times faster)
and dials on the simulated carrier at the same pace, so a campaign's hours pass in
seconds. The browser is kept off the network (no sync, no component updates, no
background requests); the pages load nothing but the server's own stylesheet.

Without Chromium and chromedriver the tests are skipped on a workstation, and fail when
$CI is set: a CI run that silently tests no browser is worse than a red one.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.adapters.telephony.simulated import SimulatedCarrier
from lexdial.bootstrap import Store, init_store, mark_sandbox
from lexdial.config import Settings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy
from lexdial.service.auth import set_password
from lexdial.service.campaigns import add_contacts, create_campaign
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR, add_user

CHROMIUM = Path(os.environ.get("LEXDIAL_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("LEXDIAL_CHROMEDRIVER", "/usr/bin/chromedriver"))
ARTIFACTS = Path(__file__).parent / "artifacts"
START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York
TIMESCALE = 0.001  # one real second is 1000 simulated seconds
FIRM = "Hartwell & Ruiz LLP"
PASSWORD = "correct horse battery staple"
USER = "compliance@firm.test"
MESSAGE = (
    f"Hello, this is {FIRM} with a reminder of your appointment at our office this week. "
    "If you need to reschedule, please call us at 614-555-0199. To stop receiving these "
    "calls, press 9 now."
)
CAMPAIGN = {
    "name": "December appointment reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "schedule": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"},
    "retry": {"max_attempts": 2, "delay_minutes": 20, "on": ["no_answer", "busy", "failed"]},
    "message": {"text": MESSAGE},
}


def require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        why = "browser tests need " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(why + " (CI is set: install chromium and chromium-driver)")
        pytest.skip(why)


class SimClock:
    """The app's clock: ``start`` plus the wall time elapsed since, sped up 1/timescale."""

    def __init__(self, start: datetime, timescale: float) -> None:
        self.start, self.timescale, self.t0 = start, timescale, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.t0) / self.timescale)


@dataclass
class Server:
    url: str
    store: Store
    campaign: int
    clock: SimClock


def _populate(store: Store, at: datetime) -> int:
    """The user, a draft campaign, and one contact already on it: a person who asked the
    firm not to call (the import adds the rest)."""
    with store.db.begin() as conn:
        uid = add_user(
            SqlUnitOfWork(conn),
store.cipher, store.firm_id, USER, "Casey Compliance", "compliance", at,
            audit=store.audit, caller=OPERATOR,
        )  # fmt: skip
        set_password(SqlUnitOfWork(conn), store.audit, uid, PASSWORD, OPERATOR, at)
        number = "+17135550190"
        contact = NewContact(
            numbers=((number, "wireless"),),
            name="Taylor Doe",
            address={"country": "US", "state": "TX"},
            relationship="current_client",
            subscriber="consumer",
        )
        contact_id = add_contact(
            SqlUnitOfWork(conn),
            store.cipher,
            store.firm_id,
            contact,
            at,
            audit=ListAudit(),
            caller=OPERATOR,
        )
        evidence = ConsentEvidence(
            "signed engagement letter",
            "You may call me.",
            "2026-06",
            "intake desk",
            document_ref="engagement/0190",
        )
        consent = NewConsent(number, "express", ["reminder"], [FIRM], at, evidence)
        record_consent(
            SqlUnitOfWork(conn), store.cipher, store.audit, store.firm_id, consent, OPERATOR, at
        )
        opt_out(
            SqlUnitOfWork(conn),
            store.cipher,
            store.audit,
            store.firm_id,
            number,
            "staff",
            "asked by telephone",
            OPERATOR,
            at + timedelta(days=3),
        )
        campaign = create_campaign(
            SqlUnitOfWork(conn), store.audit, store.firm_id, CAMPAIGN, OPERATOR, at
        )
        add_contacts(
            SqlUnitOfWork(conn), store.audit, store.firm_id, campaign, [contact_id], OPERATOR, at
        )
    return campaign


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn serving the app (dialling embedded) on a free port of 127.0.0.1."""
    require_browser()
    import uvicorn

    settings = Settings(policy=Policy(), firm_name=FIRM)
    data = tmp_path_factory.mktemp("store")
    store = init_store(settings, {"LEXDIAL_DATA_DIR": str(data)}, now=START)
    mark_sandbox(store)  # the browser test dials the simulated carrier into this store
    campaign = _populate(store, START - timedelta(days=30))
    clock = SimClock(START, TIMESCALE)
    app = create_app(
        store, clock=clock, dial=True, carrier=lambda: SimulatedCarrier(seed=1, timescale=TIMESCALE)
    )
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
        yield Server(f"http://127.0.0.1:{port}", store, campaign, clock)
    finally:
        web.should_exit = True
        thread.join(timeout=15)
        sock.close()
        store.db.dispose()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(server: Server, downloads: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Headless Chromium through chromedriver; downloads land in ``downloads``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--disable-default-apps",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshot(browser: Any) -> Callable[[str], Path]:
    """Save the whole page (not just the window) as artifacts/<name>.png; prints the path."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        try:
            size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            shot = browser.execute_cdp_cmd(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {
                        "x": 0,
                        "y": 0,
                        "width": size["width"],
                        "height": size["height"],
                        "scale": 1,
                    },
                },
            )
            path.write_bytes(base64.b64decode(shot["data"]))
        except Exception:  # an older driver without the CDP call: the visible window
            browser.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path

    return take
