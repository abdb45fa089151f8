"""The public pages: opt-out by code, and the firm's consent form. No login, no JavaScript.

Rule 1: an opt-out typed by anyone takes effect only once a code sent to the number comes
back (else anyone could silence anyone); the page says the same thing whether or not the
number is known to the firm, so it cannot be used to learn who the firm's contacts are.
Rule 2: the consent page shows the exact disclosure (the firm as seller, purposes,
technologies, "not a condition"), and records exactly that text, its SHA-256, the time, IP
and user agent. The hash of the text the person read travels with the form: if the text
changed meanwhile, nothing is recorded. With $LEXDIAL_CONSENT_DOUBLE_OPT_IN=1 a code sent
to the number confirms it first.
Rule 3: with no session, CSRF is a double-submit: a random cookie, and a hidden field that
is an AES-GCM token (the store's key) naming the form, that cookie and the time. Another
site can neither read the cookie nor forge the token, so it cannot make a visitor's browser
post a consent with the visitor's IP. Pages may not be framed (clickjacking a tick box).
Rule 4: requests are rate-limited per client IP and per number with in-memory token buckets
(per process), on top of the store's per-number code limit (``public_codes``).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lexdial.bootstrap import Store
from lexdial.entrypoints.api.cookies import secure_cookie
from lexdial.entrypoints.api.deps import SMALL_BODY, now, store
from lexdial.entrypoints.api.deps import limits as app_limits
from lexdial.entrypoints.api.routes_webhooks import interface_settings
from lexdial.errors import RequestError, TelephonyError
from lexdial.service import public_codes as codes
from lexdial.service import public_pages
from lexdial.service.consent import ConsentEvidence, NewConsent
from lexdial.service.contacts import normalise
from lexdial.service.contacts import number_index as index
from lexdial.service.users import Caller

log = logging.getLogger(__name__)
router = APIRouter(tags=["public"])
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "public"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)
#: a field of a public form (all optional: a missing one is the page's error, not a 422)
Field = Annotated[str, Form(max_length=4000)]
CSRF_COOKIE = "lexdial_public"
CSRF_MAX_AGE_S = 2 * 3600
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: consent.write is not granted to "system" (users.ALLOWED); the page records as the least
#: role that may, under its own label so the audit trail says where the consent came from
PUBLIC_FORM = Caller("public:consent-page", "public")


@dataclass(frozen=True, slots=True)
class Disclosure:
    """A published disclosure: its text is ``disclosures/<version>.txt`` (never edit one
    once published: add a version) and the consent it asks for."""

    scope: tuple[str, ...]
    technologies: tuple[str, ...]


DISCLOSURES = {
    "v1": Disclosure(
        scope=("marketing", "reminder", "notification", "informational", "callback"),
        technologies=("manual", "autodialed", "prerecorded", "artificial_voice"),
    )
}


def limits(request: Request) -> codes.PageLimits:
    """The page's token buckets, one set per app (``app.state.public_limits``)."""
    found = getattr(request.app.state, "public_limits", None)
    if not isinstance(found, codes.PageLimits):
        found = request.app.state.public_limits = codes.PageLimits.over(app_limits(request))
    return found


def sender(request: Request) -> codes.CodeSender:
    """``app.state.code_sender``; without one, a MemorySender (codes reach nobody: demos)."""
    found: codes.CodeSender | None = getattr(request.app.state, "code_sender", None)
    if found is None:
        log.warning("no SMS code sender configured: public codes are kept in memory only")
        found = request.app.state.code_sender = codes.MemorySender()
    return found


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _seal(s: Store, context: str, data: dict[str, Any]) -> str:
    return s.cipher.encrypt(json.dumps(data), context=context)


def _open(s: Store, context: str, token: str | None) -> dict[str, Any] | None:
    try:
        data = json.loads(s.cipher.decrypt(token or "", context=context))
    except Exception:  # tampered, truncated, another key or context: all the same "no"
        return None
    return data if isinstance(data, dict) else None


def _page(
    request: Request, template: str, form: str | None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    """Render a page; a form gets a CSRF token bound to the browser's cookie."""
    s = store(request)
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(18)
    if form is not None:
        ts = int(now(request).timestamp())
        ctx["csrf"] = _seal(s, "public.csrf", {"f": form, "n": nonce, "t": ts})
    html = _ENV.get_template(template).render(firm=s.settings.firm_name, **ctx)
    response = HTMLResponse(html, status, headers=HEADERS)
    if form is not None and CSRF_COOKIE not in request.cookies:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            max_age=CSRF_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=secure_cookie(request),
        )
    return response


def _notice(request: Request, status: int, title: str, text: str) -> HTMLResponse:
    response = _page(request, "notice.html", None, status, title=title, text=text)
    if status == 429:
        response.headers["Retry-After"] = "600"
    return response


def _csrf_ok(request: Request, form: str, token: str) -> bool:
    """Whether the CSRF token names this form and this browser's cookie, and is recent."""
    data = _open(store(request), "public.csrf", token)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if data is None or data.get("f") != form or not cookie:
        return False
    if not hmac.compare_digest(str(data.get("n", "")).encode(), cookie.encode()):
        return False
    return 0 <= now(request).timestamp() - float(data.get("t", 0)) <= CSRF_MAX_AGE_S


def _forbidden(request: Request) -> HTMLResponse:
    text = "This form expired or did not come from this site. Reload the page."
    return _notice(request, 403, "Please try again", text)


def _busy(request: Request) -> HTMLResponse:
    return _notice(request, 429, "Too many requests", "Please wait a few minutes and try again.")


def _send_code(
    request: Request, s: Store, purpose: str, e164: str, at: datetime, what: str
) -> None:
    """Issue and send a code; silent when the number had enough codes this hour (the page
    reads the same either way)."""
    with s.unit_of_work() as uow:
        code = codes.issue_code(uow, s.cipher, purpose, e164, at)
    if code is not None:
        text = f"{s.settings.firm_name}: {what} is {code}. It expires in 10 minutes."
        try:
            sender(request).send(e164, text)
        except TelephonyError as exc:  # e.g. a landline: the page stays neutral, the log says why
            log.warning("a confirmation code could not be sent (%s)", exc)


WRONG_CODE = "That code is not right or has expired."
BAD_NUMBER = "Enter a full telephone number, like (614) 555-0101."


# --- opt-out -------------------------------------------------------------------------------


def _optout(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    return _page(request, "optout.html", None if ctx["step"] == "done" else "optout", status, **ctx)


@router.get("/public/optout", response_class=HTMLResponse)
def optout_page(request: Request) -> HTMLResponse:
    """Step 1: the number to opt out."""
    return _optout(request, step="start")


@router.post("/public/optout", response_class=HTMLResponse, max_body_size=SMALL_BODY)
def optout_post(
    request: Request,
    csrf: Field = "",
    step: Field = "",
    number: Field = "",
    state: Field = "",
    code: Field = "",
) -> HTMLResponse:
    """Step 2 (``step=start``): a code goes to the number; step 3 (``step=code``): the code
    comes back and the opt-out is honoured at once, on every channel (channel "web")."""
    if not _csrf_ok(request, "optout", csrf):
        return _forbidden(request)
    s, at, lim, ip = store(request), now(request), limits(request), _ip(request)
    if step == "code":
        if not lim.check_ip.allow(f"ip:{ip}", at.timestamp()):
            return _busy(request)
        sealed = _open(s, "public.optout", state)
        if sealed is None:
            return _forbidden(request)
        e164 = str(sealed["n"])
        with s.unit_of_work() as uow:
            ok = public_pages.confirm_optout(uow, s.cipher, s.audit, s.firm_id, e164, code, at)
        if not ok:
            return _optout(request, 400, step="code", state=state, hint=e164[-2:], error=WRONG_CODE)
        return _optout(request, step="done")
    try:
        e164 = normalise(number)
    except RequestError:
        return _optout(request, 422, step="start", error=BAD_NUMBER)
    t = at.timestamp()
    if not lim.code_ip.allow(f"ip:{ip}", t) or not lim.code_number.allow(
        f"n:{index(s.cipher, e164)}", t
    ):
        return _busy(request)
    _send_code(request, s, "optout", e164, at, "your code to stop calls and texts")
    sealed_number = _seal(s, "public.optout", {"n": e164})
    return _optout(request, step="code", state=sealed_number, hint=e164[-2:])


# --- consent -------------------------------------------------------------------------------


def disclosure_text(s: Store, version: str) -> str:
    """The exact text shown for ``version`` with this firm named as the seller."""
    return _ENV.get_template(f"disclosures/{version}.txt").render(firm=s.settings.firm_name)


def _consent(request: Request, version: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    form = None if ctx["step"] == "done" else f"consent:{version}"
    return _page(request, "consent.html", form, status, version=version, **ctx)


@router.get("/public/consent/{disclosure_version}", response_class=HTMLResponse)
def consent_page(request: Request, disclosure_version: str) -> HTMLResponse:
    """The firm's consent form for one published disclosure version."""
    if disclosure_version not in DISCLOSURES:
        return _notice(request, 404, "Not found", "There is no such consent form.")
    text = disclosure_text(store(request), disclosure_version)
    sha = sha256(text.encode()).hexdigest()
    return _consent(request, disclosure_version, step="form", disclosure=text, sha=sha, values={})


@router.post(
    "/public/consent/{disclosure_version}", response_class=HTMLResponse, max_body_size=SMALL_BODY
)
def consent_post(
    request: Request,
    disclosure_version: str,
    csrf: Field = "",
    step: Field = "",
    name: Field = "",
    number: Field = "",
    agree: Field = "",
    signature: Field = "",
    sha: Field = "",
    state: Field = "",
    code: Field = "",
) -> HTMLResponse:
    """Record the consent (``step=form``), or first confirm the number by a code
    (``step=code``) when double opt-in is on."""
    version = disclosure_version
    if version not in DISCLOSURES:
        return _notice(request, 404, "Not found", "There is no such consent form.")
    if not _csrf_ok(request, f"consent:{version}", csrf):
        return _forbidden(request)
    s, at, ip = store(request), now(request), _ip(request)
    if not limits(request).consent_ip.allow(f"ip:{ip}", at.timestamp()):
        return _busy(request)
    text = disclosure_text(s, version)
    if step == "code":
        pending = _open(s, "public.consent", state)
        if pending is None or pending.get("v") != version:
            return _forbidden(request)
        with s.unit_of_work() as uow:
            ok = codes.check_code(uow, s.cipher, "consent", pending["n"], code, at)
        if not ok:
            return _consent(
                request,
                version,
                400,
                step="code",
                state=state,
                hint=pending["n"][-2:],
                error=WRONG_CODE,
            )
        return _record(request, s, version, text, pending, at)
    values = {"name": name, "number": number, "signature": signature}
    pending, errors = _check_form(values, agree, sha == sha256(text.encode()).hexdigest())
    if errors:
        return _consent(
            request,
            version,
            422,
            step="form",
            disclosure=text,
            values=values,
            sha=sha256(text.encode()).hexdigest(),
            errors=errors,
        )
    pending.update(v=version, ip=ip, ua=(request.headers.get("user-agent") or "")[:500])
    if not interface_settings(request).consent_double_opt_in:
        return _record(request, s, version, text, pending, at)
    if not limits(request).code_number.allow(f"n:{index(s.cipher, pending['n'])}", at.timestamp()):
        return _busy(request)
    _send_code(request, s, "consent", pending["n"], at, "your code to confirm your consent")
    return _consent(
        request,
        version,
        step="code",
        state=_seal(s, "public.consent", pending),
        hint=pending["n"][-2:],
    )


def _check_form(
    fields: dict[str, str], agree: str, same_text: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The consent form's values (number as E.164) and an error per field that is wrong."""
    name, signature = fields["name"].strip(), fields["signature"].strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 200:
        errors["name"] = "Enter your full name."
    try:
        e164 = normalise(fields["number"])
    except RequestError:
        e164, errors["number"] = "", BAD_NUMBER
    if agree != "yes":
        errors["agree"] = "Tick the box if you agree; you do not have to."
    if not signature or len(signature) > 200:
        errors["signature"] = "Type your full name to sign."
    if not same_text:
        errors["disclosure"] = "The text above changed while the page was open; read it again."
    return {"n": e164, "name": name}, errors


def _record(
    request: Request, s: Store, version: str, text: str, pending: dict[str, Any], at: datetime
) -> HTMLResponse:
    """The consent, with its evidence, for a contact that is created if the number is new."""
    d, double = DISCLOSURES[version], interface_settings(request).consent_double_opt_in
    evidence = ConsentEvidence(
        method="web_form_typed_signature" + ("_double_opt_in" if double else ""),
        disclosure_text=text,
        disclosure_version=version,
        captured_by=PUBLIC_FORM.label,
        source_ip=pending["ip"],
        user_agent=pending["ua"] or None,
    )
    new = NewConsent(
        number=pending["n"],
        kind="express_written",
        scope=d.scope,
        sellers=[s.settings.firm_name],
        given_at=at,
        evidence=evidence,
        technologies=d.technologies,
    )
    try:
        with s.unit_of_work() as uow:
            # the person's reference: the start of the evidence fingerprint, not a sequential
            # id (which would tell anyone how many consents the firm records)
            reference = public_pages.record_form_consent(
                uow, s.cipher, s.audit, s.firm_id, new, pending["name"], PUBLIC_FORM, at
            )
    except RequestError:  # e.g. an erased person's number: not said to an anonymous page
        msg = f"Please contact {s.settings.firm_name} directly."
        return _notice(request, 422, "We could not record this online", msg)
    return _consent(
        request,
        version,
        step="done",
        sha=sha256(text.encode()).hexdigest(),
        reference=reference.upper(),
        at=at.isoformat(timespec="seconds"),
    )
