"""The desk's screen for the seat's call or preview: the person, the gate's decision, the
script and disclosures, the disposition (issue 12).

Rule 1: a read only, for the caller's own seat: nothing is changed or audited.
Rule 2: for a call (on it or in wrap-up) the decision shown is the one the gate stored
(``recorded: True``); for a contact offered in preview it is a dry run of the same request
builder and engine now, labelled ``recorded: False`` (the gate runs again, recorded, at the
Call click); a request that cannot be built is shown as its error, never guessed.
Rule 3: the person's numbers are shown as the caller's role may see them (``desk_card``);
the disclosures come with any call or preview (``desk_disclosures``).

    screen_pop(uow, engine, cipher, registry, caller, at) -> ScreenPop
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from lexdial.domain.digest import request_digest
from lexdial.domain.request_parse import parse_request
from lexdial.domain.states import AgentState
from lexdial.errors import RequestError
from lexdial.service.desk_card import contact_card
from lexdial.service.desk_disclosures import disclosures
from lexdial.service.desk_session import disposition_due, seat_attempt, seat_of
from lexdial.service.gate_request import CallPlan, build_request

if TYPE_CHECKING:
    from datetime import datetime

    from lexdial.rules.engine import Engine
    from lexdial.service.desk_session import Seat
    from lexdial.service.ports import Cipher, Registry
    from lexdial.service.repos.calls import NewAttempt
    from lexdial.service.repos.desk import DeskSession
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller


@dataclass(frozen=True, slots=True)
class ScreenPop:
    """What the desk shows for the seat's call or preview (see ``screen_pop``)."""

    state: str
    reason: str | None
    version: int
    leg_up: bool
    campaign_id: int | None
    #: "call" (the seat's current/last call), "preview" (offered, not called) or None
    kind: str | None
    attempt_id: int | None
    contact: dict[str, Any] | None
    consents: list[dict[str, Any]]
    #: verdict, reasons (code, citation, message), earliest_allowed_at, decision_id,
    #: recorded (False: a dry run computed now for a preview, not recorded)
    decision: dict[str, Any] | None
    script: str | None
    disclosures: list[dict[str, str]]
    disposition_due: bool
    disposition: dict[str, Any] | None


def screen_pop(
    uow: UnitOfWork,
    engine: Engine,
    cipher: Cipher,
    registry: Registry,
    caller: Caller,
    at: datetime,
) -> ScreenPop:
    """The seat's screen: the person (name, number as the role may see it, matter), their
    consents, the gate's decision (the stored one for a call; for a preview a dry run now,
    labelled ``recorded: False``), the campaign's script with the disclosures this call
    needs, and whether a disposition is due."""
    who = seat_of(uow, caller)
    s = uow.desk.session(who.firm_id, who.user_id)
    if s is None:
        raise RequestError("state", "log in to the desk first (choose a campaign)")
    kind: str | None = None
    contact_id: int | None = None
    decision: dict[str, Any] | None = None
    purpose: str | None = None
    campaign_id = s.campaign_id
    if s.attempt_id is not None and s.state in (AgentState.ON_CALL, AgentState.WRAP_UP):
        attempt = seat_attempt(uow, who, s.attempt_id)
        kind, contact_id, purpose = "call", attempt.contact_id, attempt.purpose
        campaign_id = attempt.campaign_id or campaign_id
        decision = _stored_decision(attempt)
    elif s.preview_contact_id is not None and s.state == AgentState.PREVIEW:
        kind, contact_id = "preview", s.preview_contact_id
        decision, purpose = _dry_run(uow, engine, cipher, registry, who, s, at)
    card, consents = (
        (None, []) if contact_id is None else contact_card(uow, cipher, caller, who, contact_id)
    )
    script, firm_name = None, uow.attempts.firm_name(who.firm_id)
    if campaign_id is not None:
        camp = uow.campaigns.get(campaign_id)
        if camp is not None:
            script = ((camp.settings or {}).get("message") or {}).get("text")
            purpose = purpose or camp.purpose
    done = None if s.attempt_id is None else uow.desk.disposition(s.attempt_id)
    return ScreenPop(
        state=s.state, reason=s.reason, version=s.version, leg_up=s.leg_up,
        campaign_id=s.campaign_id, kind=kind,
        attempt_id=s.attempt_id if kind == "call" else None, contact=card, consents=consents,
        decision=decision, script=script,
        disclosures=disclosures(purpose, firm_name) if kind else [],
        disposition_due=disposition_due(uow, s) is not None,
        disposition=None if done is None else {
            "attempt_id": done.attempt_id, "code": done.code,
            "callback_at": done.callback_at.isoformat() if done.callback_at else None,
        },
    )  # fmt: skip


def _stored_decision(attempt: NewAttempt) -> dict[str, Any]:
    d = attempt.decision or {}
    return {
        "recorded": True,
        "decision_id": attempt.decision_id,
        "verdict": attempt.verdict,
        "earliest_allowed_at": d.get("earliest_allowed_at"),
        "reasons": [
            {"code": r.get("code"), "citation": r.get("citation"), "message": r.get("message")}
            for r in d.get("reasons", [])
        ],
        "rulepack": attempt.rulepack,
    }


def _dry_run(
    uow: UnitOfWork,
    engine: Engine,
    cipher: Cipher,
    registry: Registry,
    who: Seat,
    s: DeskSession,
    at: datetime,
) -> tuple[dict[str, Any] | None, str | None]:
    assert s.preview_contact_id is not None
    try:
        raw, _, plan = build_request(
            uow, cipher, registry, firm_id=who.firm_id, contact_id=s.preview_contact_id,
            at=at.astimezone(UTC), campaign_id=s.campaign_id,
            plan=None if s.campaign_id is not None else CallPlan("informational", "manual"),
        )  # fmt: skip
    except RequestError as e:  # an erased contact, a number gone: say so, do not guess
        return {"recorded": False, "verdict": None, "error": str(e), "reasons": []}, None
    decision = engine.decide(parse_request(raw), digest=request_digest(raw))
    return {
        "recorded": False,
        "decision_id": None,
        "verdict": decision.verdict,
        "earliest_allowed_at": decision.earliest_allowed_at.isoformat()
        if decision.earliest_allowed_at
        else None,
        "reasons": [
            {"code": r.code, "citation": r.citation, "message": r.message} for r in decision.reasons
        ],
        "rulepack": decision.rulepack,
        "note": "a check now, not recorded: the gate runs again, recorded, at the Call click",
    }, plan.purpose
