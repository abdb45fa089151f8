"""Read decision requests from a file or standard input: one JSON object, a JSON array,
or JSON Lines. Every request is validated before any is decided, so a bad item stops the
batch with its position and field named, and nothing is half-decided.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lexdial.domain import json_guard
from lexdial.domain.decision import DecisionRequest
from lexdial.domain.request_parse import parse_request, unwrap_envelope
from lexdial.errors import RequestError


def read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise RequestError("", missing_file(path, "file"))
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestError("", f"{source}: cannot read ({exc.__class__.__name__})") from None


def missing_file(path: Path, kind: str) -> str:
    """Why ``path`` cannot be read as a ``kind``: a folder is named as one, not as missing
    (a user who typed the folder the file is in thinks the file is there)."""
    if path.is_dir():
        return f"{path}: is a folder, not a {kind}; name the {kind} in it"
    if path.exists():
        return f"{path}: is not a regular {kind} (a device or a pipe); save it as a {kind} first"
    return f"{path}: no such file"


def parse_documents(text: str) -> tuple[str, list[Any]]:
    """('object' | 'array' | 'lines', items) from JSON, a JSON array or JSON Lines."""
    stripped = text.strip()
    if not stripped:
        raise RequestError("", "input is empty; expected a JSON object, array or JSON Lines")
    try:
        doc = json_guard.loads(stripped)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise RequestError(
                "", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        return "lines", _lines(stripped)
    if isinstance(doc, list):
        return "array", doc
    if isinstance(doc, dict):
        return "object", [doc]
    raise RequestError("", "expected a JSON object, a JSON array or JSON Lines")


def _lines(text: str) -> list[Any]:
    items = []
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json_guard.loads(line, f"line {no}"))
        except json.JSONDecodeError as exc:
            raise RequestError("", f"line {no} is not valid JSON ({exc.msg})") from None
    return items


def read_requests(source: str) -> tuple[str, list[Any], list[DecisionRequest]]:
    """Read and validate every request of ``source`` (see module docstring)."""
    shape, items = parse_documents(read_text(source))
    raws = [unwrap_envelope(item) for item in items]
    requests = []
    for i, raw in enumerate(raws):
        try:
            requests.append(parse_request(raw))
        except RequestError as exc:
            raise in_batch(exc, shape, i) from None
    return shape, raws, requests


def in_batch(exc: RequestError, shape: str, index: int) -> RequestError:
    """The same error with the item's position in front of its field (batches only)."""
    if shape == "object":
        return exc
    where = f"line {index + 1}" if shape == "lines" else f"[{index}]"
    return RequestError(f"{where}.{exc.field}" if exc.field else where, exc.message)
