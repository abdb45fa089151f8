"""Webhooks in: the carrier's call progress, inbound SMS replies, and the CRM's contacts.

Rule 1: no login here; each request proves its sender by a signature or a shared secret,
checked before anything is read or written (a bad one: 401/403 and no change). Secrets are
compared in constant time.
Rule 2: an SMS that is a stop word is an opt-out at once (channel "sms"); one that may be a
revocation goes to the review queue; anything else is ignored but still answered 200, so
the provider does not retry it.
Rule 3: nothing personal is logged or echoed: errors name fields, not numbers.

Settings, read from the environment once per app (``interface_settings``, kept on
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

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.bootstrap import Store
from lexdial.domain import json_guard
from lexdial.entrypoints.api.deps import SMALL_BODY, now, store
from lexdial.errors import ConfigError, RequestError
from lexdial.service import review, webhook_guard
from lexdial.service.contacts import NewContact, add_contact, find_contact_id, normalise
from lexdial.service.contacts import number_index as index
from lexdial.service.optout import classify_reply, opt_out
from lexdial.service.users import SYSTEM, Caller

#: the firm's CRM, through its signed webhook: lexdial itself acting on the CRM's word
CRM_WEBHOOK = Caller("crm:webhook", "system")

router = APIRouter(tags=["webhooks"])
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
_LOCAL = ("http://127.0.0.1", "http://localhost", "http://[::1]")


@dataclass(frozen=True, slots=True)
class InterfaceSettings:
    """The webhook and public-page settings (environment only: they are secrets)."""

    webhook_url: str | None = None
    webhook_secret: str | None = None
    crm_secret: str | None = None
    sms_token: str | None = None
    twilio_auth_token: str | None = None
    consent_double_opt_in: bool = True
    #: how the world reaches this app (LEXDIAL_PUBLIC_URL), for checking signed requests
    public_url: str | None = None
    #: Twilio account and sending number for the public pages' codes (LEXDIAL_SMS_FROM)
    twilio_account_sid: str | None = None
    sms_from: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> InterfaceSettings:
        env = os.environ if environ is None else environ
        url = env.get("LEXDIAL_WEBHOOK_URL") or None
        secret = env.get("LEXDIAL_WEBHOOK_SECRET") or None
        if url and not url.startswith(("https://", *_LOCAL)):
            raise ConfigError("$LEXDIAL_WEBHOOK_URL must be an https:// URL")
        if url and not secret:
            raise ConfigError("$LEXDIAL_WEBHOOK_URL needs $LEXDIAL_WEBHOOK_SECRET to sign events")
        return cls(
            webhook_url=url,
            webhook_secret=secret,
            crm_secret=env.get("LEXDIAL_CRM_SECRET") or None,
            sms_token=env.get("LEXDIAL_SMS_TOKEN") or None,
            twilio_auth_token=env.get("LEXDIAL_TWILIO_AUTH_TOKEN") or None,
            twilio_account_sid=env.get("LEXDIAL_TWILIO_ACCOUNT_SID") or None,
            sms_from=env.get("LEXDIAL_SMS_FROM") or None,
            public_url=env.get("LEXDIAL_PUBLIC_URL") or None,
            # on unless switched off: without a code anyone could consent for any number
            consent_double_opt_in=env.get("LEXDIAL_CONSENT_DOUBLE_OPT_IN", "1") != "0",
        )


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
    """The webhook handler of the Twilio carrier that placed this call (``?call=ID``): the
    embedded runner's carriers first, then one set on ``app.state.telephony``."""
    call = request.query_params.get("call")
    runner = getattr(request.app.state, "runner", None)
    carriers = list(getattr(runner, "carriers", {}).values())
    fixed = getattr(request.app.state, "telephony", None)
    if fixed is not None:
        carriers.append(fixed)
    for carrier in carriers:
        book = getattr(carrier, "book", None)
        if book is not None and call and book.get(call) is not None:
            return getattr(carrier, "webhooks", None)
    return getattr(fixed, "webhooks", None)


def _twilio_unknown_calls(request: Request) -> Any:
    """For a call no carrier here placed: hang it up, never leave the person in silence."""
    if not hasattr(request.app.state, "twilio_unknown"):
        from lexdial.bootstrap import twilio_unknown_call_webhooks

        request.app.state.twilio_unknown = twilio_unknown_call_webhooks(store(request).settings)
    return request.app.state.twilio_unknown


def _twilio_signed(auth_token: str, url: str, params: Mapping[str, str], sig: str) -> bool:
    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

    return bool(RequestValidator(auth_token).validate(url, dict(params), sig))


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
        if not _twilio_signed(cfg.twilio_auth_token, public_url(request, s), params, twilio_sig):
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

    def act() -> bool:
        try:
            with s.db.begin() as conn:
                if not webhook_guard.first_time(SqlUnitOfWork(conn), source, identity, at, keep):
                    return False
                if kind == "revocation":
                    evidence = f"SMS reply: {(text or '')[:160]}"
                    uow = SqlUnitOfWork(conn)
                    opt_out(uow, s.cipher, s.audit, s.firm_id, sender, "sms", evidence, SYSTEM, at)
                elif kind == "review":
                    review.add_item(
                        SqlUnitOfWork(conn),
                        s.cipher,
                        s.audit,
                        s.firm_id,
                        channel="sms",
                        text=text or "",
                        number=sender,
                        contact_id=None,
                        received_at=at,
                        caller=SYSTEM,
                        at=at,
                    )
        except IntegrityError:  # a concurrent twin of this request committed first
            return False
        return True

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
    try:
        result = await run_in_threadpool(_upsert, s, data, at, signed or "")
    except IntegrityError:  # a concurrent twin of this request committed first
        result = None
    if result is None:
        return _replayed()
    return JSONResponse(result, 200 if not result["created"] else 201)


def _upsert(s: Store, data: dict[str, Any], at: datetime, signed: str) -> dict[str, Any] | None:
    """Create the contact, or update the one its numbers already belong to (idempotent:
    the same payload twice changes nothing the second time); None for a replayed request."""
    phones = data.get("phone_numbers") or []
    if not isinstance(phones, list):
        raise RequestError("data.phone_numbers", "must be a list")
    numbers: list[str] = []
    for p in phones:
        raw = p.get("number") if isinstance(p, dict) else None
        try:
            numbers.append(normalise(str(raw)))
        except RequestError:
            continue  # a CRM keeps fax and extension junk; only dialable numbers come in
    numbers = list(dict.fromkeys(numbers))
    if not numbers:
        raise RequestError("data.phone_numbers", "has no valid, dialable telephone number")
    name = data.get("name") if isinstance(data.get("name"), str) else None
    address = _address(data.get("primary_address"))
    with s.db.begin() as conn:
        keep = webhook_guard.timed_keep()
        if not webhook_guard.first_time(SqlUnitOfWork(conn), "crm", signed, at, keep):
            return None
        uow = SqlUnitOfWork(conn)
        ids = (find_contact_id(uow, s.firm_id, index(s.cipher, n)) for n in numbers)
        found = {i for i in ids if i is not None}
        if len(found) > 1:
            raise RequestError("data.phone_numbers", "belong to different contacts here")
        if not found:
            person = NewContact(tuple((n, None) for n in numbers), name, address)
            cid = add_contact(
                uow, s.cipher, s.firm_id, person, at, audit=s.audit, caller=CRM_WEBHOOK
            )
            changed, created = True, True
        else:
            cid, created = next(iter(found)), False
            changed = _update(s, conn, cid, name, address)
        if changed:
            facts = {"created": created, "crm_id": str(data.get("id", ""))[:64]}
            s.audit.record(
                uow,
                at=at,
                actor="crm:webhook",
                action="contact.synced",
                subject=f"contact:{cid}",
                data=facts,
            )
    return {"contact": cid, "created": created, "changed": changed}


def _update(
    s: Store, conn: Connection, cid: int, name: str | None, address: dict[str, str] | None
) -> bool:
    c = t.contacts.c
    row = conn.execute(select(c.name_enc, c.address_enc).where(c.id == cid)).one()
    old_name = s.cipher.decrypt(row[0], context="contacts.name") if row[0] else None
    old_addr = json.loads(s.cipher.decrypt(row[1], context="contacts.address")) if row[1] else None
    values: dict[str, Any] = {}
    if name and name != old_name:
        values["name_enc"] = s.cipher.encrypt(name, context="contacts.name")
    if address and address != old_addr:
        values["address_enc"] = s.cipher.encrypt(json.dumps(address), context="contacts.address")
    if values:
        conn.execute(update(t.contacts).where(c.id == cid).values(**values))
    return bool(values)


_COUNTRIES = {
    "us": "US",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "ca": "CA",
    "canada": "CA",
}


def _address(raw: object) -> dict[str, str] | None:
    """Clio's address (street, city, province, postal_code, country) as the gate reads it
    (country, state, zip); street and city are not needed to judge a call, so not kept."""
    if not isinstance(raw, dict):
        return None
    out: dict[str, str] = {}
    country = str(raw.get("country") or "").strip()
    code = _COUNTRIES.get(country.lower()) or (
        country.upper() if re.fullmatch(r"[A-Za-z]{2}", country) else None
    )
    if code:
        out["country"] = code
    state = str(raw.get("province") or raw.get("state") or "").strip()
    if re.fullmatch(r"[A-Za-z]{2}", state):
        out["state"] = state.upper()
    postal = str(raw.get("postal_code") or "").strip()
    if code == "US" and re.fullmatch(r"\d{5}(-\d{4})?", postal):
        out["zip"] = postal[:5]
    return out or None
