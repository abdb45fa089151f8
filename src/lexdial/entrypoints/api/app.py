"""The FastAPI application factory: built by ``create_app`` in the bootstrap, never at import.

Routers live one per area (``routes_*.py``); each route names the action it needs
(``deps.require``), so a test can walk the OpenAPI routes and prove none is open by mistake.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

from lexdial.bootstrap import (
    InterfaceSettings,
    Store,
    event_delivery,
    open_limits,
    public_code_sender,
    publish_checkpoint,
)
from lexdial.entrypoints.api import errors
from lexdial.entrypoints.api.deps import JSON_BODY
from lexdial.entrypoints.api.id_range import ids_in_range
from lexdial.entrypoints.api.json_text import json_is_unicode
from lexdial.entrypoints.api.runner_distributed import make_runner  # (for celery)
from lexdial.entrypoints.api.too_large import TooLargeAnswered
from lexdial.errors import LexdialError
from lexdial.service.ports import Telephony

#: router modules, in the order their routes are matched
ROUTERS = (
    "routes_core",
    "routes_campaigns",
    # (for desk) before routes_people: /v1/contacts/search is matched before /v1/contacts/{id}
    "routes_desk",
    "routes_people",
    "routes_stated",
    "routes_admin",
    "routes_imports",
    "routes_reports",
    "routes_webhooks",
    "routes_public",
    "routes_review",
    # (for dir) before routes_web: else /contacts/{contact_id} catches /contacts/search (422)
    "routes_web_directory",
    "routes_web",
    "routes_webrtc",  # (for webrtc)
    "routes_web_desk",  # (for deskweb)
    "routes_web_desk_api",  # (for deskweb)
    "routes_twilio_client",  # (for twilio) the desk softphone's Access Token
)
#: the largest request body accepted by default; the import routes take ``UPLOAD_BODY``
#: (a file of 20 MB), the anonymous ones ``SMALL_BODY`` (``deps``)
MAX_BODY = JSON_BODY
#: routes any caller may use without logging in (the route audit test checks this list)
OPEN_PATHS = frozenset({"/health"})
#: prefixes of routes that authenticate another way (signatures, codes) or serve log-in
SELF_AUTHENTICATED = ("/webhooks/", "/public/", "/login", "/static/")


def create_app(
    store: Store,
    clock: Callable[[], datetime] | None = None,
    *,
    dial: bool = True,
    carrier: Callable[[], Telephony] | None = None,
) -> FastAPI:
    """The web application over ``store``; ``clock`` defaults to the wall clock (UTC).

    With ``dial`` the app runs started campaigns in its own event loop (embedded mode),
    over ``carrier()`` (default: the carrier the settings name).
    """
    now = clock or (lambda: datetime.now(UTC))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if dial:
            app.state.runner = make_runner(store, now, carrier)  # (for celery)
        hooks: InterfaceSettings = app.state.interfaces
        events = event_delivery(store, hooks, now)  # events out: signed, retried
        delivery = None if events is None else asyncio.create_task(events)
        # the audit head, signed and published every minute it moved (and once at shutdown)
        signing = asyncio.create_task(_checkpoint_forever(store))
        # (for webrtc) the softphone gateway starts at the first browser's offer
        # (routes_webrtc): a web process no agent uses for a softphone binds no SIP port
        app.state.webrtc, app.state.webrtc_lock = None, asyncio.Lock()
        yield
        if app.state.webrtc is not None:  # (for webrtc)
            await app.state.webrtc.close()
        signing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await signing
        await asyncio.to_thread(_checkpoint, store)
        if delivery is not None:
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivery
        if dial:
            await app.state.runner.close()

    app = _App(
        lifespan=lifespan,
        # an id no table can hold, or JSON text that is not Unicode, is a 422 naming the
        # parameter or field, not a database or encoding error
        dependencies=[Depends(ids_in_range), Depends(json_is_unicode)],
        # bodies are read (and JSON parsed) before the caller is checked: cap them; only the
        # import routes take a large one (their own max_body_size)
        max_body_size=MAX_BODY,
        title="lexdial",
        summary="Compliance-first auto dialer for law firms",
        description="Every call is judged by the gate before it is placed. Authenticate "
        "with `Authorization: Bearer ldk_...` (a personal API token) or a web session.",
        version="1",
    )
    app.state.store = store
    app.state.clock = now
    app.state.runner = None
    hooks = app.state.interfaces = InterfaceSettings.from_env()
    # rate limits and the log-in throttle: this process, or Redis shared by all ($LEXDIAL_REDIS_URL)
    app.state.limits = open_limits()
    sender = public_code_sender(hooks)
    if sender is not None:  # the public pages' codes go out by SMS (else: kept in memory)
        app.state.code_sender = sender
    errors.install(app)
    for name in ROUTERS:
        module = importlib.import_module(f"lexdial.entrypoints.api.{name}")
        app.include_router(module.router)
    return app


class _App(FastAPI):
    """FastAPI, with a body over its route's cap answered in the face's own error shape
    (``too_large``): the body limiter sits outside every handler the app can install."""

    def build_middleware_stack(self) -> ASGIApp:
        return TooLargeAnswered(
            super().build_middleware_stack(), lambda: self.router.routes, self.max_body_size
        )


#: how often the web app signs and publishes the audit head when it moved
CHECKPOINT_EVERY_S = 60.0
log = logging.getLogger(__name__)


def _checkpoint(store: Store) -> None:
    try:
        publish_checkpoint(store)
    except (LexdialError, OSError) as exc:  # logged, never fatal to the web app
        log.error("no audit checkpoint published: %s", exc)


async def _checkpoint_forever(store: Store) -> None:
    while True:
        await asyncio.sleep(CHECKPOINT_EVERY_S)
        await asyncio.to_thread(_checkpoint, store)
