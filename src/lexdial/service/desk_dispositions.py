"""The agent's record of a call: the person's verbal opt-out and the call's disposition
(issue 12).

Rule 1: "asked not to be called" (a verbal revocation, 47 CFR 64.1200(a)(10)) goes through
``service.optout.opt_out`` at once, in the caller's unit of work, for every number of the
person on the call, before anything else can dial; it records the disposition
``asked_not_to_call`` for the call, which no later disposition replaces.
Rule 2: a disposition is a code from the firm's active list, once per call, recorded in
wrap-up or once the call's hang-up is asked; it is what makes the seat ready again
(``desk_presence.ready``).
Rule 3: notes are encrypted (context ``call_dispositions.notes``) and never audited or
logged; each record is audited (``desk.verbal_opt_out``, ``desk.disposition``).

    verbal_opt_out(uow, cipher, audit, caller, at, *, notes=None) -> OptOutResult
    record_disposition(uow, cipher, audit, caller, code, notes, at) -> CallDisposition
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lexdial.domain.desk import ASKED_NOT_TO_CALL, check_code, check_notes
from lexdial.domain.states import AgentState
from lexdial.errors import NotFoundError, RequestError
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.desk_session import audit_seat, locked_session, seat_attempt, seat_of
from lexdial.service.dispositions import active_code, firm_codes
from lexdial.service.optout import opt_out
from lexdial.service.repos.desk import CallDisposition

if TYPE_CHECKING:
    from datetime import datetime

    from lexdial.service.optout import OptOutResult
    from lexdial.service.ports import Audit, Cipher
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller

#: the opt-out channel of a revocation said during a call ("saying so during a call")
VERBAL_CHANNEL = "voice"
NOTES_CTX = "call_dispositions.notes"


def verbal_opt_out(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    caller: Caller,
    at: datetime,
    *,
    notes: str | None = None,
) -> OptOutResult:
    """The person on the agent's call (or the call in wrap-up) asked not to be called: opt
    out every number of theirs now, in this unit of work (Rule 1); idempotent. The line is
    not hung up: the agent decides. Returns the opt-out of the number called."""
    who = seat_of(uow, caller)
    s = locked_session(uow, who)
    if s.attempt_id is None or s.state not in (AgentState.ON_CALL, AgentState.WRAP_UP):
        raise RequestError("state", "there is no call whose person could have asked that")
    text = check_notes(notes)
    attempt = seat_attempt(uow, who, s.attempt_id)
    numbers = uow.views.contact_numbers(who.firm_id, attempt.contact_id)
    # the number called first: its result is the answer; then the person's other numbers
    numbers.sort(key=lambda n: n.number_bidx != attempt.number_bidx)
    results = [
        opt_out(
            uow, cipher, audit, who.firm_id, cipher.decrypt(n.number_enc, context=NUMBER_CTX),
            VERBAL_CHANNEL, f"asked the agent on call #{s.attempt_id}", caller, at,
        )
        for n in numbers
    ]  # fmt: skip
    if not results:  # the contact was erased meanwhile: nothing left to call
        raise NotFoundError("attempt", f"the person of call #{s.attempt_id} has no number on file")
    firm_codes(uow, who.firm_id)
    if uow.desk.disposition(s.attempt_id) is None:
        uow.desk.add_disposition(
            CallDisposition(
                s.attempt_id, who.firm_id, who.user_id, ASKED_NOT_TO_CALL,
                cipher.encrypt(text, context=NOTES_CTX) if text else None, None, at,
            )
        )  # fmt: skip
    audit_seat(
        uow, audit, who, "desk.verbal_opt_out", at,
        {"attempt_id": s.attempt_id, "contact": attempt.contact_id, "numbers": len(results),
         "dnc_entry": results[0].dnc_entry_id},
    )  # fmt: skip
    return results[0]


def record_disposition(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    caller: Caller,
    code: str,
    notes: str | None,
    at: datetime,
) -> CallDisposition:
    """Record the disposition of the seat's last call (in wrap-up, or on the call once its
    hang-up is asked): a code from the firm's active list, notes encrypted; once per call
    (a second one is refused, so the ``asked_not_to_call`` a verbal opt-out recorded
    stands)."""
    who = seat_of(uow, caller)
    value = check_code(code)
    text = check_notes(notes)
    s = locked_session(uow, who)
    if s.attempt_id is None:
        raise RequestError("attempt", "there is no call to record a disposition for")
    done = uow.desk.disposition(s.attempt_id)
    if done is not None:
        raise RequestError(
            "code", f"call #{s.attempt_id} already has its disposition ({done.code})"
        )
    if s.state == AgentState.ON_CALL and s.line_request != "hangup":
        raise RequestError("state", "the call is still on: hang up first, then record it")
    active_code(uow, who.firm_id, value)
    d = CallDisposition(
        s.attempt_id, who.firm_id, who.user_id, value,
        cipher.encrypt(text, context=NOTES_CTX) if text else None, None, at,
    )  # fmt: skip
    uow.desk.add_disposition(d)
    uow.desk.save(s)  # the version moves: a polling desk sees the disposition is in
    audit_seat(
        uow, audit, who, "desk.disposition", at,
        {"attempt_id": s.attempt_id, "code": value, "notes": text is not None},
    )  # fmt: skip
    return d
