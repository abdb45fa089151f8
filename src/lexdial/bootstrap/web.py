"""The web app's interfaces (for the API: webhooks, public pages, events out): their
settings from the environment, the confirmation-code sender, the event delivery loop,
Twilio's signatures, and one delivery of a request however often it is retried."""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from lexdial.errors import ConfigError

if TYPE_CHECKING:
    from lexdial.adapters.sms_twilio import TwilioSmsSender
    from lexdial.bootstrap.store import Store
    from lexdial.service.public_codes import CodeSender
    from lexdial.service.storage import UnitOfWork

_T = TypeVar("_T")


def sms_code_sender(account_sid: str, auth_token: str, from_number: str) -> TwilioSmsSender:
    """The SMS sender of the public pages' confirmation codes, over Twilio."""
    from lexdial.adapters.sms_twilio import TwilioSmsSender

    return TwilioSmsSender(account_sid=account_sid, auth_token=auth_token, from_number=from_number)


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
    #: the site is served over plain HTTP on purpose (LEXDIAL_PLAIN_HTTP=1): cookies are
    #: Secure only on requests that came over HTTPS (``entrypoints.api.cookies``)
    plain_http: bool = False

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
            plain_http=_flag(env, "LEXDIAL_PLAIN_HTTP"),
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    """An on/off variable: "1" on, "0" or unset off; anything else is refused by name
    (a "true" or "yes" read as off would silently keep what the person meant to change)."""
    value = env.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise ConfigError(f"${name} must be 1 (on) or 0 (off), not {value!r}")
    return value == "1"


def public_code_sender(hooks: InterfaceSettings) -> CodeSender | None:
    """The public pages' confirmation codes go out by Twilio SMS when its account, token
    and sending number are set; None otherwise (the pages then keep codes in memory)."""
    if hooks.twilio_account_sid and hooks.twilio_auth_token and hooks.sms_from:
        return sms_code_sender(hooks.twilio_account_sid, hooks.twilio_auth_token, hooks.sms_from)
    return None


def event_delivery(
    store: Store, hooks: InterfaceSettings, clock: Callable[[], datetime]
) -> Coroutine[Any, Any, None] | None:
    """The loop that delivers outgoing events (signed, retried) to $LEXDIAL_WEBHOOK_URL;
    None when no URL and secret are set."""
    if not (hooks.webhook_url and hooks.webhook_secret):
        return None
    from lexdial.service import outbox

    send = outbox.http_sender(hooks.webhook_url)
    return outbox.deliver_forever(store.unit_of_work, send, clock, hooks.webhook_secret)


def first_delivery(store: Store, work: Callable[[UnitOfWork], _T]) -> _T | None:
    """``work`` in one write transaction; None when a concurrent twin of the same request
    committed first (its receipt's key is taken: the database refuses the insert)."""
    from sqlalchemy.exc import IntegrityError

    try:
        with store.unit_of_work() as uow:
            return work(uow)
    except IntegrityError:
        return None


def twilio_signed(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """Whether Twilio signed this request (X-Twilio-Signature over ``url`` and the form)."""
    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))
