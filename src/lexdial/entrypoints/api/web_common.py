"""Plumbing shared by the server-rendered web pages: their route class, templates, headers.

Rule 1: a page never answers JSON. Not logged in is 401 with a small page that links (and
refreshes) to /login; a refusal (403), a conflict (409) or a bad value (422) is a page that
says why. The statuses are the API's, so the route audit test reads pages like any route.
Rule 2: pages show personal data, so they are never cached, never framed, and load nothing
but this server's stylesheet (the Content-Security-Policy forbids every script and every
other origin): the dashboard works with no network and leaks nothing to a CDN.
Rule 3: what a role may *see* is decided here too (``sees_numbers``); what it may *do* is
the route's ``deps`` alias, checked on the server whatever the page shows.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, APIRouter
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from lexdial.entrypoints.api.deps import store
from lexdial.entrypoints.api.errors import describe
from lexdial.errors import LexdialError
from lexdial.rules.codes import CODES
from lexdial.service import views
from lexdial.service.users import ALLOWED, FULL_NUMBER_ROLES, Caller

HERE = Path(__file__).parent
STATIC = HERE / "static"
#: queue codes that are not rule codes
EXTRA_CODES = {"CAMPAIGN_SCHEDULE": "outside the campaign's own calling schedule"}
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(value: datetime | str | None) -> str:
    """An instant as people read it in the dashboard: UTC to the minute ('-' if none)."""
    if value is None or value == "":
        return "-"
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    at = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite keeps no offset: stored UTC
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def duration(seconds: float) -> str:
    """A delay as people say it: immediate, seconds, minutes or hours."""
    if seconds < 1:
        return "immediate (under a second)"
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def plain_code(code: str) -> str:
    """A reason code in plain words (the contract's own description)."""
    return CODES.get(code) or EXTRA_CODES.get(code) or code.replace("_", " ").lower()


ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(when=when, plain_code=plain_code, duration=duration)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at the page: shown in the header, and decides what the page shows."""

    email: str
    role: str

    @property
    def sees_numbers(self) -> bool:
        return self.role in FULL_NUMBER_ROLES

    def can(self, action: str) -> bool:
        """Whether to offer a button: the route checks again (``deps``), this only spares
        a person a button that would answer 403."""
        return self.role in ALLOWED.get(action, frozenset({"admin"}))


def viewer(request: Request, caller: Caller) -> Viewer:
    with store(request).reading() as uow:
        badge = views.who(uow, caller.user_id) if caller.user_id is not None else None
    return Viewer(badge.email, badge.role) if badge else Viewer(caller.label, caller.role)


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def page(
    request: Request,
    template: str,
    caller: Caller | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` (under templates/web/) with the CSRF token and the viewer."""
    html = ENV.get_template(f"web/{template}").render(
        csrf=getattr(request.state, "csrf", ""),
        me=viewer(request, caller) if caller is not None else None,
        path=request.url.path,
        refresh=context.pop("refresh", None),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/campaigns"
    return target


def error_page(
    request: Request,
    status: int,
    message: str,
    problems: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    referer = urlsplit(request.headers.get("referer", ""))
    back = referer.path if referer.netloc == request.url.netloc else None  # only our pages
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":  # after logging in, go back to the page, not to the POST
        here = back or "/campaigns"
    response = page(
        request,
        "error.html",
        status=status,
        status_code=status,
        message=message,
        problems=problems,
        login_url="/login?next=" + quote(here, safe="/"),
        method_get=request.method == "GET",
        back=back,
    )
    response.headers.update(headers or {})
    return response


def html_error(request: Request, exc: Exception) -> HTMLResponse:
    """``exc`` as a page: the status and words of the one map (``api.errors.describe``)."""
    info = describe(exc)
    message = info.message
    if info.status == 401:
        message = "Please log in."
    elif isinstance(exc, RequestValidationError):
        message = f"{info.field}: {info.message}"
    return error_page(request, info.status, message, info.problems, headers=info.headers)


class HtmlRoute(APIRoute):
    """A route whose refusals and errors are pages (see the module's rule 1)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def html_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except (HTTPException, LexdialError, RequestValidationError) as exc:
                response = html_error(request, exc)
            return secure(response)

        return html_handler


def web_router() -> APIRouter:
    """A router for pages: HTML refusals, and kept out of the JSON API's OpenAPI document."""
    return APIRouter(route_class=HtmlRoute, include_in_schema=False)
