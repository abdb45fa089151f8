"""The demo's web server: the dashboard over the demo store, with a one-time log-in.

Rule: it listens on 127.0.0.1 only; the log-in is a fresh admin user with a random password
printed once (the demo store is the user's own, on their machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import uvicorn

from lexdial.bootstrap import Store
from lexdial.entrypoints.api.app import create_app
from lexdial.entrypoints.api.proxies import server_options
from lexdial.service.auth import set_password
from lexdial.service.users import OPERATOR, add_user

if TYPE_CHECKING:
    from lexdial.adapters.telephony.simulated import SimulatedCarrier


class DemoServer:
    """uvicorn serving the app inside the demo's own event loop."""

    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None]) -> None:
        self.server, self.task = server, task

    async def wait(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def stop(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def _port(wanted: int) -> int:
    """``wanted`` if it is free on loopback, else any free port."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", wanted))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve_dashboard(
    store: Store, serve: Any, carrier: SimulatedCarrier, start: datetime
) -> DemoServer:
    """Start the dashboard on 127.0.0.1 and announce its address and a one-time log-in."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    def clock() -> datetime:  # the demo's simulated time, as the dialler sees it
        return start + timedelta(seconds=(loop.time() - t0) / carrier.timescale)

    password = secrets.token_urlsafe(12)
    email = "demo-admin@lexdial.local"
    with store.db.begin() as conn:
        uid = add_user(
            conn, store.cipher, store.firm_id, email, "Demo Admin", "admin", start,
            audit=store.audit, caller=OPERATOR,
        )  # fmt: skip
        set_password(conn, store.audit, uid, password, OPERATOR, start)
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
    task = loop.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if task.done():  # it could not start: say so, the demo goes on without it
        serve.announce("the dashboard could not start; the campaign runs without it")
    else:
        serve.announce(
            f"dashboard: http://127.0.0.1:{port}/  (log in as {email} / {password}, "
            "a one-time password for this demo store)"
        )
    return DemoServer(server, task)
