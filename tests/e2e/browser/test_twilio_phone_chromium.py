"""The desk's Twilio softphone script (``static/twilio_phone.js``) in headless Chromium.

Twilio's signalling servers cannot be reached from here, so the page replaces
``Twilio.Device`` with a recorder that keeps the SDK's documented surface (constructor
with a token and options, ``on``, ``register``, ``updateToken``; a call's ``on`` and
``accept``): what is tested is what the script asks of the SDK: a token fetched from
``/desk/twilio/token``, registration, the nailed-up leg accepted, the token refreshed on
``tokenWillExpire``, and a refusal shown. A second page loads the vendored SDK itself and
checks it defines ``Twilio.Device`` at the version the README names.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import CHROMEDRIVER, CHROMIUM, require_browser

STATIC = Path(__file__).resolve().parents[3] / "src/lexdial/entrypoints/api/static"

RECORDER = """
window.deviceLog = [];
function FakeCall() { this.handlers = {}; }
FakeCall.prototype.on = function (e, f) { this.handlers[e] = f; };
FakeCall.prototype.accept = function () {
  deviceLog.push("accept");
  if (this.handlers.accept) { this.handlers.accept(); }
};
window.FakeCall = FakeCall;
function Device(token, options) {
  deviceLog.push("new:" + token + ":" + options.tokenRefreshMs);
  this.handlers = {};
  window.fakeDevice = this;
}
Device.prototype.on = function (e, f) { this.handlers[e] = f; };
Device.prototype.register = function () {
  deviceLog.push("register");
  var self = this;
  setTimeout(function () { self.handlers.registered(); }, 0);
};
Device.prototype.updateToken = function (t) { deviceLog.push("update:" + t); };
window.Twilio = { Device: Device };
"""
DESK = """<!doctype html><html><head><title>desk</title></head><body>
<section id="softphone" data-endpoint-kind="twilio_client"><p data-softphone-status></p></section>
<script>{recorder}</script><script src="/static/twilio_phone.js"></script></body></html>"""
SDK = """<!doctype html><html><head><title>sdk</title></head><body>
<script src="/static/twilio-voice.min.js"></script></body></html>"""


class Desk:
    """A tiny server: the desk page, the static scripts and a scripted token route."""

    def __init__(self) -> None:
        self.issued = 0
        self.refuse = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/desk":
                    self._send(200, "text/html", DESK.replace("{recorder}", RECORDER).encode())
                elif self.path == "/sdk":
                    self._send(200, "text/html", SDK.encode())
                elif self.path.startswith("/static/"):
                    name = self.path.removeprefix("/static/")
                    self._send(200, "text/javascript", (STATIC / name).read_bytes())
                elif self.path == "/desk/twilio/token":
                    if desk.refuse:
                        refusal = "you have no twilio_client endpoint"
                        body = {"error": {"field": "endpoint", "message": refusal}}
                        self._send(404, "application/json", json.dumps(body).encode())
                        return
                    desk.issued += 1
                    body = {"token": f"tok-{desk.issued}", "identity": "ana.desk", "ttl_s": 3600}
                    self._send(200, "application/json", json.dumps(body).encode())
                else:
                    self._send(404, "text/plain", b"no")

            def _send(self, status: int, kind: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def desk() -> Iterator[Desk]:
    require_browser()
    served = Desk()
    yield served
    served.close()


@pytest.fixture
def chromium(tmp_path: Path, desk: Desk) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, script: str, expected: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = driver.execute_script(script)
        if got == expected:
            return got
        assert time.monotonic() < deadline, f"{script!r}: {got!r}, not {expected!r}"
        time.sleep(0.05)


STATUS = "return document.querySelector('[data-softphone-status]').textContent"
LOG = "return window.deviceLog.join(' ')"


def test_the_softphone_registers_with_its_token_accepts_the_desk_line_and_refreshes(
    desk: Desk, chromium: Any
) -> None:
    chromium.get(desk.url + "/desk")
    wait_for(chromium, STATUS, "Ready: waiting for the desk line")
    assert chromium.execute_script(LOG) == "new:tok-1:60000 register"
    chromium.execute_script("window.fakeDevice.handlers.incoming(new FakeCall())")
    wait_for(chromium, STATUS, "Connected: desk line open")
    assert chromium.execute_script(LOG).endswith("register accept")
    chromium.execute_script("window.fakeDevice.handlers.tokenWillExpire()")
    wait_for(chromium, LOG, "new:tok-1:60000 register accept update:tok-2")
    assert desk.issued == 2
    state = "return document.querySelector('#softphone').dataset.softphoneState"
    assert chromium.execute_script(state) == "connected"


def test_a_refused_token_is_shown_and_no_device_is_made(desk: Desk, chromium: Any) -> None:
    desk.refuse = True
    chromium.get(desk.url + "/desk")
    wait_for(chromium, STATUS, "Error: you have no twilio_client endpoint")
    assert chromium.execute_script(LOG) == ""


def test_the_vendored_sdk_defines_twilio_device_at_the_version_the_readme_names(
    desk: Desk, chromium: Any
) -> None:
    chromium.get(desk.url + "/sdk")
    kind = "return typeof (window.Twilio && window.Twilio.Device)"
    wait_for(chromium, kind, "function")
    assert chromium.execute_script("return Twilio.Device.version") == "2.18.5"
