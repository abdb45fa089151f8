"""The one exception tree of lexdial.

Rule 1: a refusal to call is a value (a ``Decision``), never an exception. Exceptions
are for bad input, broken configuration and infrastructure, and each maps to one
CLI exit status / HTTP status in exactly one place (``entrypoints``).

    LexdialError                  base; never raised itself
    ├── RequestError              a decision request is malformed (exit 2 / HTTP 422)
    ├── RulePackError             the rule pack data is inconsistent (exit 3)
    ├── ConfigError               settings file or environment is wrong (exit 3)
    └── PermissionDeniedError          the caller's role may not do this (exit 4 / HTTP 403)
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


__all__ = ["ConfigError", "LexdialError", "PermissionDeniedError", "RequestError", "RulePackError"]
