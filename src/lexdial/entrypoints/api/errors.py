"""lexdial's exception tree mapped to HTTP, in one place (the CLI maps it to exit codes).

Rule 1: every error the JSON API answers has ONE shape, whoever raised it (a service,
FastAPI's own validation, an unknown route, a wrong method, a missing token)::

    {"error": {"type": "NotFoundError", "code": "not_found", "message": "...",
               "field": "contact_id",           # bad input only: the dotted field
               "problems": ["..."]}}             # a refused campaign only: every problem

Rule 2: ``describe`` is the map; the JSON handlers here and the HTML pages
(``web_common.HtmlRoute``) both render what it says, so a status is decided once.
The message never repeats an offending value (it may be personal data): it names the field.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from lexdial.errors import (
    CampaignError,
    LexdialError,
    NotFoundError,
    PermissionDeniedError,
    RequestError,
)

log = logging.getLogger(__name__)

#: FastAPI/Starlette's own HTTP errors, named as lexdial's (status -> type, code)
_HTTP_NAMES: dict[int, tuple[str, str]] = {
    400: (RequestError.__name__, RequestError.code),
    401: ("AuthenticationError", "unauthenticated"),
    403: (PermissionDeniedError.__name__, PermissionDeniedError.code),
    404: (NotFoundError.__name__, NotFoundError.code),
    405: ("MethodNotAllowedError", "method_not_allowed"),
    413: ("UploadTooLargeError", "upload_too_large"),
}


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What a face says about one error: the status and the body's fields."""

    status: int
    type: str
    code: str
    message: str
    field: str | None = None
    problems: tuple[str, ...] = ()
    headers: dict[str, str] = _field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The JSON API's one error shape (rule 1)."""
        out: dict[str, Any] = {"type": self.type, "code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.problems:
            out["problems"] = list(self.problems)
        return {"error": out}


def describe(exc: Exception) -> ErrorInfo:
    """The status and wording of ``exc`` (lexdial's tree, FastAPI's own, or a bug)."""
    if isinstance(exc, RequestError):
        # a whole-body problem (not JSON, not an object) names the body itself
        return ErrorInfo(
            exc.http_status, type(exc).__name__, exc.code, exc.message, exc.field or "body"
        )
    if isinstance(exc, CampaignError):
        return ErrorInfo(
            exc.http_status,
            type(exc).__name__,
            exc.code,
            str(exc).split("\n")[0],
            problems=exc.problems,
        )
    if isinstance(exc, LexdialError):
        return ErrorInfo(exc.http_status, type(exc).__name__, exc.code, str(exc))
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = first.get("loc", ())
        if first.get("type") == "json_invalid":  # its loc is a character position
            loc = loc[:1]
        where = ".".join(str(p) for p in loc[1:]) or ".".join(str(p) for p in loc[:1])
        # the message names the field; the value (maybe a number or a name) is not repeated
        msg = str(first.get("msg", "invalid"))
        return ErrorInfo(422, RequestError.__name__, RequestError.code, msg, where or "body")
    if isinstance(exc, HTTPException) and exc.status_code == 413:
        return too_large(None)  # the body limiter's, raised while the body was read
    if isinstance(exc, HTTPException):
        kind, code = _HTTP_NAMES.get(exc.status_code, ("HTTPError", "http_error"))
        # FastAPI answers a body it cannot parse (broken JSON or multipart) with a bare
        # 400: the body is what is wrong
        return ErrorInfo(
            exc.status_code,
            kind,
            code,
            str(exc.detail),
            "body" if exc.status_code == 400 else None,
            headers=dict(exc.headers or {}),
        )
    return ErrorInfo(500, "InternalError", LexdialError.code, "internal error (it is logged)")


def too_large(limit: int | None) -> ErrorInfo:
    """What a body over ``limit`` bytes is told (the limit in words, when known)."""
    cap = f" ({_size(limit)} at most on this route)" if limit else ""
    kind, code = _HTTP_NAMES[413]
    return ErrorInfo(413, kind, code, f"the request body is too large{cap}", "body")


def _size(limit: int) -> str:
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit % mb == 0 else f"{limit // 1024} KB"


def json_error(exc: Exception) -> JSONResponse:
    """``exc`` as the JSON API's one error shape."""
    return json_error_info(describe(exc))


def json_error_info(info: ErrorInfo) -> JSONResponse:
    """An error already described, in the JSON API's one error shape."""
    return JSONResponse(info.body(), status_code=info.status, headers=info.headers or None)


def install(app: FastAPI) -> None:
    """Answer lexdial's errors and FastAPI's own (validation, 4xx, 405) in one shape."""

    @app.exception_handler(LexdialError)
    async def lexdial_error(request: Request, exc: LexdialError) -> JSONResponse:
        return json_error(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return json_error(exc)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (204, 304):  # no body may follow
            return await http_exception_handler(request, exc)
        if exc.status_code == 413:  # the body limiter's: its route's cap is in the scope
            return json_error_info(too_large(request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)))
        return json_error(exc)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        # the server's error middleware still logs the traceback; the client gets the shape
        log.error("unexpected error on %s %s: %r", request.method, request.url.path, exc)
        return json_error(exc)
