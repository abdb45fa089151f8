"""The browser softphone's signalling: the agent's page hands its SDP offer to lexdial's
WebRTC gateway and gets the answer (non-trickle ICE), asks how its line is, hangs up.

Rule 1: only the logged-in user with a browser endpoint opens their own softphone
(``service.softphone``); a browser session needs its CSRF token (``deps``) as for any
change. Rule 2: a gateway that is off (``[desk] webrtc = false``) or did not start is a
TelephonyError (502) naming the settings, never a traceback.
Rule 4: the gateway starts at the first browser's offer, not with the web app: the dialler
calls an agent's softphone only once that browser is connected (the gateway answers 480
before), so nothing waits for it, and a web process no agent uses binds no SIP port.
Rule 3: the page that holds the softphone allows this server's script and the browser's
media, nothing else (the dashboard's other pages run no script at all). The agent desk
(``routes_web_desk``) loads ``static/softphone.js`` into its ``<section id="softphone">``
for an agent seated with a browser endpoint; ``/desk/softphone`` is the softphone on a
page of its own (the desk page does not yet render for an agent with an endpoint).
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from lexdial.entrypoints.api.deps import Reader, store
from lexdial.entrypoints.api.web_common import HEADERS
from lexdial.errors import LexdialError, TelephonyError
from lexdial.service.softphone import softphone_user
from lexdial.service.users import Caller

router = APIRouter(tags=["desk"])
log = logging.getLogger(__name__)

#: an SDP offer is a few kilobytes; more is not a browser's
MAX_SDP = 64 * 1024


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(pattern="^offer$")
    sdp: str = Field(min_length=10, max_length=MAX_SDP)


async def _gateway(request: Request) -> Any:
    """The web process's gateway, started by the first offer (rule 4); a TelephonyError
    naming the settings when it is off or cannot start (rule 2)."""
    state = request.app.state
    if (gateway := getattr(state, "webrtc", None)) is not None:
        return gateway
    lock = getattr(state, "webrtc_lock", None)
    if lock is None:  # the app's lifespan is not running: nothing may be started
        raise TelephonyError("the browser softphone is off: the web app is not serving")
    async with lock:
        if state.webrtc is None:
            from lexdial.bootstrap.webrtc import start_gateway

            try:
                state.webrtc = await start_gateway(store(request).settings)
            except LexdialError as exc:
                log.error("the browser softphone is off: %s", exc)
                raise TelephonyError(f"the browser softphone is off: {exc}") from exc
    return state.webrtc


async def _user(request: Request, caller: Caller) -> int:
    s = store(request)

    def check() -> int:
        with s.reading() as uow:
            return softphone_user(uow, caller, s.firm_id)

    return await run_in_threadpool(check)


@router.post("/desk/webrtc/offer")
async def offer(request: Request, body: OfferIn, caller: Reader) -> dict[str, str]:
    """Connect the caller's browser: its SDP offer in, the gateway's answer out."""
    user_id = await _user(request, caller)  # who first: a refusal names what they lack
    gateway = await _gateway(request)
    return {"type": "answer", "sdp": await gateway.offer(user_id, body.sdp)}


@router.get("/desk/webrtc")
async def line(request: Request, caller: Reader) -> dict[str, str]:
    """The caller's softphone: ``browser`` (its connection) and ``line`` (open while the
    dialler holds the agent's leg)."""
    user_id = await _user(request, caller)  # who first: a refusal names what they lack
    gateway = getattr(request.app.state, "webrtc", None)  # not started: no browser yet
    if gateway is None:
        return {"browser": "disconnected", "line": "closed"}
    status: dict[str, str] = gateway.status(user_id)
    return status


@router.delete("/desk/webrtc", status_code=204)
async def hang_up(request: Request, caller: Reader) -> Response:
    """Close the caller's softphone (their open leg ends with a BYE to the dialler)."""
    user_id = await _user(request, caller)  # who first: a refusal names what they lack
    gateway = getattr(request.app.state, "webrtc", None)  # not started: nothing to close
    if gateway is not None:
        await gateway.hangup(user_id)
    return Response(status_code=204)


#: the softphone page's policy: the dashboard's, plus our own script and the media it plays
SOFTPHONE_HEADERS = {
    **HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; media-src 'self' blob: mediastream:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Permissions-Policy": "microphone=(self), camera=()",
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Softphone - lexdial</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><main><h1>Softphone</h1>
<section id="softphone" data-csrf="{csrf}" aria-label="softphone"></section>
</main><script src="/static/softphone.js"></script></body></html>
"""


@router.get("/desk/softphone", response_class=HTMLResponse)
async def softphone_page(request: Request, caller: Reader) -> Response:
    """The softphone on a page of its own (rule 3), for an agent with a browser endpoint."""
    await _user(request, caller)
    csrf = escape(getattr(request.state, "csrf", ""), quote=True)
    return HTMLResponse(_PAGE.format(csrf=csrf), headers=SOFTPHONE_HEADERS)
