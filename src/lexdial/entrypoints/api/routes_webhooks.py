"""Webhooks in: the carrier's call progress, inbound SMS replies, and the CRM's contacts.

Rule 1: no login here; each request proves its sender by a signature or a shared secret,
checked before anything is read or written (a bad one: 401/403 and no change). Secrets are
compared in constant time.
Rule 2: an SMS that is a stop word is an opt-out at once (channel "sms"); one that may be a
revocation goes to the review queue; anything else is ignored but still answered 200, so
the provider does not retry it.
Rule 3: nothing personal is logged or echoed: errors name fields, not numbers.
Rule 4: the routes check credentials and parse; what a request changes is
``service.inbound``'s, in one transaction (``bootstrap.first_delivery``).

Settings, read from the environment once per app (``bootstrap.InterfaceSettings``, kept on
``app.state.interfaces``; a test may set that attribute itself):

    LEXDIAL_WEBHOOK_URL            where outgoing events are POSTed (https://; unset: none)
    LEXDIAL_WEBHOOK_SECRET         HMAC key of their X-Lexdial-Signature
    LEXDIAL_CRM_SECRET             HMAC key of the CRM's X-Lexdial-Signature (unset: 503)
    LEXDIAL_SMS_TOKEN              HMAC key of the SMS provider's X-Lexdial-Signature
    LEXDIAL_TWILIO_AUTH_TOKEN      also accepts SMS signed by Twilio (X-Twilio-Signature)
    LEXDIAL_CONSENT_DOUBLE_OPT_IN  "0" switches off the code that confirms a public consent
    LEXDIAL_PUBLIC_URL             https://... how the world reaches this app (behind a proxy):
                                   signed SMS requests are checked against it
    LEXDIAL_TWILIO_ACCOUNT_SID,    with LEXDIAL_TWILIO_AUTH_TOKEN: the public pages' codes go
    LEXDIAL_SMS_FROM               out by Twilio SMS from this number (else nobody gets them)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lexdial.bootstrap import InterfaceSettings as InterfaceSettings
from lexdial.bootstrap import Store, first_delivery, twilio_signed
from lexdial.domain import json_guard
from lexdial.domain.replies import classify_reply
from lexdial.entrypoints.api.deps import SMALL_BODY, now, store
from lexdial.errors import RequestError
from lexdial.service import inbound, webhook_guard
from lexdial.service.inbound import CRM_WEBHOOK as CRM_WEBHOOK
from lexdial.service.storage import UnitOfWork

router = APIRouter(tags=["webhooks"])
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def interface_settings(request: Request) -> InterfaceSettings:
    """The app's settings, read from the environment on first use and kept on app.state."""
    found = getattr(request.app.state, "interfaces", None)
    if not isinstance(found, InterfaceSettings):
        found = InterfaceSettings.from_env()
        request.app.state.interfaces = found
    return found


class _TwilioHandler(Protocol):
    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> Any: ...


def public_url(request: Request, s: Store) -> str:
    """The URL the sender signed. ``LEXDIAL_PUBLIC_URL`` (what the world calls this app,
    path prefix included: behind a TLS proxy the app sees http:// and maybe no prefix) plus
    this request's path and query; else the origin of Twilio's webhook base; else the URL as
    this server saw it."""
    mine = interface_settings(request).public_url
    if mine:
        query = f"?{request.url.query}" if request.url.query else ""
        return f"{mine.rstrip('/')}{request.url.path}{query}"
    base = s.settings.telephony.webhook_base_url
    if not base:
        return str(request.url)
    origin = urlsplit(base)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{origin.scheme}://{origin.netloc}{request.url.path}{query}"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/webhooks/twilio/{kind}", max_body_size=SMALL_BODY)
async def twilio_call(request: Request, kind: str) -> Response:
    """Twilio's call progress, AMD and gather callbacks, handed to the Twilio adapter (which
    checks X-Twilio-Signature); 404 when the carrier in use is not Twilio."""
    handler = _twilio_handler(request) or _twilio_unknown_calls(request)
    if handler is None or not callable(getattr(handler, "handle", None)):
        return JSONResponse({"error": {"type": "NotFound", "message": "no Twilio carrier"}}, 404)
    s = store(request)
    base = s.settings.telephony.webhook_base_url
    query = f"?{request.url.query}" if request.url.query else ""
    url = f"{base.rstrip('/')}/{kind}{query}" if base else str(request.url)
    params = await _form(request)
    signature = request.headers.get("x-twilio-signature")
    tw: _TwilioHandler = handler
    answer = await run_in_threadpool(tw.handle, request.url.path, url, params, signature)
    return Response(answer.body, answer.status, media_type=answer.content_type)


def _twilio_handler(request: Request) -> Any:
    """The webhook handler of the Twilio carrier that knows this callback (a call it placed,
    ``?call=ID``, or one of its agents' legs and conferences, ``?agent=`` / ``?room=``): the
    embedded runner's carriers first, then one set on ``app.state.telephony``."""
    runner = getattr(request.app.state, "runner", None)
    carriers = list(getattr(runner, "carriers", {}).values())
    fixed = getattr(request.app.state, "telephony", None)
    if fixed is not None:
        carriers.append(fixed)
    query = dict(request.query_params)
    for carrier in carriers:
        hooks = getattr(carrier, "webhooks", None)
        if hooks is not None and hasattr(hooks, "owns") and hooks.owns(query):
            return hooks
    return getattr(fixed, "webhooks", None)


def _twilio_unknown_calls(request: Request) -> Any:
    """For a call no carrier here placed: hang it up, never leave the person in silence."""
    if not hasattr(request.app.state, "twilio_unknown"):
        from lexdial.bootstrap import twilio_unknown_call_webhooks

        request.app.state.twilio_unknown = twilio_unknown_call_webhooks(store(request).settings)
    return request.app.state.twilio_unknown


@router.post("/webhooks/sms", max_body_size=SMALL_BODY)
async def inbound_sms(request: Request) -> Response:
    """An SMS reply (``from``, ``body``; form or JSON). Authenticated by X-Lexdial-Signature
    (a signed timestamp, ``service.webhook_guard``), or by X-Twilio-Signature when Twilio
    delivers it (then answered with empty TwiML). The credential is checked before the body
    is parsed; a replayed request changes nothing."""
    cfg, s, at = interface_settings(request), store(request), now(request)
    signed, twilio_sig = (
        request.headers.get("x-lexdial-signature"),
        request.headers.get("x-twilio-signature"),
    )
    json_body = request.headers.get("content-type", "").startswith("application/json")
    by_twilio = signed is None and twilio_sig is not None
    if signed is None and twilio_sig is not None:
        if not cfg.twilio_auth_token or json_body:
            return _refused(401, "missing or wrong SMS provider credentials")
        params = await _form(request)
        if not twilio_signed(cfg.twilio_auth_token, public_url(request, s), params, twilio_sig):
            return _refused(401, "missing or wrong SMS provider credentials")
        # Twilio signs no timestamp: its message id (else the signature) marks a replay
        source, identity = "twilio-sms", params.get("MessageSid") or twilio_sig or ""
        keep = webhook_guard.PROVIDER_KEEP
    else:
        if not cfg.sms_token:
            return _refused(401, "missing or wrong SMS provider credentials")
        raw = await request.body()
        why = webhook_guard.problem(cfg.sms_token, signed, raw, at)
        if why is not None:
            return _refused(401, why)
        params = _json(raw) if json_body else await _form(request)
        source, identity, keep = "sms", signed or "", webhook_guard.timed_keep()
    sender = params.get("from") or params.get("From") or ""
    text = params.get("body") if "body" in params else params.get("Body", "")
    if not sender:
        raise RequestError("from", "is required")
    kind = classify_reply(text or "")

    receipt = inbound.Receipt(source, identity, keep)

    def reply(uow: UnitOfWork) -> bool:
        args = (uow, s.cipher, s.audit, s.firm_id, receipt)
        return inbound.sms_reply(*args, sender=sender, text=text or "", kind=kind, at=at)

    def act() -> bool:
        return bool(first_delivery(s, reply))

    fresh = await run_in_threadpool(act)
    if by_twilio:  # a Twilio retry of the same message is answered alike, and ignored
        return Response(TWIML_EMPTY, 200, media_type="application/xml; charset=utf-8")
    if not fresh:
        return _replayed()
    action = {"revocation": "optout", "review": "review", "none": "ignored"}[kind]
    return JSONResponse({"action": action})


def _json(raw: bytes) -> dict[str, str]:
    try:
        data = json_guard.loads(raw, "body")
    except ValueError:
        raise RequestError("body", "is not JSON") from None
    if not isinstance(data, dict):
        raise RequestError("body", "must be a JSON object")
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _replayed() -> JSONResponse:
    message = "this signed request was already received; nothing was changed"
    return JSONResponse({"error": {"type": "Replay", "message": message}}, 409)


def _refused(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": "Unauthorized", "message": message}}, status)


@router.post("/webhooks/crm/contacts", max_body_size=SMALL_BODY)
async def crm_contact(request: Request) -> Response:
    """A CRM contact (Clio's shape: ``{"data": {id, name, phone_numbers, primary_address}}``)
    created, or updated when one of its numbers is on file. Authenticated by
    ``X-Lexdial-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>." + raw body>`` with
    $LEXDIAL_CRM_SECRET, within 5 minutes of this server's clock; a replay changes nothing."""
    cfg, s, at = interface_settings(request), store(request), now(request)
    if not cfg.crm_secret:
        return _refused(503, "the CRM webhook is not configured")
    raw = await request.body()
    signed = request.headers.get("x-lexdial-signature")
    why = webhook_guard.problem(cfg.crm_secret, signed, raw, at)
    if why is not None:
        return _refused(401, why)
    try:
        data = json_guard.loads(raw, "data")["data"]
    except (ValueError, KeyError, TypeError):
        raise RequestError("data", 'give the contact as {"data": {...}}') from None
    if not isinstance(data, dict):
        raise RequestError("data", "must be an object")
    person = inbound.crm_contact(data)

    def sync() -> dict[str, Any] | None:
        return first_delivery(
            s,
            lambda uow: inbound.sync_crm_contact(
                uow, s.cipher, s.audit, s.firm_id, person, at, signed or ""
            ),
        )

    result = await run_in_threadpool(sync)
    if result is None:
        return _replayed()
    return JSONResponse(result, 200 if not result["created"] else 201)
