"""The agent desk page (``/desk``) and the desk's scripts and stylesheet.

Rule 1: the page is a shell: what it shows and every action go through its fetch endpoints
(``routes_web_desk_api``, ``/desk/api/...``: the same ``service.desk_*`` use cases as the
JSON API) with the session cookie and the CSRF header, so the rules live once. The shell
is rendered with the seat as it is now, so a reload shows the same screen; ``desk.js``
then polls the seat's version.
Rule 2: the desk page is the one page that runs a script: its Content-Security-Policy
allows scripts and requests from this server only (no CDN, no inline script); a Twilio
Client endpoint also lets the Twilio Voice SDK reach Twilio.
Rule 3: a softphone script is loaded only for the endpoint kind the agent chose
(``softphone.js`` for a browser endpoint, ``twilio_phone.js`` for a Twilio Client
identity); without one (a SIP desk phone, the simulated carrier) the page works alone.
Rule 4: roles that may not sit at the desk get a 403 page, not an empty desk.
"""

from __future__ import annotations

import re

from fastapi import Request, Response
from fastapi.responses import FileResponse

from lexdial.domain.desk import PAUSE_REASONS
from lexdial.entrypoints.api.deps import Reader, store
from lexdial.entrypoints.api.web_common import ENV, HEADERS, STATIC, page, viewer, web_router
from lexdial.errors import NotFoundError, PermissionDeniedError
from lexdial.service import agent_endpoints, desk_session, dispositions, views
from lexdial.service.users import LIVE_MODES, Caller

router = web_router()
#: roles that may sit at the desk (``service.desk_session`` checks it again on every action)
DESK_ROLES = desk_session.DESK_ROLES
#: what each seat state is called on the page (``desk.js`` has the same words)
STATE_WORDS = {
    "logged_out": "Not on the desk",
    "ready": "Ready: waiting for a call",
    "paused": "Paused",
    "preview": "Preview: decide whether to call",
    "on_call": "On a call",
    "wrap_up": "Wrap-up: record a disposition",
}
#: the scripts a softphone of each endpoint kind needs (served from static/)
SOFTPHONES = {"browser": ("/static/softphone.js",), "twilio_client": ("/static/twilio_phone.js",)}
#: the Twilio Voice SDK signals over these origins (only when the agent uses Twilio Client)
TWILIO_ORIGINS = "https://*.twilio.com wss://*.twilio.com"
#: scripts and stylesheets served from static/ by name (no path, no hidden file)
STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.(js|css)$")
MEDIA_TYPES = {"js": "text/javascript", "css": "text/css"}
# the nav shows "Desk" to the roles that may sit at it (base.html reads this global)
ENV.globals["desk_roles"] = DESK_ROLES


def desk_csp(endpoint_kind: str | None) -> str:
    """The desk's policy: the dashboard's, plus scripts, requests and media from here."""
    connect = "'self'" + (f" {TWILIO_ORIGINS}" if endpoint_kind == "twilio_client" else "")
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src {connect}; media-src 'self' blob: mediastream:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def _may_sit(caller: Caller, role: str) -> None:
    if role not in DESK_ROLES:
        raise PermissionDeniedError(f"a caller with role '{role}' may not sit at the agent desk")


@router.get("/desk")
def desk(request: Request, caller: Reader) -> Response:
    """The agent desk: choose a campaign, ready / paused, the screen pop, dispositions."""
    _may_sit(caller, viewer(request, caller).role)
    s = store(request)
    with s.unit_of_work() as uow:  # a firm's disposition list is made the first time it is read
        seat = desk_session.desk_state(uow, caller)
        campaigns = [
            c
            for c in views.campaign_list(uow, s.firm_id)
            if c.mode in LIVE_MODES and c.status in ("running", "paused")
        ]
        # the caller's own endpoints (desk_presence.login checks the choice again)
        endpoints = agent_endpoints.own_endpoints(uow, caller)
        codes = dispositions.codes(uow, caller, firm_id=s.firm_id, active_only=True)
    kind = None
    if seat is not None and seat.endpoint_id is not None:
        kind = next((e.kind for e in endpoints if e.id == seat.endpoint_id), None)
    seated = seat is not None and seat.campaign_id is not None and seat.state != "logged_out"
    name = next((c.name for c in campaigns if seated and c.id == seat.campaign_id), None)  # type: ignore[union-attr]
    response = page(
        request,
        "desk.html",
        caller,
        seat=seat,
        campaign_name=name,
        campaigns=campaigns,
        endpoints=endpoints,
        dispositions=codes,
        pause_reasons=PAUSE_REASONS,
        state_words=STATE_WORDS,
        endpoint_kind=kind or "",
        scripts=("/static/desk.js", *SOFTPHONES.get(kind or "", ())),
    )
    response.headers["Content-Security-Policy"] = desk_csp(kind)
    return response


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The desk's script and stylesheet (and the softphones'), served by lexdial itself."""
    path = STATIC / name
    if not STATIC_NAME.match(name) or not path.is_file():
        raise NotFoundError("name", "no such static file")
    response = FileResponse(path, media_type=MEDIA_TYPES[name.rsplit(".", 1)[1]])
    response.headers["Cache-Control"] = "no-cache"  # revalidated: a new release is seen at once
    for header in ("X-Content-Type-Options",):
        response.headers[header] = HEADERS[header]
    return response
