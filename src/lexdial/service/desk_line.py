"""What the dialler tells the agent desk: the agent's leg is up or down, a call was handed
to the agent, the call ended (issue 12).

Rule 1: the dialler writes only the line's facts; what the agent does (ready, paused,
disposition) is ``agent_desk``'s. A call that ends puts the agent in wrap-up with the call
on screen; only a stored disposition makes them ready again (``agent_desk``).
Rule 2: each write is one small read-modify-write of the seat under its row lock, in the
dialler's own unit of work, audited where it changes who hears whom.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from lexdial.domain.states import AgentState
from lexdial.service.users import SYSTEM

if TYPE_CHECKING:
    from lexdial.service.ports import Audit
    from lexdial.service.repos.desk import DeskSession
    from lexdial.service.storage import UnitOfWork


def seats(uow: UnitOfWork, firm_id: int, campaign_id: int) -> list[DeskSession]:
    """The campaign's seats, as the dialler reads them on every turn."""
    return uow.desk.for_campaign(firm_id, campaign_id)


def leg_changed(uow: UnitOfWork, firm_id: int, user_id: int, up: bool) -> None:
    """The agent's nailed-up leg opened (``up``) or closed."""
    s = uow.desk.session(firm_id, user_id, lock=True)
    if s is not None and s.leg_up != up:
        uow.desk.save(replace(s, leg_up=up))


def call_assigned(
    uow: UnitOfWork, audit: Audit, firm_id: int, user_id: int, attempt_id: int, at: datetime
) -> None:
    """The dialler handed ``attempt_id`` to the agent: on call, the screen pops."""
    s = uow.desk.session(firm_id, user_id, lock=True)
    if s is None:
        return
    uow.desk.save(
        replace(s, state=AgentState.ON_CALL.value, attempt_id=attempt_id, since=at,
                preview_contact_id=None, dial_contact_id=None, reason=None)
    )  # fmt: skip
    audit.record(
        uow, at=at, actor=SYSTEM.label, action="desk.call_assigned", subject=f"user:{user_id}",
        data={"attempt_id": attempt_id, "campaign_id": s.campaign_id},
    )  # fmt: skip


def call_ended(uow: UnitOfWork, firm_id: int, user_id: int, attempt_id: int, at: datetime) -> None:
    """The agent's call ended: wrap-up, the call still on screen for its disposition."""
    s = uow.desk.session(firm_id, user_id, lock=True)
    if s is None or s.attempt_id != attempt_id or s.state != AgentState.ON_CALL.value:
        return  # the seat moved on (logged out, another call): nothing to undo
    uow.desk.save(replace(s, state=AgentState.WRAP_UP.value, since=at))


# (for dialer)
def clear_line_request(uow: UnitOfWork, firm_id: int, user_id: int, request: str) -> None:
    """The dialler carried out (or could not carry out) ``request``: clear it, unless the
    agent has asked for something else since."""
    s = uow.desk.session(firm_id, user_id, lock=True)
    if s is not None and s.line_request == request:
        uow.desk.save(replace(s, line_request=None))
