"""What the agent asks of the line during a call: hang up, transfer (issue 12).

Rule 1: the desk never touches the line: a hang-up or a transfer sets the seat's
``line_request``, which the dialler carries out and clears (``desk_seats`` Rule 5).
Rule 2: only the seat's own call, while on it, can be hung up or transferred; a transfer
goes to another agent of the firm ready on the same campaign ("user:ID") or to a valid
E.164 number.
Rule 3: each request is audited (``desk.hangup_requested``, ``desk.transfer_requested``);
a number may be a person's, so the audit names its kind, never the number.

    hang_up(uow, audit, caller, at) -> DeskSession
    transfer(uow, audit, caller, target, warm, at) -> DeskSession
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lexdial.domain.desk import line_request
from lexdial.domain.states import AgentState
from lexdial.errors import RequestError
from lexdial.service.contacts import normalise
from lexdial.service.desk_session import audit_seat, locked_session, seat_of

if TYPE_CHECKING:
    from datetime import datetime

    from lexdial.service.desk_session import Seat
    from lexdial.service.ports import Audit
    from lexdial.service.repos.desk import DeskSession
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller


def _on_call(uow: UnitOfWork, who: Seat, what: str) -> DeskSession:
    s = locked_session(uow, who)
    if s.state != AgentState.ON_CALL or s.attempt_id is None:
        raise RequestError("state", f"there is no call to {what}")
    return s


def hang_up(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Ask the dialler to hang up the agent's call (``line_request`` "hangup")."""
    who = seat_of(uow, caller)
    s = _on_call(uow, who, "hang up")
    saved = uow.desk.save(replace(s, line_request=line_request("hangup")))
    audit_seat(uow, audit, who, "desk.hangup_requested", at, {"attempt_id": s.attempt_id})
    return saved


def transfer(
    uow: UnitOfWork, audit: Audit, caller: Caller, target: str, warm: bool, at: datetime
) -> DeskSession:
    """Ask the dialler to transfer the call: ``target`` is "user:ID" (another agent of the
    firm, ready on the same campaign) or an E.164 number; warm: the agent speaks to the
    target first."""
    who = seat_of(uow, caller)
    s = _on_call(uow, who, "transfer")
    to, kind = _transfer_target(uow, who, s, (target or "").strip())
    saved = uow.desk.save(replace(s, line_request=line_request("warm" if warm else "cold", to)))
    # a number may be a person's: the audit names its kind, not the number
    audit_seat(
        uow, audit, who, "desk.transfer_requested", at,
        {"attempt_id": s.attempt_id, "warm": bool(warm), "target": to if kind == "agent" else kind},
    )  # fmt: skip
    return saved


def _transfer_target(uow: UnitOfWork, who: Seat, s: DeskSession, target: str) -> tuple[str, str]:
    if target.startswith("user:"):
        raw = target[5:]
        if not raw.isdigit():
            raise RequestError("target", "must be user:ID or an E.164 number")
        other_id = int(raw)
        if other_id == who.user_id:
            raise RequestError("target", "cannot transfer a call to yourself")
        other = uow.desk.session(who.firm_id, other_id)
        if other is None or other.campaign_id != s.campaign_id:
            raise RequestError("target", f"user #{other_id} is not seated on this campaign")
        if other.state != AgentState.READY:
            raise RequestError("target", f"user #{other_id} is not ready ({other.state})")
        return f"user:{other_id}", "agent"
    if not target.startswith("+"):
        raise RequestError("target", "must be user:ID or an E.164 number (+ and digits)")
    try:
        return normalise(target, field="target"), "number"
    except RequestError as e:  # the parser names its own field: the API's is "target"
        raise RequestError("target", "is not a valid, dialable telephone number") from e
