"""The Python face of the decision contract: ``lexdial.decide(request)``, and
``decide_json(text)`` for a request still in its JSON text (the same decision, faster)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

import orjson

from lexdial.domain.decision import Decision, DecisionRequest
from lexdial.domain.digest import request_digest as request_digest  # its home: domain
from lexdial.domain.request_fast import read_request
from lexdial.domain.request_parse import parse_request
from lexdial.rules.engine import Engine


def _plain(value: Any) -> Any:
    """A built request as JSON-ready data with sets sorted, so its digest is stable
    across processes (``repr`` of a frozenset is not: string hashing is randomised)."""
    if hasattr(value, "_asdict"):  # the request's NamedTuple parts
        return {k: _plain(v) for k, v in value._asdict().items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


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
        return engine.decide(request, digest=request_digest(_plain(request)))
    return engine.decide(parse_request(request), digest=request_digest(request))


def decide_json(text: str | bytes, engine: Engine | None = None) -> Decision:
    """Decide one call attempt given as JSON text: ``decide(json.loads(text))``, with the
    same decision (and id) or the same error, read several times faster
    (``domain.request_fast``). Invalid JSON raises ``json.JSONDecodeError`` as before."""
    if engine is None:
        from lexdial.bootstrap import default_engine

        engine = default_engine()
    raw, req = read_request(text)
    try:  # a JSON document's keys are strings: no OPT_NON_STR_KEYS, same bytes, faster
        canonical = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits: the general path
        return engine.decide(req, digest=request_digest(raw))
    return engine.decide(req, digest=hashlib.sha256(canonical).hexdigest())
