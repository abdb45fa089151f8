"""The v1 decision request for one dial, built from the store (the gate's input).

Rule 1: the request is contract-v1 JSON, exactly what ``lexdial decide`` takes, so a
what-if check and a real dial are judged from the same shape; only facts the firm holds go
in: its consents (another firm's prove nothing), its suppression entries, the registries'
answers for the number, and the contact's call history over ``HISTORY_DAYS``.
Rule 2: it reads, never writes: the gate calls it inside its transaction, after taking the
contact's row lock; a lint (``campaign_lint``) or a benchmark may call it on its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lexdial.domain.states import AttemptStatus
from lexdial.errors import RequestError
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.ports import Cipher, Registry
from lexdial.service.repos.calls import GateContact

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: how far back the call history the rules need reaches (France: 60 days after a refusal)
HISTORY_DAYS = 61
#: attempt statuses that are calls placed (or about to be): they count toward the caps
COUNTED_STATUSES = (AttemptStatus.ALLOWED, AttemptStatus.DIALLED, AttemptStatus.COMPLETED)
#: call-flow outcomes in the contract's history vocabulary. A recorded message heard by a
#: person is not a "conversation" (Reg F 1006.14(b)(2)(i)(B) means person to person): it
#: stays without an outcome and still counts toward every cap.
HISTORY_OUTCOME: dict[str, str | None] = {
    "human": None,
    "machine": "voicemail",
    "opted_out": "refused",
    "bridged": "conversation",
}


@dataclass(frozen=True, slots=True)
class CallPlan:
    """What is about to be dialled, when there is no campaign row (a manual call)."""

    purpose: str
    technology: str
    subject: str | None = None
    debt_id: str | None = None


def build_request(
    uow: UnitOfWork,
    cipher: Cipher,
    registry: Registry,
    *,
    firm_id: int,
    contact_id: int,
    at: datetime,
    campaign_id: int | None,
    plan: CallPlan | None,
) -> tuple[dict[str, Any], str, CallPlan]:
    """The contract-v1 request for this contact and call, from the store."""
    store = uow.attempts
    since = at - timedelta(days=HISTORY_DAYS)
    # the history window goes with the first read: the store may fetch both in one trip
    contact = store.contact_for_gate(contact_id, (since, at, COUNTED_STATUSES))
    if contact is None or contact.firm_id != firm_id:
        raise RequestError("contact_id", f"no contact #{contact_id} in this firm")
    number = store.number_for_gate(contact_id)
    if number is None:
        raise RequestError("contact_id", f"contact #{contact_id} has no telephone number")
    firm_name = store.firm_name(firm_id)
    e164 = cipher.decrypt(number.number_enc, context=NUMBER_CTX)
    bidx = number.number_bidx
    raw: dict[str, Any] = {"at": _iso(at), "number": e164, "firm": {"name": firm_name}}
    if campaign_id is not None:
        campaign = store.campaign_for_gate(campaign_id)
        if campaign is None or campaign.firm_id != firm_id:
            raise RequestError("campaign_id", f"no campaign #{campaign_id} in this firm")
        plan = CallPlan(campaign.purpose, campaign.technology, campaign.subject)
        raw["campaign"] = {
            "mode": campaign.mode,
            "ring_timeout_s": campaign.ring_timeout_s,
            "caller_id": campaign.caller_id,
            "safe_harbor_message": campaign.safe_harbor_message,
        }
        if campaign.mode in ("preview", "progressive", "predictive"):
            abandoned, live = store.abandonment_30d(int(campaign_id), at)
            # no live answers yet: no rate to judge (0/0 is not a breach)
            raw["campaign"]["abandonment_rate_30d"] = abandoned / live if live else None
        if campaign.script:
            raw["script"] = dict(campaign.script)
    if plan is None:
        raise RequestError("plan", "give a campaign or the call's purpose and technology")
    raw.update(purpose=plan.purpose, technology=plan.technology)
    if plan.subject:
        raw["subject"] = plan.subject
    if plan.debt_id:
        # contract v1.1: a cease request and a time-barred flag recorded on the debt
        raw["debt"] = {"id": plan.debt_id, **_debt(uow, firm_id, plan.debt_id)}
    if number.line_type:
        raw["line_type"] = number.line_type
    _person(raw, contact, cipher)
    raw["consents"] = _consents(uow, firm_id, bidx)
    raw["suppression"] = _suppression(uow, registry, firm_id, bidx, e164, raw)
    check = store.last_reassigned_check(firm_id, bidx)
    if check is not None:
        raw["reassigned"] = {"result": check.result, "checked_on": check.checked_on.isoformat()}
    raw["history"] = _history(uow, contact_id, since, at)
    return raw, bidx, plan


def read_ahead(uow: UnitOfWork, calls: Sequence[tuple[int, datetime]]) -> None:
    """For a batch of gates of (contact, instant), in one transaction: every contact's row
    lock in one statement (id order), THEN every contact's facts and calls in one read
    (``prefetch_for_gates``), over one window holding each gate's own. The read comes after
    the locks, as each gate's own read would: an opt-out committed while we waited is seen.
    Each gate's ``build_request`` is then served from it (its first read of the contact)."""
    if not calls:
        return
    ids = [contact for contact, _ in calls]
    uow.contacts.lock_many(ids)
    first, last = min(at for _, at in calls), max(at for _, at in calls)
    window = (first - timedelta(days=HISTORY_DAYS), last, COUNTED_STATUSES)
    uow.attempts.prefetch_for_gates(ids, window)


def _debt(uow: UnitOfWork, firm_id: int, debt_ref: str) -> dict[str, Any]:
    """The stored facts of one debt in the contract's shape (``debt`` object fields)."""
    facts = uow.attempts.debt_facts(firm_id, debt_ref)
    out: dict[str, Any] = {}
    if facts is None:
        return out
    if facts.cease_requested_at is not None:
        out["cease_requested_at"] = facts.cease_requested_at.isoformat()
    if facts.time_barred is not None:
        out["time_barred"] = facts.time_barred
    return out


def _person(raw: dict[str, Any], contact: GateContact, cipher: Cipher) -> None:
    if contact.address_enc:
        raw["address"] = json.loads(cipher.decrypt(contact.address_enc, context="contacts.address"))
    rel: dict[str, Any] = {"type": contact.relationship}
    if contact.last_transaction_on:
        rel["last_transaction_on"] = contact.last_transaction_on.isoformat()
    if contact.inquiry_on:
        rel["inquiry_on"] = contact.inquiry_on.isoformat()
    raw["relationship"] = rel
    if contact.subscriber:
        raw["subscriber"] = contact.subscriber
    if contact.matter_type:
        raw["matter"] = {"type": contact.matter_type}
    if contact.preferences:
        raw["preferences"] = dict(contact.preferences)
    gdpr: dict[str, Any] = {}
    if contact.objected_at is not None:
        gdpr["objected_at"] = _iso(contact.objected_at)
    if contact.erased_at is not None:
        gdpr["erased"] = True
    if contact.lawful_basis is not None:
        gdpr["lawful_basis"] = contact.lawful_basis
    if gdpr:
        raw["gdpr"] = gdpr


def _consents(uow: UnitOfWork, firm_id: int, bidx: str) -> list[dict[str, Any]]:
    # a consent binds the firm it was given to: another firm's record proves nothing here
    out = []
    for r in uow.attempts.consents_for(firm_id, bidx):
        item: dict[str, Any] = {
            "id": f"consent-{r.id}",
            "kind": r.kind,
            "given_at": _iso(r.given_at),
            "scope": list(r.scope),
            "seller": list(r.sellers),
            "method": r.method,
            "revoked_at": _iso(r.revoked_at) if r.revoked_at is not None else None,
        }
        if r.technologies is not None:
            item["technologies"] = list(r.technologies)
        out.append(item)
    return out


def _suppression(
    uow: UnitOfWork, registry: Registry, firm_id: int, bidx: str, e164: str, raw: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {"internal_dnc": uow.attempts.internally_suppressed(firm_id, bidx)}
    if e164.startswith("+1"):
        out["national_dnc"] = registry.listed(e164, "us-national")
        synced = registry.snapshot_on("us-national")
        if synced is not None:
            out["registry_synced_on"] = synced.isoformat()
        state = (raw.get("address") or {}).get("state")
        if state:
            out["state_dnc"] = registry.listed(e164, f"us-state-{state}")
    elif e164.startswith("+44"):
        if registry.listed(e164, "uk-tps"):
            # the index keeps membership, not the listing date: claim no 28-day grace
            out["tps_registered_on"] = "1900-01-01"
        synced = registry.snapshot_on("uk-tps")
        if synced is not None:
            out["registry_synced_on"] = synced.isoformat()
    return out


def _history(
    uow: UnitOfWork, contact_id: int, since: datetime, at: datetime
) -> list[dict[str, Any]]:
    # an allowed attempt counts even before its outcome is known (protective: the caps
    # must not undercount a call that is ringing or whose result was lost)
    out = []
    for r in uow.attempts.history(contact_id, since, at, COUNTED_STATUSES):
        item = {"at": _iso(r.at), "purpose": r.purpose, "technology": r.technology}
        outcome = HISTORY_OUTCOME.get(r.outcome, r.outcome) if r.outcome is not None else None
        if outcome:
            item["outcome"] = outcome
        if r.subject:
            item["subject"] = r.subject
        if r.debt_ref:
            item["debt_id"] = r.debt_ref
        out.append(item)
    return out


def _iso(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite returns naive datetimes: they were stored as UTC
        return value.isoformat() + "+00:00"
    return value.isoformat()
