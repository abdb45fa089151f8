"""lexdial's exception tree mapped to HTTP, in one place (the CLI maps it to exit codes)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from lexdial.errors import CampaignError, LexdialError, RequestError


def install(app: FastAPI) -> None:
    @app.exception_handler(LexdialError)
    async def lexdial_error(request: Request, exc: LexdialError) -> JSONResponse:
        body: dict[str, object] = {"type": type(exc).__name__, "message": str(exc)}
        if isinstance(exc, RequestError):
            # a whole-body problem (not JSON, not an object) names the body itself
            body.update(field=exc.field or "body", message=exc.message)
        if isinstance(exc, CampaignError):
            body.update(message=str(exc).split("\n")[0], problems=list(exc.problems))
        return JSONResponse({"error": body}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = first.get("loc", ())
        if first.get("type") == "json_invalid":  # its loc is a character position
            loc = loc[:1]
        field = ".".join(str(p) for p in loc[1:]) or ".".join(str(p) for p in loc[:1])
        # the message names the field; the value (maybe a number or a name) is not repeated
        body = {"type": "RequestError", "field": field, "message": first.get("msg", "invalid")}
        return JSONResponse({"error": body}, status_code=422)

    @app.exception_handler(HTTPException)
    async def unreadable(request: Request, exc: HTTPException) -> Response:
        # FastAPI answers a body it cannot parse (broken JSON or multipart) with a bare 400:
        # say, in lexdial's error shape, that the body is what is wrong
        if exc.status_code == 400:
            body = {"type": "RequestError", "field": "body", "message": str(exc.detail)}
            return JSONResponse({"error": body}, status_code=400)
        return await http_exception_handler(request, exc)
