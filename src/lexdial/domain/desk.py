"""The agent desk's rules, pure: which seat state may go where on which action, the pause
reasons an agent may give, what a disposition code and a line request look like (issue 12).

Rule 1: ``next_state(state, action)`` is the whole state machine of the agent's own
actions; the dialler's facts (call assigned, call ended) are ``service.desk_line``'s. An
action not in ``TRANSITIONS`` for the state is refused (None), never coerced.
Rule 2: nobody goes ready or takes another call from on_call (hang up first), and nobody
logs out during a call; whether the last call still lacks a disposition is the service's
check (it needs the store), made before ``ready`` and before a manual call.
Rule 3: a pause has a reason from ``PAUSE_REASONS``; "logging in" is lexdial's own, set at
login while the agent's line is being opened, never chosen by the agent.
Rule 4: disposition codes are short lower-case words (``[a-z][a-z0-9_]{1,39}``) so they
read the same in a report, a CSV and a URL; labels are one printable line. A firm's list
starts from ``DEFAULT_DISPOSITIONS``; ``ASKED_NOT_TO_CALL`` is always on it and cannot be
retired (a verbal revocation must always be recordable).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from lexdial.domain.states import AgentState
from lexdial.errors import RequestError


class DeskAction(StrEnum):
    """What an agent does at the desk."""

    LOGIN = "login"
    READY = "ready"
    PAUSE = "pause"
    LOGOUT = "logout"
    PREVIEW_CALL = "preview_call"  # clicks Call on the offered contact
    PREVIEW_SKIP = "preview_skip"
    CLICK_TO_CALL = "click_to_call"  # a manual call from a contact page


_S = AgentState
_A = DeskAction
#: (state, action) -> the state after it. Calls in progress stay where the dialler put them.
TRANSITIONS: dict[tuple[AgentState, DeskAction], AgentState] = {
    # a seat that is idle may (re)seat itself: a closed browser must not strand an agent
    (_S.LOGGED_OUT, _A.LOGIN): _S.PAUSED,
    (_S.PAUSED, _A.LOGIN): _S.PAUSED,
    (_S.READY, _A.LOGIN): _S.PAUSED,
    (_S.PREVIEW, _A.LOGIN): _S.PAUSED,
    (_S.PAUSED, _A.READY): _S.READY,
    (_S.WRAP_UP, _A.READY): _S.READY,
    (_S.READY, _A.READY): _S.READY,
    (_S.READY, _A.PAUSE): _S.PAUSED,
    (_S.PAUSED, _A.PAUSE): _S.PAUSED,  # another reason
    (_S.PREVIEW, _A.PAUSE): _S.PAUSED,
    (_S.WRAP_UP, _A.PAUSE): _S.PAUSED,  # the disposition is still due before ready
    (_S.READY, _A.LOGOUT): _S.LOGGED_OUT,
    (_S.PAUSED, _A.LOGOUT): _S.LOGGED_OUT,
    (_S.PREVIEW, _A.LOGOUT): _S.LOGGED_OUT,
    (_S.WRAP_UP, _A.LOGOUT): _S.LOGGED_OUT,
    (_S.LOGGED_OUT, _A.LOGOUT): _S.LOGGED_OUT,
    # the dialler gates the click and puts the agent on the call (or back to ready)
    (_S.PREVIEW, _A.PREVIEW_CALL): _S.PREVIEW,
    (_S.PREVIEW, _A.PREVIEW_SKIP): _S.READY,
    (_S.READY, _A.CLICK_TO_CALL): _S.PAUSED,  # no automatic call while the manual one waits
    (_S.PAUSED, _A.CLICK_TO_CALL): _S.PAUSED,
    (_S.WRAP_UP, _A.CLICK_TO_CALL): _S.PAUSED,
}

_WHY_NOT: dict[AgentState, str] = {
    _S.ON_CALL: "the agent is on a call: hang up first",
    _S.LOGGED_OUT: "the agent is not logged in to the desk",
    _S.WRAP_UP: "the agent is in wrap-up",
    _S.PREVIEW: "a contact is offered in preview: call or skip it first",
    _S.READY: "the agent is ready",
    _S.PAUSED: "the agent is paused",
}


def next_state(state: str, action: DeskAction) -> AgentState | None:
    """The seat's state after ``action``, or None when the action is not allowed there."""
    try:
        current = AgentState(state)
    except ValueError:
        return None
    return TRANSITIONS.get((current, action))


def refuse_reason(state: str, action: DeskAction) -> str:
    """One sentence saying why ``action`` is refused in ``state``."""
    try:
        why = _WHY_NOT[AgentState(state)]
    except (ValueError, KeyError):
        why = f"the seat is in an unknown state '{state}'"
    return f"'{action.value}' is not possible now: {why}"


#: lexdial's own pause while the agent's line is being opened at login
LOGGING_IN = "logging in"
#: what an agent may give as the reason of a pause
PAUSE_REASONS: tuple[str, ...] = (
    "break",
    "lunch",
    "meeting",
    "training",
    "technical problem",
    "after-call work",
    "other",
)


def check_pause_reason(reason: str | None) -> str:
    """The reason, trimmed, when it is one of ``PAUSE_REASONS``; else RequestError."""
    value = (reason or "").strip().lower()
    if value not in PAUSE_REASONS:
        raise RequestError("reason", "must be one of: " + ", ".join(PAUSE_REASONS))
    return value


ASKED_NOT_TO_CALL = "asked_not_to_call"
#: code, label, is_callback: a new firm's list
DEFAULT_DISPOSITIONS: tuple[tuple[str, str, bool], ...] = (
    ("reached", "Reached the person", False),
    ("left_message", "Left a message", False),
    ("no_answer", "No answer", False),
    ("wrong_number", "Wrong number", False),
    ("not_interested", "Not interested", False),
    ("callback_requested", "Callback requested", True),
    (ASKED_NOT_TO_CALL, "Asked not to be called", False),
)
_CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")


def check_code(code: str | None, field: str = "code") -> str:
    """A well-formed disposition code, or RequestError naming ``field``."""
    value = (code or "").strip()
    if not _CODE.fullmatch(value):
        raise RequestError(
            field, "must be 2-40 characters: a lower-case letter, then letters, digits or _"
        )
    return value


def check_label(label: str | None) -> str:
    """A disposition label: one printable line of 1-100 characters."""
    value = (label or "").strip()
    if not value or len(value) > 100 or any(not ch.isprintable() for ch in value):
        raise RequestError("label", "must be one printable line of 1-100 characters")
    return value


#: how long an agent's notes may be (characters)
NOTES_MAX = 4000


def check_notes(notes: str | None) -> str | None:
    """Notes trimmed (None when empty), at most ``NOTES_MAX`` characters."""
    value = (notes or "").strip()
    if len(value) > NOTES_MAX:
        raise RequestError("notes", f"must be at most {NOTES_MAX} characters")
    return value or None


def line_request(action: str, target: str | None = None) -> str:
    """The ``agent_sessions.line_request`` text for a hang-up or a transfer."""
    if action == "hangup":
        return "hangup"
    if action in ("warm", "cold") and target:
        return f"transfer:{action}:{target}"
    raise RequestError("target", "a transfer needs a target")


def name_tokens(*texts: str | None) -> list[str]:
    """The words a directory search matches: lower-cased, accents folded, split on anything
    that is not a letter or digit; one-letter words are dropped (too common to mean
    anything, and they would make a blind index guessable)."""
    out: set[str] = set()
    for text in texts:
        if not text:
            continue
        folded = unicodedata.normalize("NFKD", text.casefold())
        plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
        for word in re.split(r"[^\w]+|_", plain):
            if len(word) >= 2:
                out.add(word)
    return sorted(out)
