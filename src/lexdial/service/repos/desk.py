"""Repository port for the agent desk: each agent's seat (session), the firm's disposition
list and the dispositions agents record (issue 12).

The dialler and the desk meet here: the desk writes what the agent does (ready, paused,
Call clicked, disposition), the dialler writes what the line does (leg up, call assigned,
call ended) and reads the seats of its campaign on every turn. ``version`` grows with every
change so a desk page can poll cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DeskSession:
    """One agent's seat on the desk (at most one per user)."""

    user_id: int
    firm_id: int
    #: the campaign the agent chose (None: logged in, not seated on a campaign)
    campaign_id: int | None
    #: a ``domain.states.AgentState`` value
    state: str
    #: why paused (the agent's choice from the firm's list); None otherwise
    reason: str | None
    since: datetime
    #: the call on the agent's screen (on_call, wrap_up), or the attempt of a preview click
    attempt_id: int | None = None
    #: preview mode: the contact offered to the agent
    preview_contact_id: int | None = None
    #: preview / manual click-to-call: the contact the agent asked to call, not yet dialled
    dial_contact_id: int | None = None
    #: the dialler reports the agent's nailed-up leg open (their phone / softphone is on)
    leg_up: bool = False
    #: which endpoint the agent uses for this session (an ``agent_endpoints.id``; None:
    #: the simulated carrier, which needs none)
    endpoint_id: int | None = None
    version: int = 0
    #: a request from the desk to the line that the dialler carries out and clears:
    #: "hangup", "transfer:warm:TARGET", "transfer:cold:TARGET" (TARGET "user:ID" or E.164)
    line_request: str | None = None
    #: ``dial_contact_id`` is a manual click-to-call from a contact page, not a preview click
    dial_manual: bool = False


@dataclass(frozen=True, slots=True)
class DispositionCode:
    """One entry of a firm's disposition list (firm-editable; retired, never deleted, so old
    dispositions keep their meaning)."""

    firm_id: int
    code: str
    label: str
    #: choosing it asks for a callback time
    is_callback: bool = False
    active: bool = True
    sort_order: int = 0


@dataclass(frozen=True, slots=True)
class CallDisposition:
    """What the agent recorded for one call attempt (at most one per attempt)."""

    attempt_id: int
    firm_id: int
    user_id: int
    code: str
    #: the agent's notes, encrypted with context ``call_dispositions.notes`` (None: no notes)
    notes_enc: str | None
    callback_at: datetime | None
    created_at: datetime


class DeskRepository(Protocol):
    """Agent seats. Services read-modify-write a session under ``lock=True``."""

    def session(self, firm_id: int, user_id: int, *, lock: bool = False) -> DeskSession | None:
        """The user's seat in this firm (None: never logged in to the desk)."""
        ...

    def save(self, session: DeskSession) -> DeskSession:
        """Insert or replace the user's seat; returns it with ``version`` bumped."""
        ...

    def for_campaign(self, firm_id: int, campaign_id: int) -> list[DeskSession]:
        """Every seat on the campaign that is not logged out, by user id."""
        ...

    # (for desk) the firm's disposition list and the dispositions recorded

    def disposition_codes(self, firm_id: int) -> list[DispositionCode]:
        """The firm's whole list (active and retired), by sort order then code."""
        ...

    def add_disposition_code(self, code: DispositionCode) -> None:
        """Add a code; the caller checked it is new for the firm."""
        ...

    def set_disposition_code_active(self, firm_id: int, code: str, active: bool) -> bool:
        """Retire or restore a code; False when the firm has no such code."""
        ...

    def disposition(self, attempt_id: int) -> CallDisposition | None:
        """The disposition of one attempt, if recorded."""
        ...

    def add_disposition(self, disposition: CallDisposition) -> None:
        """Store the attempt's disposition; the caller checked there is none yet."""
        ...

    def set_disposition_callback(self, attempt_id: int, callback_at: datetime) -> None:
        """Note on the attempt's disposition the callback that was scheduled."""
        ...

    def forget_attempts(self, attempt_ids: list[int]) -> None:
        """Retention purges these attempts: delete their dispositions, and clear them from
        any seat that still shows one."""
        ...

    # (for desk) the contact directory's name tokens (blind indexes of name/matter words)

    def set_name_tokens(self, firm_id: int, contact_id: int, tokens: list[str]) -> None:
        """Replace the contact's tokens (an empty list removes them: erasure)."""
        ...

    def add_name_tokens_many(self, rows: list[tuple[int, int, list[str]]]) -> None:
        """Add the tokens of new contacts in one batch: (firm id, contact id, tokens)."""
        ...

    def contacts_with_tokens(self, firm_id: int, tokens: list[str], limit: int) -> list[int]:
        """Ids of the firm's contacts holding every one of ``tokens``, ascending."""
        ...

    def tokened_contacts(self, firm_id: int) -> set[int]:
        """Ids of the firm's contacts that hold at least one token (the backfill skips them)."""
        ...
