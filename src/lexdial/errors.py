"""The one exception tree of lexdial.

Rule 1: a refusal to call is a value (a ``Decision``), never an exception. Exceptions
are for bad input, broken configuration and infrastructure, and each maps to one
CLI exit status / HTTP status in exactly one place per face: ``entrypoints/cli.py``
(``main``: exit status and one stderr line), ``entrypoints/api/errors.py`` (the JSON
shape ``{"error": {"type", "code", "message", "field"?, "problems"?}}``) and
``entrypoints/api/web_common.py`` (the HTML error page). Every class says its own exit
status, HTTP status and stable ``code``; the mappers only read them.

    LexdialError                  base; never raised itself (exit 1 / HTTP 500)
    ├── RequestError              a request is malformed; names the field (exit 2 / HTTP 422)
    │   ├── NotFoundError         the contact, campaign, user... named does not exist here
    │   │                         (exit 7 / HTTP 404)
    │   └── UploadTooLargeError   an uploaded file is over the limit (exit 2 / HTTP 413)
    ├── RulePackError             the rule pack data is inconsistent (exit 3)
    ├── ConfigError               settings file or environment is wrong (exit 3)
    ├── PermissionDeniedError     the caller's role may not do this (exit 4 / HTTP 403)
    ├── CampaignError             a campaign cannot do that now, or fails its lint (exit 5 / 409)
    ├── CheckpointMismatchError   the audit chain lost a signed checkpoint's head (exit 5)
    ├── AuditBrokenError          the audit trail fails verification (exit 5)
    ├── AuditConflictError        an audit append lost a race to another append (exit 1)
    ├── CryptoError               a token does not decrypt: tampered, unknown key (exit 1)
    ├── CallStateError            a carrier reported an event the call flow forbids (a bug)
    └── TelephonyError            the carrier or its process failed (exit 6 / HTTP 502)

Anything else reaching a face is a bug: the CLI prints one line and where the details
were logged (exit 1), the API answers 500 in the same JSON shape.
"""

from __future__ import annotations


class LexdialError(Exception):
    """Base of every error lexdial raises on purpose."""

    exit_code = 1
    http_status = 500
    #: a stable, machine-readable name for the JSON error (``error.code``)
    code = "internal_error"


class RequestError(LexdialError):
    """A request is invalid; ``field`` is the dotted path of the offending field.

    The message never repeats the offending value when it may be personal data
    (numbers, names); it names the field and what was expected.
    """

    exit_code = 2
    http_status = 422
    code = "invalid_request"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class NotFoundError(RequestError):
    """The contact, campaign, user, token or record named does not exist (in this firm).

    A ``RequestError`` (it names the field that named the missing thing), so code that
    catches bad input catches it too; its own exit status and HTTP 404 tell them apart.
    """

    exit_code = 7
    http_status = 404
    code = "not_found"


class UploadTooLargeError(RequestError):
    """The file is over the upload limit (413, so a client knows retrying will not help)."""

    http_status = 413
    code = "upload_too_large"


class RulePackError(LexdialError):
    """The rule pack files are malformed or contradict themselves."""

    exit_code = 3
    code = "rule_pack_invalid"


class ConfigError(LexdialError):
    """The settings file or environment cannot be used."""

    exit_code = 3
    code = "config_invalid"


class PermissionDeniedError(LexdialError):
    """The acting user's role (or missing training) does not allow the action."""

    exit_code = 4
    http_status = 403
    code = "permission_denied"


class CampaignError(LexdialError):
    """A campaign cannot do what was asked: wrong state, or its script/config fails lint.

    ``problems`` lists every failing item (field and why), so a user fixes them at once.
    """

    exit_code = 5
    http_status = 409
    code = "campaign_refused"

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        self.problems = problems
        text = message if not problems else message + "\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(text)


class CheckpointMismatchError(LexdialError):
    """The chain no longer holds the head of the last signed checkpoint: nothing is signed."""

    exit_code = 5
    code = "checkpoint_mismatch"


class AuditBrokenError(LexdialError):
    """The audit trail fails verification: an entry edited, deleted or reordered, or a
    checkpoint file tampered with (what failed is reported before this is raised)."""

    exit_code = 5
    code = "audit_broken"


class AuditConflictError(LexdialError):
    """An appended entry does not extend the log's head (another append came first)."""

    code = "audit_conflict"


class CryptoError(LexdialError):
    """A token cannot be decrypted: malformed, tampered, another context or unknown key."""

    code = "crypto_error"


class CallStateError(LexdialError):
    """An event arrived that the call's transition table does not allow; nothing changed."""

    code = "call_state_error"

    def __init__(self, call_id: str, state: str, event: str, why: str) -> None:
        self.call_id, self.state, self.event = call_id, state, event
        super().__init__(f"call {call_id}: event {event!r} in state {state!r}: {why}")


class TelephonyError(LexdialError):
    """The carrier, its process or its control connection failed."""

    exit_code = 6
    http_status = 502
    code = "telephony_error"


__all__ = [
    "AuditBrokenError",
    "AuditConflictError",
    "CallStateError",
    "CampaignError",
    "CheckpointMismatchError",
    "ConfigError",
    "CryptoError",
    "LexdialError",
    "NotFoundError",
    "PermissionDeniedError",
    "RequestError",
    "RulePackError",
    "TelephonyError",
    "UploadTooLargeError",
]
