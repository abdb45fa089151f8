"""The Python face of the decision contract: ``lexdial.decide(request)``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from lexdial.domain.decision import Decision, DecisionRequest
from lexdial.domain.request_parse import parse_request
from lexdial.rules.engine import Engine


def request_digest(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the request's canonical JSON: what the decision was made from."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decide(request: Mapping[str, Any] | DecisionRequest, engine: Engine | None = None) -> Decision:
    """Decide one call attempt (contract v1).

    ``request`` is a JSON-shaped mapping (validated strictly; a ``RequestError`` names the
    bad field) or an already-built ``DecisionRequest``. The default engine uses the
    bundled rule pack and the settings file, if any.
    """
    if engine is None:
        from lexdial.bootstrap import default_engine

        engine = default_engine()
    if isinstance(request, DecisionRequest):
        return engine.decide(request, digest=hashlib.sha256(repr(request).encode()).hexdigest())
    return engine.decide(parse_request(request), digest=request_digest(request))
