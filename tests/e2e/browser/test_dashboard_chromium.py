"""The dashboard in real Chromium, as a compliance officer uses it: log in, import a file
onto a campaign, start it on the simulated carrier and watch it finish, open a blocked
contact and read why, press opt-out, download the evidence bundle, check compliance and
the audit chain. Screenshots of the main pages are kept in ``artifacts/``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
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

from .conftest import FIRM, PASSWORD, USER, Server, require_browser

Shot = Callable[[str], Path]
#: the file a paralegal would upload: eight clients with consent in three time zones, and
#: one number with no consent on record (which the gate must block)
ROWS = [("614", "OH")] * 4 + [("212", "NY")] * 2 + [("415", "CA")] * 2
CSV = (
    "Mobile,Full Name,State,Line Type,Consent Type,Scope,Consent Date,Method,Disclosure,"
    "Disclosure Version,Captured By,Document Ref,Seller\n"
    + "".join(
        f"+1{area}555{i:04d},Client {i},{state},wireless,express,reminder,2026-06-01T12:00:00Z,"
        f"engagement letter,You may call me with reminders.,v3,intake:jdoe,DOC-{i},{FIRM}\n"
        for i, (area, state) in enumerate(ROWS, start=101)
    )
    + "+16175550199,Client No Consent,MA,wireless,,,,,,,,,\n"
)


def test_chromium_and_chromedriver_are_installed() -> None:
    """Skipped on a workstation without them; a failure when $CI is set."""
    require_browser()


def _wait(browser: Any, seconds: float = 30) -> WebDriverWait[Any]:
    return WebDriverWait(
        browser,
        seconds,
        poll_frequency=0.25,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


def _text(browser: Any, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def _log_in(browser: Any) -> None:
    browser.find_element(By.ID, "email").send_keys(USER)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(browser).until(lambda b: "/login" not in b.current_url)


def _open(browser: Any, url: str) -> None:
    """Go to ``url``; log in again if the session has run out (the clock runs 1000x)."""
    browser.get(url)
    if "/login" in browser.current_url:
        _log_in(browser)


def test_a_campaign_from_import_to_evidence(
    server: Server, browser: Any, downloads: Path, screenshot: Shot, tmp_path: Path
) -> None:
    # an anonymous visit lands on the log-in form
    browser.get(f"{server.url}/campaigns")
    _wait(browser).until(lambda b: b.find_element(By.ID, "email"))
    assert "/login?next=/campaigns" in browser.current_url
    screenshot("login")
    _log_in(browser)
    assert browser.current_url.endswith("/campaigns")
    assert "December appointment reminders" in browser.find_element(By.TAG_NAME, "main").text

    # import a file onto the draft campaign
    browser.find_element(By.LINK_TEXT, "Imports").click()
    upload = tmp_path / "clients.csv"
    upload.write_text(CSV, encoding="utf-8")
    browser.find_element(By.ID, "file").send_keys(str(upload))
    browser.find_element(By.ID, "upload").click()
    _wait(browser).until(lambda b: b.find_element(By.ID, "preview"))
    preview = _text(browser, "preview")
    assert "+1614•••••01" in preview and "Client" not in preview  # masked
    screenshot("import-preview")
    Select(browser.find_element(By.ID, "campaign")).select_by_value(str(server.campaign))
    browser.find_element(By.ID, "import").click()
    result = _wait(browser).until(lambda b: b.find_element(By.ID, "import-result")).text
    assert "9 new contact(s)" in result and "8 consent(s) recorded" in result
    assert "9 contact(s) put on campaign" in result

    # start it on the simulated carrier and watch it finish
    browser.find_element(By.ID, "to-campaign").click()
    _wait(browser).until(lambda b: b.find_element(By.ID, "action-start")).click()
    _wait(browser).until(lambda b: _text(b, "campaign-status") == "running")
    _wait(browser, 120).until(lambda b: "Finished" in _text(b, "campaign-state"))
    assert int(_text(browser, "fig-contacts")) == 10
    assert int(_text(browser, "fig-dialled")) >= 8
    assert int(_text(browser, "fig-blocked")) == 2
    assert "3 % limit" in browser.page_source
    screenshot("campaign")

    # open the contact blocked for want of consent, and read why
    blocked = browser.find_element(By.ID, "blocked-contacts")
    item = next(
        li for li in blocked.find_elements(By.TAG_NAME, "li") if "none is on record" in li.text
    )
    item.find_element(By.TAG_NAME, "a").click()
    _wait(browser).until(lambda b: b.find_element(By.ID, "decisions-h"))
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "not called" in page
    assert "Consent required for this technology/line/purpose and none is on record." in page
    assert _text(browser, "dnc-none") == "Not on the firm's do-not-call list."

    # the person asks not to be called: press opt-out
    browser.find_element(By.ID, "opt-out").click()
    _wait(browser).until(lambda b: b.find_element(By.ID, "notice"))
    assert "Opt-out recorded and in force" in _text(browser, "notice")
    assert "staff" in _text(browser, "dnc")
    screenshot("contact")

    # download the evidence bundle
    contact_id = int(browser.current_url.split("/contacts/")[1].split("?")[0])
    browser.find_element(By.ID, "evidence-download").click()
    target = downloads / f"evidence-contact-{contact_id}.json"
    deadline = time.monotonic() + 30
    while not (target.exists() and target.stat().st_size > 0):
        assert time.monotonic() < deadline, f"no download: {sorted(downloads.iterdir())}"
        time.sleep(0.2)
    time.sleep(0.3)  # let Chromium finish renaming the partial file
    bundle = json.loads(target.read_text(encoding="utf-8"))
    (one,) = bundle["bundles"]
    assert bundle["contact_id"] == contact_id and one["number"] == "+16175550199"
    assert one["opt_outs"] and one["decisions"][0]["verdict"] == "deny"
    assert one["chain"]["intact"] is True

    # compliance and audit
    _open(browser, f"{server.url}/compliance")
    assert "December appointment reminders" in _text(browser, "coverage")
    assert "never loaded" in _text(browser, "registries")
    screenshot("compliance")
    _open(browser, f"{server.url}/audit")
    assert _text(browser, "chain-status").startswith("Intact")
    screenshot("audit")

    # nothing was fetched from anywhere but this server
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(str(r).startswith(server.url) for r in resources), resources
