"""JSON from outside, read so that no document can crash its reader.

Rule 1: a document nested deeper than ``MAX_DEPTH`` is refused by name before anything
walks it (Python's own reader and writer recurse: a few thousand ``[`` raise
RecursionError).
Rule 2: a string holding a lone UTF-16 surrogate (``"\\ud800"``) is valid JSON text but
not text: it cannot be written as UTF-8, so it is refused naming the field it sits in.
"""

from __future__ import annotations

import json
from typing import Any

from lexdial.errors import RequestError

#: deeper than any request lexdial reads (the decision contract nests 4 levels)
MAX_DEPTH = 64


def loads(text: str | bytes, field: str = "") -> Any:
    """``json.loads(text)``, checked by ``check``; a RecursionError becomes a RequestError.

    ``json.JSONDecodeError`` is raised as it is, so callers keep their own wording for it.
    """
    try:
        doc = json.loads(text)
    except RecursionError:
        raise RequestError(field, f"nests deeper than {MAX_DEPTH} levels") from None
    check(doc, field)
    return doc


def check(doc: Any, field: str = "") -> None:
    """Refuse ``doc`` if it nests deeper than ``MAX_DEPTH`` or holds a lone surrogate."""
    stack: list[tuple[str, Any, int]] = [(field, doc, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str):
            _text(value, path)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            raise RequestError(path, f"nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                _text(str(key), path or "body")
                stack.append((where, item, depth + 1))
        else:
            stack.extend((f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value))


def _text(value: str, path: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(path, "holds a lone UTF-16 surrogate (not text)") from None
