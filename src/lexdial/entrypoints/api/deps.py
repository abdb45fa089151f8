"""Request-scoped helpers: the store, the clock, and who is calling (with their role).

Rule 1: every route but health, the signed provider webhooks and the public pages depends
on ``require(action)``: no caller -> 401, a role that may not do ``action`` -> 403 (the
same ``users.authorize`` table the CLI uses). The role is read on every request.
Rule 2: a request acts for the firm of the user behind its token or session (``store``),
never for a firm named in the request.
Rule 3: a browser session may change things only with its CSRF token (a header for the
JSON API, a form field for the web pages): a cookie alone proves nothing about intent.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from lexdial.bootstrap import Store
from lexdial.service.auth import caller_for_token, session_caller
from lexdial.service.limits import Limits, MemoryLimits
from lexdial.service.users import Caller, authorize, firm_of

SESSION_COOKIE = "lexdial_session"
#: what an anonymous caller may send in one request (forms, webhooks): read before any check
SMALL_BODY = 64 * 1024
#: the largest body of any other route (JSON above all: FastAPI parses it before the caller
#: is known, and 20 MB of ``[{},{},...]`` made 550 MB of Python objects for a 401); 2 MB
#: holds some 180 000 contact ids for a campaign's list
JSON_BODY = 2 * 1024 * 1024
#: an import's upload (a file of 20 MB plus the form around it): its routes only
UPLOAD_BODY = 21 * 1024 * 1024
CSRF_HEADER = "x-csrf-token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def store(request: Request) -> Store:
    """The store, acting for the caller's firm once the caller is known (see ``current_caller``);
    before that (public pages, signed webhooks) for the firm the settings name."""
    value: Store = request.app.state.store
    firm_id = getattr(request.state, "firm_id", None)
    if firm_id is not None and firm_id != value.firm_id:
        return dataclasses.replace(value, firm_id=firm_id)
    return value


async def _act_for_callers_firm(request: Request, caller: Caller) -> Caller:
    # the firm comes from the user row behind the token or session, never from the request
    # itself: a user of firm 2 reads and changes firm 2's records only (issue 9)
    user_id, s = caller.user_id, request.app.state.store
    if user_id is not None:

        def firm() -> int:
            with s.reading() as uow:
                return firm_of(uow, user_id)

        request.state.firm_id = await run_in_threadpool(firm)  # off the event loop
    return caller


def now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def _csrf_from_form(request: Request) -> str | None:
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf")
        return value if isinstance(value, str) else None
    return None


async def current_caller(request: Request) -> Caller:
    """The caller of this request, or 401 (no valid token or session)."""
    s, at = store(request), now(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()

        def by_token() -> Caller | None:
            with s.unit_of_work() as uow:
                return caller_for_token(uow, token, at)

        caller = await run_in_threadpool(by_token)  # the store stays off the event loop
        if caller is None:
            raise HTTPException(401, "invalid or revoked token", {"WWW-Authenticate": "Bearer"})
        return await _act_for_callers_firm(request, caller)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:

        def by_session() -> tuple[Caller, str] | None:
            with s.reading() as uow:
                return session_caller(uow, cookie, at)

        found = await run_in_threadpool(by_session)
        if found is not None:
            caller, csrf = found
            if request.method not in _SAFE:
                given = request.headers.get(CSRF_HEADER) or await _csrf_from_form(request)
                if given is None or not secrets.compare_digest(given, csrf):
                    raise HTTPException(403, "missing or wrong CSRF token")
            request.state.csrf = csrf
            return await _act_for_callers_firm(request, caller)
    raise HTTPException(401, "log in or send a bearer token", {"WWW-Authenticate": "Bearer"})


class Require:
    """Dependency: the caller, if their role may do ``action`` (else 401/403)."""

    def __init__(self, action: str) -> None:
        self.action = action

    async def __call__(self, request: Request) -> Caller:
        caller = await current_caller(request)
        s = store(request)

        def check() -> None:
            with s.reading() as uow:
                authorize(uow, caller, self.action)

        await run_in_threadpool(check)  # the store stays off the event loop
        return caller


#: one alias per action (the route audit test reads the action off the dependency)
Reader = Annotated[Caller, Depends(Require("read"))]
DecisionWriter = Annotated[Caller, Depends(Require("decision.write"))]
ConsentWriter = Annotated[Caller, Depends(Require("consent.write"))]
OptOutWriter = Annotated[Caller, Depends(Require("optout.write"))]
CampaignWriter = Annotated[Caller, Depends(Require("campaign.write"))]
PrivacyWriter = Annotated[Caller, Depends(Require("privacy.write"))]
RegistryWriter = Annotated[Caller, Depends(Require("registry.write"))]
UsersWriter = Annotated[Caller, Depends(Require("users.write"))]
AuditReader = Annotated[Caller, Depends(Require("audit.read"))]
ImportWriter = Annotated[Caller, Depends(Require("import.write"))]
ReviewWriter = Annotated[Caller, Depends(Require("review.write"))]
UsersReader = Annotated[Caller, Depends(Require("users.read"))]


def limits(request: Request) -> Limits:
    """Where the app's rate limits count (``app.state.limits``: memory, or Redis shared by
    every process; ``create_app`` opens it, ``bootstrap.open_limits``)."""
    found: Limits | None = getattr(request.app.state, "limits", None)
    if found is None:
        found = request.app.state.limits = MemoryLimits()
    return found
