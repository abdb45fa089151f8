"""The digest of a decision request: what a stored decision was made from.

Pure (no I/O): the gate (a service) and ``lexdial.api`` (the Python face) both need it, so
it lives below both; importing it from ``lexdial.api`` would tie the services to a face.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import orjson


def request_digest(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the request's canonical JSON (keys sorted, no spaces, UTF-8): what the
    decision was made from. orjson because this runs once per decision."""
    try:
        text = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. a number too large for orjson: fall back, still canonical
        text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(text).hexdigest()
