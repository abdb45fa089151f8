"""lexdial: a compliance-first auto dialer for law firms.

The public API is the decision contract v1: ``decide(request) -> Decision``.

The names are resolved on first use (PEP 562), so that ``import lexdial`` — which every
``lexdial`` command and submodule import runs first — does not load the engine and the
phone-number metadata before a command has asked for them.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from lexdial.errors import ConfigError, LexdialError, RequestError, RulePackError

if _typing.TYPE_CHECKING:
    from lexdial.api import decide
    from lexdial.domain.decision import Decision, DecisionRequest, Reason
    from lexdial.domain.request_parse import parse_request

__version__ = "0.1.0"
__all__ = [
    "ConfigError",
    "Decision",
    "DecisionRequest",
    "LexdialError",
    "Reason",
    "RequestError",
    "RulePackError",
    "__version__",
    "decide",
    "parse_request",
]

_LAZY = {
    "decide": "lexdial.api",
    "Decision": "lexdial.domain.decision",
    "DecisionRequest": "lexdial.domain.decision",
    "Reason": "lexdial.domain.decision",
    "parse_request": "lexdial.domain.request_parse",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lexdial' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
