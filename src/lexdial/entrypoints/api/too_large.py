"""A request body over its route's cap is answered like every other error of its face.

Why: Starlette's body limiter (FastAPI's ``max_body_size``: 2 MB by default, 21 MB for an
import, 64 KB for an anonymous form) answers a plain-text "Content Too Large" from outside
every exception handler, so a client of the JSON API met the one error not in its shape,
and a browser a bare line of text.
Rule 1: the outermost layer of the app swaps that plain-text 413 for the API's one error
shape (``errors.ErrorInfo.body``), field ``body``, naming the route's cap; a 413 any other
part of the app made is left alone.
Rule 2: a web page's route (``web_common.HtmlRoute``) gets the web's error page instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import Request
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lexdial.entrypoints.api.errors import json_error_info, too_large
from lexdial.entrypoints.api.web_common import HtmlRoute, error_page, secure

STATUS = 413


class TooLargeAnswered:
    """ASGI wrapper around the whole app (rule 1, rule 2)."""

    def __init__(
        self, app: ASGIApp, routes: Callable[[], Sequence[BaseRoute]], default: int | None
    ) -> None:
        self.app, self.routes, self.default = app, routes, default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        swapping = False

        async def answer(message: Message) -> None:
            nonlocal swapping
            if message["type"] == "http.response.start":
                kind = Headers(raw=message.get("headers", [])).get("content-type", "")
                swapping = message["status"] == STATUS and kind.startswith("text/plain")
                if swapping:
                    return
            elif swapping:  # the limiter's text, swallowed; its end sends ours instead
                if not message.get("more_body", False):
                    await self._response(scope, receive)(scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, answer)

    def _response(self, scope: Scope, receive: Receive) -> Response:
        route = self._route(scope)
        limit = getattr(route, "max_body_size", None) or self.default
        info = too_large(limit)
        if isinstance(route, HtmlRoute):
            request = Request(scope, receive)
            return secure(error_page(request, info.status, info.message))
        return json_error_info(info)

    def _route(self, scope: Scope) -> BaseRoute | None:
        """The route the router matched (it sets ``scope["route"]``, the dict this layer
        shares), else the first top-level route matching the path."""
        matched = scope.get("route")
        if isinstance(matched, BaseRoute):
            return matched
        for route in self.routes():
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return route
        return None
