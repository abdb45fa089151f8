"""lexdial: a compliance-first auto dialer for law firms.

The public API is the decision contract v1: ``decide(request) -> Decision``.
"""

from __future__ import annotations

from lexdial.api import decide
from lexdial.domain.decision import Decision, DecisionRequest, Reason
from lexdial.domain.request_parse import parse_request
from lexdial.errors import ConfigError, LexdialError, RequestError, RulePackError

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
