"""lexdial's exception tree mapped to HTTP, in one place (the CLI maps it to exit codes)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from lexdial.errors import CampaignError, LexdialError, RequestError


def install(app: FastAPI) -> None:
    @app.exception_handler(LexdialError)
    async def lexdial_error(request: Request, exc: LexdialError) -> JSONResponse:
        body: dict[str, object] = {"type": type(exc).__name__, "message": str(exc)}
        if isinstance(exc, RequestError):
            body.update(field=exc.field, message=exc.message)
        if isinstance(exc, CampaignError):
            body.update(message=str(exc).split("\n")[0], problems=list(exc.problems))
        return JSONResponse({"error": body}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ())[1:])
        # the message names the field; the value (maybe a number or a name) is not repeated
        body = {"type": "RequestError", "field": field, "message": first.get("msg", "invalid")}
        return JSONResponse({"error": body}, status_code=422)
