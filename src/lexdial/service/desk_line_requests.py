"""What the agent asks of the line during a call: hang up, transfer (issue 12).

Rule 1: the desk never touches the line: a hang-up or a transfer sets the seat's
``line_request``, which the dialler carries out and clears (``desk_seats`` Rule 5).
Rule 2: only the seat's own call, while on it, can be hung up or transferred; a transfer
goes to another agent of the firm ready on the same campaign ("user:ID") or to a number
on the firm's list (``[desk] transfer_numbers``, given as ``allowed``; empty by default).
Rule 3: a transfer to a number makes the firm's trunk ring it with no gate decision, so
even a listed number is refused while it is on the firm's do-not-call list, erased, or
one of the firm's contacts' (a person, not a firm line).
Rule 4: each request is audited (``desk.hangup_requested``, ``desk.transfer_requested``);
a transfer's entry names its target: an agent, or a listed firm line (never a person's
number, by Rule 3).
Rule 5: Rule 3's records are read again when the dialler carries a transfer to a number
out (``transfer_refusal``, on the dialler's own store thread): a do-not-call entry, an
erasure or a contact recorded between the agent's click and the dial stops it, refused
and audited (``desk.transfer_refused``), like the gate's read after the contact's lock.

    hang_up(uow, audit, caller, at) -> DeskSession
    transfer(uow, cipher, audit, caller, target, warm, at, allowed=...) -> DeskSession
    transfer_refusal(uow, cipher, audit, firm_id, user_id, target, at) -> str | None
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lexdial.domain.desk import line_request
from lexdial.domain.states import AgentState
from lexdial.errors import RequestError
from lexdial.service.contacts import find_contact_id, normalise, number_index
from lexdial.service.desk_session import audit_seat, locked_session, seat_of
from lexdial.service.users import SYSTEM

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from lexdial.service.desk_session import Seat
    from lexdial.service.ports import Audit, Cipher
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


#: the setting that lists the numbers a call may be transferred to (``config.desk``)
SETTING = "[desk] transfer_numbers in lexdial.toml"


def transfer(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    caller: Caller,
    target: str,
    warm: bool,
    at: datetime,
    *,
    allowed: Collection[str],
) -> DeskSession:
    """Ask the dialler to transfer the call: ``target`` is "user:ID" (another agent of the
    firm, ready on the same campaign) or a number in ``allowed`` (E.164, the firm's list:
    Rules 2 and 3); warm: the agent speaks to the target first."""
    who = seat_of(uow, caller)
    s = _on_call(uow, who, "transfer")
    written = (target or "").strip()
    if written.startswith("user:"):
        to = _agent_target(uow, who, s, written)
    else:
        to = _number_target(uow, cipher, who.firm_id, written, allowed)
    saved = uow.desk.save(replace(s, line_request=line_request("warm" if warm else "cold", to)))
    # Rule 4: a number reaching here is a listed firm line, not a person's: naming it is
    # what tells the firm later where its trunk sent the call
    audit_seat(
        uow, audit, who, "desk.transfer_requested", at,
        {"attempt_id": s.attempt_id, "warm": bool(warm), "target": to},
    )  # fmt: skip
    return saved


def _agent_target(uow: UnitOfWork, who: Seat, s: DeskSession, target: str) -> str:
    raw = target[5:]
    # ASCII digits of an id a table can hold: "user:²" or twenty digits name the field,
    # they do not fail in int() or in the store
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > 2**31 - 1:
        raise RequestError("target", "must be user:ID or an E.164 number")
    other_id = int(raw)
    if other_id == who.user_id:
        raise RequestError("target", "cannot transfer a call to yourself")
    other = uow.desk.session(who.firm_id, other_id)
    if other is None or other.campaign_id != s.campaign_id:
        raise RequestError("target", f"user #{other_id} is not seated on this campaign")
    if other.state != AgentState.READY:
        raise RequestError("target", f"user #{other_id} is not ready ({other.state})")
    return f"user:{other_id}"


def _number_target(
    uow: UnitOfWork, cipher: Cipher, firm_id: int, target: str, allowed: Collection[str]
) -> str:
    if not target.startswith("+"):
        raise RequestError("target", "must be user:ID or an E.164 number (+ and digits)")
    try:
        e164 = normalise(target, field="target")
    except RequestError as e:  # the parser names its own field: the API's is "target"
        raise RequestError("target", "is not a valid, dialable telephone number") from e
    if e164 not in allowed:
        raise RequestError(
            "target",
            "is not one of the firm's transfer numbers: a call goes only to another agent "
            f"(user:ID) or to a number the firm lists in {SETTING}",
        )
    refusal = _records_refusal(uow, cipher, firm_id, e164)
    if refusal is not None:
        raise RequestError("target", refusal)
    return e164


def _records_refusal(uow: UnitOfWork, cipher: Cipher, firm_id: int, e164: str) -> str | None:
    """Why the records forbid ringing ``e164`` for the firm now, or None (Rule 3)."""
    # the list is the firm's word that a number is its own line, but it is typed by hand
    # and may be stale; the records say whether a person is behind the number now.
    # Ringing a person's number for the firm with no gate decision is the very call the
    # gate exists to stop, so the records win over the list.
    bidx = number_index(cipher, e164)
    if uow.suppression.first_dnc_entry(firm_id, bidx) is not None:
        return "is on the firm's do-not-call list: it cannot be rung"
    if find_contact_id(uow, firm_id, bidx) is not None or uow.suppression.erased(firm_id, bidx):
        return f"is a person's number on the firm's records, not a firm line ({SETTING})"
    return None


def transfer_refusal(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    user_id: int,
    target: str,
    at: datetime,
) -> str | None:
    """Rule 5: why a transfer to ``target`` must not be placed now (audited), or None. An
    agent target ("user:ID") is the dialler's to check; a number's records are read again."""
    if target.startswith("user:"):
        return None
    # only ``transfer`` writes line requests, and it writes agents and E.164 numbers only
    refusal = (
        _records_refusal(uow, cipher, firm_id, target)
        if target.startswith("+") and target[1:].isdigit()
        else "is neither an agent nor an E.164 number"
    )
    if refusal is not None:
        # the number is not named: the records now say a person may be behind it
        audit.record(
            uow, at=at, actor=SYSTEM.label, action="desk.transfer_refused",
            subject=f"user:{user_id}", data={"reason": f"target {refusal}"},
        )  # fmt: skip
    return refusal
