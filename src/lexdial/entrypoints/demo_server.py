"""The demo's web server: the dashboard over the demo store, with a one-time log-in.

Rule 1: it listens on 127.0.0.1 only; the log-in is a fresh admin user with a random password
printed once (the demo store is the user's own, on their machine).
Rule 2: it runs in a thread of its own, with its own (wall-clock) event loop, so the
campaign's virtual-time loop stays deterministic; its "now" is the demo's simulated clock,
which stops when the campaign ends (log-ins and pages after that all read the same instant).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import uvicorn

from lexdial.bootstrap import Store
from lexdial.entrypoints.api.app import create_app
from lexdial.entrypoints.api.proxies import server_options
from lexdial.service.auth import set_password
from lexdial.service.users import OPERATOR, add_user


class DemoServer:
    """uvicorn serving the app in its own thread and event loop."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread) -> None:
        self.server, self.thread = server, thread

    def wait(self) -> None:
        """Until the server ends (Ctrl-C in the main thread interrupts the wait)."""
        while self.thread.is_alive():
            self.thread.join(0.5)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()


def _port(wanted: int) -> int:
    """``wanted`` if it is free on loopback, else any free port."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", wanted))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_dashboard(
    store: Store, serve: Any, clock: Callable[[], datetime], start: datetime
) -> DemoServer:
    """Start the dashboard on 127.0.0.1 and announce its address and a one-time log-in;
    ``clock`` is the demo's simulated time, as the dialler sees it."""
    password = secrets.token_urlsafe(12)
    email = "demo-admin@lexdial.local"
    with store.unit_of_work() as uow:
        uid = add_user(
            uow, store.cipher, store.firm_id, email, "Demo Admin", "admin", start,
            audit=store.audit, caller=OPERATOR,
        )  # fmt: skip
        set_password(uow, store.audit, uid, password, OPERATOR, start)
    port = _port(serve.port)
    app = create_app(store, clock=clock, dial=False)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        **server_options(),  # X-Forwarded-For only from $LEXDIAL_TRUSTED_PROXIES
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve()), name="lexdial-demo-dashboard", daemon=True
    )
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.02)
    if not thread.is_alive():  # it could not start: say so, the demo goes on without it
        serve.announce("the dashboard could not start; the campaign runs without it")
    else:
        serve.announce(
            f"dashboard: http://127.0.0.1:{port}/  (log in as {email} / {password}, "
            "a one-time password for this demo store)"
        )
    return DemoServer(server, thread)
