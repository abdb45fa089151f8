"""The request digest: what a decision was made from, as a hash of canonical JSON.

Pure (no I/O), so the gate, the Python API and the CLI share one definition without the
service layer importing the public API module (which wires the whole application).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import orjson


def request_digest(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the request's canonical JSON (keys sorted, no spaces, UTF-8): what the
    decision was made from."""
    return hashlib.sha256(request_text(raw)).hexdigest()


def request_text(raw: Mapping[str, Any]) -> bytes:
    """The request's canonical JSON, the bytes ``request_digest`` hashes (a caller that
    also parses the request reads them, not the dict again). orjson because this runs
    once per decision."""
    try:
        return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. a number too large for orjson: fall back, still canonical
        return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
