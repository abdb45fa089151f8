"""The dial-time gate: the only door to a telephony adapter.

Rule 1: in ONE transaction it locks the contact's row, builds the v1 decision request
from the database for (contact, campaign, at), asks the engine, and records the attempt
with its decision and an audit entry — before anything is dialled. An opt-out takes the
same lock, so a gate decision made after an opt-out committed always sees it.
Rule 2: the request is built as contract-v1 JSON and validated like any other, so a
what-if check (`lexdial decide`) and a real dial can never disagree; the stored decision
carries the request digest it was made from. The request itself is built in
``gate_request``; this module is the use case around it: lock, build, decide, record, audit.
Rule 3: a caller that knows at once what an allowed attempt becomes (the dialler: dialled,
or rescheduled outside its campaign's schedule) says so with ``settle``, and the attempt
is recorded with that status in its one INSERT instead of "allowed" then an UPDATE in the
same transaction (one statement less per dialled call: a round trip on PostgreSQL). Denied
and deferred attempts keep their verdict's status.
Rule 4: the attempt keeps the request it was judged on, its canonical text encrypted
(``REQUEST_CTX``: it holds the number, the address, the consents), so the stored decision
can be shown with its facts and decided again (``lexdial decide``), and its SHA-256 is the
decision's ``input_digest``. Erasure blanks it; key rotation re-encrypts it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lexdial.domain.decision import Decision
from lexdial.domain.digest import request_text
from lexdial.domain.request_fast import read_request
from lexdial.domain.states import AttemptStatus
from lexdial.rules.engine import Engine
from lexdial.service.gate_request import CallPlan, build_request
from lexdial.service.ports import Audit, Cipher, Registry
from lexdial.service.repos.calls import NewAttempt
from lexdial.service.users import SYSTEM, Caller, authorize

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: the encryption context of an attempt's request (``call_attempts.request_enc``)
REQUEST_CTX = "call_attempts.request"

#: ``CallPlan`` is the gate's input as much as ``gate_request``'s: callers import it here
__all__ = ["CallPlan", "GateResult", "gate"]

_STATUS = {
    "allow": AttemptStatus.ALLOWED,
    "deny": AttemptStatus.DENIED,
    "defer": AttemptStatus.DEFERRED,
}


@dataclass(frozen=True, slots=True)
class GateResult:
    """The recorded attempt and its decision (allowed or not: a refusal is a value)."""

    attempt_id: int
    decision: Decision
    #: the E.164 number judged (personal data: for the dialer's use, never logged)
    number: str = ""


def gate(
    uow: UnitOfWork,
    engine: Engine,
    cipher: Cipher,
    audit: Audit,
    registry: Registry,
    *,
    firm_id: int,
    contact_id: int,
    at: datetime,
    campaign_id: int | None = None,
    plan: CallPlan | None = None,
    caller: Caller = SYSTEM,
    settle: Callable[[Decision], AttemptStatus] | None = None,
) -> GateResult:
    """Decide and record one attempt for ``contact_id`` at ``at`` (see module rules);
    ``settle``: the status an allowed attempt is recorded with (rule 3)."""
    actor = authorize(uow, caller, "decision.write", firm_id)
    at = at.astimezone(UTC)  # SQLite keeps no offset: every stored instant is UTC
    uow.contacts.lock(contact_id)
    raw, bidx, plan = build_request(
        uow,
        cipher,
        registry,
        firm_id=firm_id,
        contact_id=contact_id,
        at=at,
        campaign_id=campaign_id,
        plan=plan,
    )
    # one canonical serialisation serves the digest and the parse: ``read_request`` gives
    # exactly ``parse_request(raw)`` (``request_fast``), in about half its CPU
    text = request_text(raw)
    decision = engine.decide(read_request(text)[1], digest=hashlib.sha256(text).hexdigest())
    status = _STATUS[decision.verdict]
    if settle is not None and decision.verdict == "allow":
        status = settle(decision)  # rule 3
    attempt_id = uow.attempts.record(
        NewAttempt(
            firm_id=firm_id,
            contact_id=contact_id,
            campaign_id=campaign_id,
            number_bidx=bidx,
            at=at,
            purpose=plan.purpose,
            technology=plan.technology,
            subject=plan.subject,
            debt_ref=plan.debt_id,
            status=status,
            decision_id=decision.decision_id,
            verdict=decision.verdict,
            earliest_allowed_at=decision.earliest_allowed_at,
            rulepack=decision.rulepack,
            decision=decision.to_json(),
            created_at=at,
            request_enc=cipher.encrypt(text.decode("utf-8"), context=REQUEST_CTX),  # rule 4
        )
    )
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="decision.recorded",
        subject=f"attempt:{attempt_id}",
        data={
            "contact": contact_id,
            "campaign": campaign_id,
            "verdict": decision.verdict,
            "codes": list(decision.codes),
            "decision_id": decision.decision_id,
            "rulepack": decision.rulepack,
            "input_digest": decision.input_digest,
        },
    )
    return GateResult(int(attempt_id), decision, str(raw["number"]))
