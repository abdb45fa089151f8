"""The one exception tree of lexdial.

Rule 1: a refusal to call is a value (a ``Decision``), never an exception. Exceptions
are for bad input, broken configuration and infrastructure, and each maps to one
CLI exit status / HTTP status in exactly one place (``entrypoints``).

    LexdialError                  base; never raised itself
    ├── RequestError              a decision request is malformed (exit 2 / HTTP 422)
    ├── RulePackError             the rule pack data is inconsistent (exit 3)
    ├── ConfigError               settings file or environment is wrong (exit 3)
    ├── PermissionDeniedError     the caller's role may not do this (exit 4 / HTTP 403)
    ├── CampaignError             a campaign cannot do that now, or fails its lint (exit 5 / 409)
    ├── CallStateError            a carrier reported an event the call flow forbids (a bug)
    └── TelephonyError            the carrier or its process failed (exit 6 / HTTP 502)
"""

from __future__ import annotations


class LexdialError(Exception):
    """Base of every error lexdial raises on purpose."""

    exit_code = 1
    http_status = 500


class RequestError(LexdialError):
    """A request is invalid; ``field`` is the dotted path of the offending field.

    The message never repeats the offending value when it may be personal data
    (numbers, names); it names the field and what was expected.
    """

    exit_code = 2
    http_status = 422

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class RulePackError(LexdialError):
    """The rule pack files are malformed or contradict themselves."""

    exit_code = 3


class ConfigError(LexdialError):
    """The settings file or environment cannot be used."""

    exit_code = 3


class PermissionDeniedError(LexdialError):
    """The acting user's role (or missing training) does not allow the action."""

    exit_code = 4
    http_status = 403


class CampaignError(LexdialError):
    """A campaign cannot do what was asked: wrong state, or its script/config fails lint.

    ``problems`` lists every failing item (field and why), so a user fixes them at once.
    """

    exit_code = 5
    http_status = 409

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        self.problems = problems
        text = message if not problems else message + "\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(text)


class CallStateError(LexdialError):
    """An event arrived that the call's transition table does not allow; nothing changed."""

    def __init__(self, call_id: str, state: str, event: str, why: str) -> None:
        self.call_id, self.state, self.event = call_id, state, event
        super().__init__(f"call {call_id}: event {event!r} in state {state!r}: {why}")


class TelephonyError(LexdialError):
    """The carrier, its process or its control connection failed."""

    exit_code = 6
    http_status = 502


__all__ = [
    "CallStateError",
    "CampaignError",
    "ConfigError",
    "LexdialError",
    "PermissionDeniedError",
    "RequestError",
    "RulePackError",
    "TelephonyError",
]
