"""The desk's Twilio softphone: an Access Token for the logged-in agent's own identity.

Rule 1: ``GET`` and ``POST /desk/twilio/token`` mint a token only for the Twilio Client
identity of the user behind the session or API token (``service.twilio_client_token``):
nothing in the request names an identity; a user without a ``twilio_client`` endpoint
gets 404, a caller that is not a user 403, no caller 401. Each token is audited.
Rule 2: the answer is never cached (``Cache-Control: no-store``): it is a credential.
Rule 4: the softphone's script and the vendored Twilio Voice JS SDK are served from
``/static/`` by lexdial itself (no CDN), like the dashboard's stylesheet.
Rule 3: a server without the Twilio API key settings answers an agent who has an identity
503 naming what is missing (``bootstrap.twilio_client``), never a token signed with
something else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from lexdial.entrypoints.api.deps import Reader, now, store
from lexdial.errors import ConfigError
from lexdial.service.twilio_client_token import issue_client_token

router = APIRouter()
STATIC = Path(__file__).parent / "static"
#: the files served, and where they are (the SDK: @twilio/voice-sdk, see README)
SCRIPTS = {"twilio_phone.js": STATIC / "twilio_phone.js",
           "twilio-voice.min.js": STATIC / "twilio-voice.min.js"}  # fmt: skip


def _issue(request: Request, caller: Any) -> Response:
    from lexdial.bootstrap.twilio_client import twilio_token_minter

    s, at = store(request), now(request)
    try:
        with s.unit_of_work() as uow:
            issued = issue_client_token(
                uow, caller, at, minter=lambda: twilio_token_minter(s.settings),
                audit=s.audit, firm_id=s.firm_id,
            )  # fmt: skip
    except ConfigError as exc:
        return JSONResponse(
            {"error": {"type": "ConfigError", "code": "not_configured", "message": str(exc)}},
            status_code=503,
            headers={"Cache-Control": "no-store"},
        )
    body = {"token": issued.token, "identity": issued.identity, "ttl_s": issued.ttl_s}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/desk/twilio/token")
async def twilio_token(request: Request, caller: Reader) -> Response:
    """An Access Token (JWT, Voice grant) for your own Twilio Client identity."""
    return await run_in_threadpool(_issue, request, caller)


@router.post("/desk/twilio/token")
async def twilio_token_post(request: Request, caller: Reader) -> Response:
    """The same as GET (the softphone refreshes its token with either)."""
    return await run_in_threadpool(_issue, request, caller)


@router.get("/static/twilio_phone.js")
def softphone_script() -> Response:
    """The desk's Twilio softphone (loaded when the agent's endpoint is twilio_client)."""
    return _script("twilio_phone.js")


@router.get("/static/twilio-voice.min.js")
def voice_sdk() -> Response:
    """Twilio's Voice JS SDK, vendored (Apache-2.0; its licence header kept)."""
    return _script("twilio-voice.min.js")


def _script(name: str) -> Response:
    response = FileResponse(SCRIPTS[name], media_type="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
