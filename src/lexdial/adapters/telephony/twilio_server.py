"""The Twilio webhooks served by the process that placed the calls (``campaign run``).

Twilio calls back the process whose ``CallBook`` knows the call: ``lexdial serve`` mounts
the webhooks in its web app (``/webhooks/twilio/<route>``); a campaign run from the
command line has no web app, so its adapter serves them itself with this small HTTP
server, started with the adapter and stopped with it.

Rule 1: Twilio reaches lexdial at ``webhook_base_url`` (public, https); a TLS proxy or
tunnel forwards that to ``listen`` (plain HTTP, by default on 127.0.0.1). The signature
covers the URL Twilio called, so each request is checked against ``webhook_base_url`` +
``/<route>`` + this request's query, whatever path prefix the proxy kept or dropped: only
the last path segment (the route) and the query are read from the request.
Rule 2: no body over ``MAX_BODY`` is read; only POST on a known route is answered with
anything but 404/405; the server logs no request line (the query names a call, the form
a phone number).
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final
from urllib.parse import parse_qs, urlsplit

from lexdial.adapters.telephony import twilio_twiml as twiml
from lexdial.adapters.telephony.twilio_webhooks import TwilioWebhooks
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

#: Twilio's callbacks are small forms; anything larger is not Twilio
MAX_BODY: Final = 64 * 1024


def signed_url(base: str, path: str, query: str) -> str:
    """The URL Twilio signed: the public base, the request's route and its query."""
    route = path.rstrip("/").rsplit("/", 1)[-1]
    return f"{base.rstrip('/')}/{route}" + (f"?{query}" if query else "")


class TwilioWebhookServer:
    """Serves ``webhooks`` on ``host:port`` in a background thread (port 0: any free one)."""

    def __init__(self, webhooks: TwilioWebhooks, base: str, host: str, port: int) -> None:
        self._webhooks, self._base = webhooks, base.rstrip("/")
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens (the real port once started)."""
        if self._server is None:
            return self._host, self._port
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Listen now; ``TelephonyError`` (naming the address) when it cannot."""
        if self._server is not None:
            return
        handler = _handler(self._webhooks, self._base)
        server_class = _server_class(self._host)
        try:
            server = server_class((self._host, self._port), handler)
        except OSError as exc:
            raise TelephonyError(
                f"cannot serve Twilio's webhooks on {self._host}:{self._port} "
                f"([telephony] webhook_listen): {exc.strerror or exc}"
            ) from None
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.1,), name="twilio-webhooks", daemon=True
        )
        self._thread.start()
        host, port = self.address
        log.info("serving Twilio webhooks on http://%s:%s for %s", host, port, self._base)

    def close(self) -> None:
        """Stop listening (requests under way finish on their own threads)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _server_class(host: str) -> type[ThreadingHTTPServer]:
    if ":" not in host:
        return ThreadingHTTPServer
    import socket

    class Server6(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    return Server6


def _handler(webhooks: TwilioWebhooks, base: str) -> type[BaseHTTPRequestHandler]:
    class Hooks(BaseHTTPRequestHandler):
        server_version = "lexdial"
        sys_version = ""

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            route = parts.path.rstrip("/").rsplit("/", 1)[-1]
            if route not in twiml.ROUTES:
                self._reply(404, "no such webhook")
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                self._reply(413, "body too large")
                return
            body = self.rfile.read(length).decode("utf-8", "replace")
            params = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
            try:
                answer = webhooks.handle(
                    parts.path,
                    signed_url(base, parts.path, parts.query),
                    params,
                    self.headers.get(twiml.SIGNATURE_HEADER),
                )
            except Exception:  # a bug must not leave Twilio (and the person) waiting
                log.exception("twilio webhook %s failed", route)
                self._reply(200, twiml.hangup_twiml(), "application/xml; charset=utf-8")
                return
            self._reply(answer.status, answer.body, answer.content_type)

        def do_GET(self) -> None:
            self._reply(405, "Twilio's webhooks are POST")

        def _reply(self, status: int, body: str, kind: str = "text/plain; charset=utf-8") -> None:
            data = body.encode()
            self.send_response(status)
            if data:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # request lines carry call ids; the form carries numbers: never logged

    return Hooks
