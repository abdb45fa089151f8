"""What the dialler tells the agent desk: the agent's leg is up or down, a call was handed
to the agent, the call ended (issue 12).

Rule 1: the dialler writes only the line's facts; what the agent does (ready, paused,
disposition) is the desk's (``desk_presence``, ``desk_dispositions``). A call that ends
puts the agent in wrap-up with the call on screen; only a stored disposition makes them
ready again (``desk_presence.ready``).
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


# (for preview) the dialler's offers and the Call clicks it could not dial
def offerable(uow: UnitOfWork, firm_id: int, user_id: int, campaign_id: int) -> DeskSession | None:
    """The seat, locked, when it may be offered a contact now: READY on ``campaign_id``
    with its leg up and nothing offered or asked for; else None."""
    s = uow.desk.session(firm_id, user_id, lock=True)
    if (
        s is None
        or s.campaign_id != campaign_id
        or s.state != AgentState.READY.value
        or not s.leg_up
        or s.preview_contact_id is not None
        or s.dial_contact_id is not None
    ):
        return None
    return s


# (for preview)
def show_offer(uow: UnitOfWork, seat: DeskSession, contact_id: int, at: datetime) -> None:
    """Offer ``contact_id`` on ``seat`` (from ``offerable``): PREVIEW, the contact on screen."""
    uow.desk.save(
        replace(seat, state=AgentState.PREVIEW.value, preview_contact_id=contact_id, since=at,
                reason=None)
    )  # fmt: skip


# (for preview)
def withdraw_offer(uow: UnitOfWork, firm_id: int, user_id: int, contact_id: int) -> None:
    """The dialler no longer holds the offer of ``contact_id`` (a new run): a seat still
    showing it, not yet clicked, goes back to READY for a fresh offer."""
    s = uow.desk.session(firm_id, user_id, lock=True)
    if (
        s is not None
        and s.state == AgentState.PREVIEW.value
        and s.preview_contact_id == contact_id
        and s.dial_contact_id is None
    ):
        uow.desk.save(replace(s, state=AgentState.READY.value, preview_contact_id=None))


# (for preview)
def call_not_placed(
    uow: UnitOfWork,
    firm_id: int,
    user_id: int,
    contact_id: int,
    attempt_id: int | None,
    at: datetime,
) -> None:
    """The agent's Call (preview) or manual call of ``contact_id`` was not put through
    (denied, deferred, outside the schedule, unanswered): the attempt goes on the seat so
    the desk shows what became of it, and the seat goes back to READY (preview) or stays
    PAUSED (manual: the agent paused for it, and says when they are ready again)."""
    s = uow.desk.session(firm_id, user_id, lock=True)
    if s is None or s.dial_contact_id != contact_id:
        return  # the seat moved on (logged out, another request): nothing to undo
    state = AgentState.PAUSED if s.dial_manual else AgentState.READY
    uow.desk.save(
        replace(s, state=state.value, since=at, attempt_id=attempt_id, preview_contact_id=None,
                dial_contact_id=None, dial_manual=False,
                reason=s.reason if state is AgentState.PAUSED else None)
    )  # fmt: skip
