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
