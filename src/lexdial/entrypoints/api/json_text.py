"""A JSON body whose text is not Unicode is refused by name before any route reads it.

Rule 1: JSON may spell a lone UTF-16 surrogate (``"\\ud800"``); Python's reader accepts it
into a ``str`` that no UTF-8 encoder takes. Reaching the store it was a 500 (encryption,
SQLite and psycopg all encode), or worse: wrapped in a JSON envelope it was stored, and
every later read of the firm's review queue failed (found by the attacker sweep). One
app-wide dependency reads every JSON body of a request that may change something and
answers 422 naming the first field that holds one, so a new route is covered without
remembering to.
Rule 2: cheap for the honest: the body is searched for a surrogate escape and checked to
be plain UTF-8 first (``json.loads`` also reads UTF-16/32, and UTF-8 with encoded
surrogates); only a body that fails is parsed again (a pair, an emoji, is Unicode and
passes).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from lexdial.errors import RequestError

#: methods that carry no body the app reads
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
#: ``\uD800``-``\uDFFF`` as JSON spells it (either case)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in ("", "application/json") or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def _bad(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def lone_surrogate_at(value: Any, where: str = "") -> str | None:
    """The dotted path (``numbers.0.number``; ``body`` for the document) of the first key or
    string in ``value`` that is not Unicode text, or None."""
    if isinstance(value, str):
        return (where or "body") if _bad(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if _bad(key):
                return where or "body"
            found = lone_surrogate_at(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = lone_surrogate_at(item, f"{where}.{i}" if where else str(i))
            if found is not None:
                return found
    return None


def _may_hold_surrogate(body: bytes) -> bool:
    """Whether ``json.loads(body)`` could make a lone surrogate: an escape spells one, or the
    bytes are not plain UTF-8 (``json.loads`` reads UTF-16 and UTF-32 too, and reads UTF-8
    with "surrogatepass": an encoded surrogate, ``ED A0 80``, comes through as one)."""
    if _SURROGATE_ESCAPE.search(body) or json.detect_encoding(body) != "utf-8":
        return True
    try:
        body.decode("utf-8")  # strict: an encoded surrogate is not UTF-8
    except UnicodeDecodeError:
        return True
    return False


async def json_is_unicode(request: Request) -> None:
    """Dependency: 422 naming the field when a JSON body holds a lone surrogate (Rule 1)."""
    if request.method in _SAFE or not _is_json(request.headers.get("content-type", "")):
        return
    body = await request.body()  # read once: the route's own read gets the same bytes
    if not _may_hold_surrogate(body):
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON at all: the route says so, by name
        return
    try:
        where = lone_surrogate_at(document)
    except RecursionError:
        raise RequestError("body", "the document nests too deeply") from None
    if where is not None:
        # the field's name may itself be the bad text: then the object holding it is named
        raise RequestError(where, "is not valid Unicode text (it holds a lone surrogate)")
