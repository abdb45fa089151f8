"""The caller's seat at the agent desk and the frame every desk use case runs in (issue 12).

Rule 1: agents, managers and admins of a firm may sit at the desk; everyone acts on their
own seat only (the caller's user id picks it: there is no parameter naming another seat).
Rule 2: states move only as ``domain.desk.TRANSITIONS`` allows (an illegal move raises and
changes nothing); a seat's last call without a disposition is "due" until one is stored.
Rule 3: every change is audited with the seat's user as subject (``audit_seat``).

    desk_state(uow, caller) -> DeskSession | None
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lexdial.domain.desk import DeskAction, next_state, refuse_reason
from lexdial.domain.states import AgentState
from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError

if TYPE_CHECKING:
    from datetime import datetime

    from lexdial.service.ports import Audit
    from lexdial.service.repos.calls import NewAttempt
    from lexdial.service.repos.desk import DeskSession
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller

#: who may sit at the desk
DESK_ROLES = frozenset({"agent", "manager", "admin"})


@dataclass(frozen=True, slots=True)
class Seat:
    """Who is at the desk: their firm, user id, audit label and role."""

    firm_id: int
    user_id: int
    actor: str
    role: str


def seat_of(uow: UnitOfWork, caller: Caller) -> Seat:
    """The caller as a desk user (Rule 1), or PermissionDeniedError."""
    if caller.user_id is None:
        raise PermissionDeniedError("the agent desk is for signed-in users")
    role = uow.users.active_role(caller.user_id)
    if role not in DESK_ROLES:
        raise PermissionDeniedError(f"a caller with role '{role}' may not sit at the agent desk")
    firm = uow.users.firm_of(caller.user_id)
    if firm is None:
        raise PermissionDeniedError(f"no active user #{caller.user_id}")
    return Seat(firm, caller.user_id, caller.label, role)


def desk_state(uow: UnitOfWork, caller: Caller) -> DeskSession | None:
    """The caller's seat (with its ``version`` for cheap polling); None: never seated."""
    who = seat_of(uow, caller)
    return uow.desk.session(who.firm_id, who.user_id)


def locked_session(uow: UnitOfWork, who: Seat) -> DeskSession:
    """The seat under its row lock, or RequestError when it is not logged in."""
    s = uow.desk.session(who.firm_id, who.user_id, lock=True)
    if s is None or s.state == AgentState.LOGGED_OUT:
        raise RequestError("state", "log in to the desk first (choose a campaign)")
    return s


def move(s: DeskSession, action: DeskAction) -> AgentState:
    """The state ``action`` leads to from the seat's, or RequestError saying why not."""
    new = next_state(s.state, action)
    if new is None:
        raise RequestError("state", refuse_reason(s.state, action))
    return new


def audit_seat(
    uow: UnitOfWork, audit: Audit, who: Seat, action: str, at: datetime, data: dict[str, Any]
) -> None:
    """Append the audit entry of a desk action, in the caller's unit of work (Rule 3)."""
    audit.record(
        uow, at=at, actor=who.actor, action=action, subject=f"user:{who.user_id}", data=data
    )


def disposition_due(uow: UnitOfWork, s: DeskSession) -> int | None:
    """The attempt id of the seat's last call when it still lacks a disposition."""
    if s.attempt_id is None or uow.desk.disposition(s.attempt_id) is not None:
        return None
    return s.attempt_id


def require_disposition(uow: UnitOfWork, s: DeskSession) -> None:
    """RequestError (field "disposition") while the seat's last call has none (Rule 2)."""
    due = disposition_due(uow, s)
    if due is not None:
        raise RequestError("disposition", f"record a disposition for call #{due} first")


def seat_attempt(uow: UnitOfWork, who: Seat, attempt_id: int) -> NewAttempt:
    """The stored attempt of the seat's call, as the gate recorded it."""
    a = uow.attempts.stored_attempt(attempt_id)
    if a is None or a.firm_id != who.firm_id:  # pragma: no cover - the seat's own attempt
        raise NotFoundError("attempt", f"no call #{attempt_id}")
    return a
