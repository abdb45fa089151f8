"""A callback the agent sets for the person of the seat's last call (issue 12).

Rule 1: a callback is checked by the same request builder and engine as a dial, at the
asked time, WITHOUT recording an attempt (a check, not a call): allow sets the contact due
in the campaign's queue at that time (the dialler gates it again, recorded, when it comes);
defer answers the earliest lawful time (in the address's zone, else UTC); deny names the
reasons.
Rule 2: it needs the call's disposition first, a time with its offset, in the future and
within ``CALLBACK_HORIZON`` (the gate's facts, consents above all, age), on a running or
paused campaign; after a verbal opt-out (``asked_not_to_call``) it is refused (the gate
would deny it too).
Rule 3: an allowed callback is audited (``desk.callback``) with the verdict and rule pack.

    schedule_callback(uow, engine, cipher, audit, registry, caller, when, at) -> Callback
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lexdial.domain.desk import ASKED_NOT_TO_CALL
from lexdial.domain.digest import request_digest
from lexdial.domain.request_parse import parse_request
from lexdial.domain.states import CampaignStatus
from lexdial.errors import RequestError
from lexdial.service.desk_session import audit_seat, locked_session, seat_attempt, seat_of
from lexdial.service.gate_request import build_request

if TYPE_CHECKING:
    from lexdial.domain.decision import Decision
    from lexdial.rules.engine import Engine
    from lexdial.service.ports import Audit, Cipher, Registry
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller

#: how far ahead a callback may be set (the gate's facts, consents above all, age)
CALLBACK_HORIZON = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback the gate's check allowed: the contact is due again at ``when``."""

    attempt_id: int
    contact_id: int
    campaign_id: int
    when: datetime
    rulepack: str


def schedule_callback(
    uow: UnitOfWork,
    engine: Engine,
    cipher: Cipher,
    audit: Audit,
    registry: Registry,
    caller: Caller,
    when: datetime,
    at: datetime,
) -> Callback:
    """Schedule a callback of the seat's last call's person at ``when`` (Rule 1). Needs the
    call's disposition first; refused after a verbal opt-out."""
    who = seat_of(uow, caller)
    if when.tzinfo is None:
        raise RequestError("when", "must carry a time zone offset (e.g. 2026-12-08T15:00:00-05:00)")
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # the year 1 or 9999 with an offset: no instant, and no callback
        raise RequestError("when", f"must be within {CALLBACK_HORIZON.days} days") from None
    at = at.astimezone(UTC)
    if when <= at:
        raise RequestError("when", "must be in the future")
    if when - at > CALLBACK_HORIZON:
        raise RequestError("when", f"must be within {CALLBACK_HORIZON.days} days")
    s = locked_session(uow, who)
    if s.attempt_id is None:
        raise RequestError("attempt", "there is no call to schedule a callback for")
    d = uow.desk.disposition(s.attempt_id)
    if d is None:
        raise RequestError("disposition", f"record a disposition for call #{s.attempt_id} first")
    if d.code == ASKED_NOT_TO_CALL:
        raise RequestError(
            "when", "the person asked not to be called (47 CFR 64.1200(a)(10)): no callback; "
            "the gate would deny it too",
        )  # fmt: skip
    attempt = seat_attempt(uow, who, s.attempt_id)
    campaign_id = attempt.campaign_id or s.campaign_id
    if campaign_id is None:
        raise RequestError("campaign_id", "a callback is dialled from a campaign: log in to one")
    status = uow.campaigns.status(campaign_id)
    if status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        raise RequestError("when", f"campaign #{campaign_id} is {status}: it dials no callback")
    raw, _, _ = build_request(
        uow, cipher, registry, firm_id=who.firm_id, contact_id=attempt.contact_id, at=when,
        campaign_id=campaign_id, plan=None,
    )  # fmt: skip
    decision = engine.decide(parse_request(raw), digest=request_digest(raw))
    if decision.verdict == "defer":
        raise RequestError("when", _deferred(decision, raw))
    if decision.verdict != "allow":
        raise RequestError("when", "the gate would deny a call then: " + _reasons(decision))
    if not uow.attempts.queue_callback(campaign_id, attempt.contact_id, when):
        raise RequestError(
            "when", f"the person's place in campaign #{campaign_id} was cancelled (an opt-out or "
            "a stop): no callback",
        )  # fmt: skip
    uow.desk.set_disposition_callback(s.attempt_id, when)
    audit_seat(
        uow, audit, who, "desk.callback", at,
        {"attempt_id": s.attempt_id, "contact": attempt.contact_id, "campaign_id": campaign_id,
         "when": when.isoformat(), "verdict": decision.verdict, "rulepack": decision.rulepack},
    )  # fmt: skip
    return Callback(s.attempt_id, attempt.contact_id, campaign_id, when, decision.rulepack)


def _zone(raw: dict[str, Any]) -> ZoneInfo:
    name = (raw.get("address") or {}).get("time_zone")
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else ZoneInfo("UTC")
    except (ValueError, KeyError):  # pragma: no cover - the request parser checked it
        return ZoneInfo("UTC")


def _deferred(decision: Decision, raw: dict[str, Any]) -> str:
    earliest = decision.earliest_allowed_at
    if earliest is None:
        return "not lawful at that time: " + _reasons(decision)
    zone = _zone(raw)
    local = earliest.astimezone(zone)
    return (
        f"not lawful at that time; the earliest lawful time is {local.isoformat()} "
        f"({zone.key}): " + _reasons(decision)
    )


def _reasons(decision: Decision) -> str:
    return "; ".join(f"{r.code} ({r.citation}): {r.message}" for r in decision.reasons)
