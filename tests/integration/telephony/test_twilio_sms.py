"""The code sender against a local server impersonating Twilio's Messages API."""

from __future__ import annotations

import base64
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lexdial.adapters.sms_twilio import TwilioSmsSender
from lexdial.errors import TelephonyError

ACCOUNT, TOKEN = "AC" + "0" * 32, "secret-token"


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Api(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            form = dict(urllib.parse.parse_qsl(body))
            auth = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
            form["_path"], form["_auth"] = self.path, auth
            seen.append(form)
            ok = form.get("To") != "+15005550001"  # Twilio's "invalid number" test number
            status = 201 if ok else 400
            reply = (
                f'{{"sid": "SM{"1" * 32}", "status": "queued", "to": "{form.get("To")}"}}'
                if ok
                else '{"code": 21211, "message": "The To number is not valid", "status": 400}'
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(reply.encode())

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_code_is_sent_as_an_sms_from_the_firms_number(
    server: tuple[str, list[dict[str, str]]],
) -> None:
    url, seen = server
    sender = TwilioSmsSender(account_sid=ACCOUNT, auth_token=TOKEN, from_number="+16145550199",
                             base_url=url)  # fmt: skip
    sender.send("+16145550101", "Hartwell & Ruiz: your code is 123456")
    (sent,) = seen
    assert sent["_path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert sent["_auth"] == f"{ACCOUNT}:{TOKEN}"
    assert (sent["To"], sent["From"]) == ("+16145550101", "+16145550199")
    assert "123456" in sent["Body"]


def test_a_refused_message_is_an_error_that_does_not_name_the_number(
    server: tuple[str, list[dict[str, str]]],
) -> None:
    url, _ = server
    sender = TwilioSmsSender(account_sid=ACCOUNT, auth_token=TOKEN, from_number="+16145550199",
                             base_url=url)  # fmt: skip
    with pytest.raises(TelephonyError) as err:
        sender.send("+15005550001", "code 1")
    assert "21211" in str(err.value) and "5550001" not in str(err.value)
