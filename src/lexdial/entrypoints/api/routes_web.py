"""The web dashboard: log-in, log-out, the stylesheet, and every page's routes in one router.

Rule 1: the session cookie is HttpOnly and SameSite=Strict (Secure over HTTPS); only its
SHA-256 is stored (``service.auth``). A form that changes anything carries the session's
CSRF token in the hidden field ``csrf``, which ``deps`` checks before the route runs.
Rule 2: the log-in form has its own double-submit token (a cookie and a field that must
match), so another site cannot log a browser into an account of its choosing; a wrong
e-mail and a wrong password get the same message, so the form does not reveal who has one.
Rule 3: the pages' routes live in ``routes_web_*`` modules and are copied onto this router
(``include_router`` would hide them from the route audit, which walks ``router.routes``),
so ``ROUTERS`` names only this module.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from lexdial.bootstrap import Store
from lexdial.entrypoints.api import (
    routes_web_audit,
    routes_web_campaigns,
    routes_web_compliance,
    routes_web_imports,
    routes_web_people,
)
from lexdial.entrypoints.api.cookies import kept_only_over_https, secure_cookie
from lexdial.entrypoints.api.deps import SESSION_COOKIE, SMALL_BODY, Reader, now, store
from lexdial.entrypoints.api.deps import limits as app_limits
from lexdial.entrypoints.api.login_throttle import LoginThrottle
from lexdial.entrypoints.api.web_common import STATIC, page, safe_next, web_router
from lexdial.errors import PermissionDeniedError
from lexdial.service.auth import log_in, log_out, record_failed_login

router = web_router()
LOGIN_COOKIE = "lexdial_login"
#: a browser that logged into an account before (login_throttle, rule 3)
DEVICE_COOKIE = "lexdial_device"
DEVICE_CONTEXT = "web.login_device"
DEVICE_MAX_AGE_S = 180 * 86400


#: why a log-in over plain HTTP cannot work (``cookies.kept_only_over_https``)
PLAIN_HTTP_REFUSED = (
    "This page was opened over plain HTTP, and your browser does not keep a sign-in made"
    " that way. Open it over HTTPS; on a closed test network, start lexdial with"
    " LEXDIAL_PLAIN_HTTP=1."
)


def _cookie(response: Response, request: Request, name: str, value: str, path: str) -> None:
    response.set_cookie(
        name,
        value,
        path=path,
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
    )


def _login_form(request: Request, next_url: str, error: str | None, status: int) -> Response:
    # a second tab (or a reload) keeps the same token, so the first form still works
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        next_url=safe_next(next_url),
        error=error,
        plain_http=kept_only_over_https(request),
    )
    _cookie(response, request, LOGIN_COOKIE, token, "/login")
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/campaigns") -> Response:
    """The log-in form (open: it is how a person gets a session)."""
    return _login_form(request, next, None, 200)


@router.post("/login", max_body_size=SMALL_BODY)
def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    login_csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/campaigns",
) -> Response:
    """Check the e-mail and password; on success set the session cookie and go on.
    Guessing is slowed per source, never by locking the account (``login_throttle``)."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, login_csrf):
        if not expected and kept_only_over_https(request):
            return _login_form(request, next, PLAIN_HTTP_REFUSED, 403)
        return _login_form(request, next, "The form had expired: please log in again.", 403)
    s = store(request)
    ip = request.client.host if request.client else "-"
    device = _known_device(s, request, email)
    throttle = _throttle(request)
    refused = throttle.refusal(ip, email, device)
    if refused is not None:
        return _login_form(request, next, refused, 429)
    try:
        with s.unit_of_work() as uow:
            session = log_in(uow, s.audit, email, password, now(request))
    except PermissionDeniedError:
        throttle.failed(ip, email, device)
        with s.unit_of_work() as uow:
            record_failed_login(uow, s.audit, email, now(request))
        return _login_form(request, next, "Wrong e-mail or password.", 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    _cookie(response, request, SESSION_COOKIE, session.token, "/")
    response.delete_cookie(LOGIN_COOKIE, path="/login", secure=secure_cookie(request))
    # this browser is now a known source for this account (login_throttle, rule 3)
    seal = {"account": email.strip().lower(), "device": device or secrets.token_hex(16)}
    sealed = s.cipher.encrypt(json.dumps(seal), context=DEVICE_CONTEXT)
    response.set_cookie(
        DEVICE_COOKIE,
        sealed,
        max_age=DEVICE_MAX_AGE_S,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
    )
    return response


def _known_device(s: Store, request: Request, email: str) -> str | None:
    """The device id of this browser's cookie if it was issued for this account, else None."""
    try:
        data = json.loads(
            s.cipher.decrypt(request.cookies.get(DEVICE_COOKIE, ""), context=DEVICE_CONTEXT)
        )
    except Exception:  # absent, tampered, another key: simply not a known browser
        return None
    if not isinstance(data, dict) or data.get("account") != email.strip().lower():
        return None
    device = data.get("device")
    return device if isinstance(device, str) else None


def _throttle(request: Request) -> LoginThrottle:
    found: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if found is None:
        found = request.app.state.login_throttle = LoginThrottle(limits=app_limits(request))
    return found


@router.post("/logout")
def logout(request: Request, caller: Reader) -> Response:
    """End the session (a POST with the CSRF token: a link elsewhere cannot log you out)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with store(request).unit_of_work() as uow:
            log_out(uow, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),  # as it was set: a browser keeps a Secure one else
    )
    return response


@router.get("/")
def home(caller: Reader) -> Response:
    return RedirectResponse("/campaigns", status_code=303)


@router.get("/static/app.css")
def stylesheet() -> Response:
    """The dashboard's one stylesheet, served by us (no CDN: pages work offline)."""
    response = FileResponse(STATIC / "app.css", media_type="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


for _module in (
    routes_web_campaigns,
    routes_web_people,
    routes_web_audit,
    routes_web_compliance,
    routes_web_imports,
):
    router.routes.extend(_module.router.routes)

__all__ = ["router"]
