"""The dial-time gate: the only door to a telephony adapter.

Rule 1: in ONE transaction it locks the contact's row, builds the v1 decision request
from the database for (contact, campaign, at), asks the engine, and records the attempt
with its decision and an audit entry — before anything is dialled. An opt-out takes the
same lock, so a gate decision made after an opt-out committed always sees it.
Rule 2: the request is built as contract-v1 JSON and validated like any other, so a
what-if check (`lexdial decide`) and a real dial can never disagree; the stored decision
carries the request digest it was made from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.api import request_digest
from lexdial.domain.decision import Decision
from lexdial.domain.request_parse import parse_request
from lexdial.errors import RequestError
from lexdial.rules.engine import Engine
from lexdial.service.campaigns import abandonment_30d
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.optout import lock_contact
from lexdial.service.ports import Audit, Cipher, Registry
from lexdial.service.stated_facts import debt_facts
from lexdial.service.users import SYSTEM, Caller, authorize

#: how far back the call history the rules need reaches (France: 60 days after a refusal)
HISTORY_DAYS = 61
_STATUS = {"allow": "allowed", "deny": "denied", "defer": "deferred"}
#: attempt statuses that are calls placed (or about to be): they count toward the caps
COUNTED_STATUSES = ("allowed", "dialled", "completed")
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


@dataclass(frozen=True, slots=True)
class GateResult:
    attempt_id: int
    decision: Decision
    #: the E.164 number judged (personal data: for the dialer's use, never logged)
    number: str = ""


def gate(
    conn: Connection,
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
) -> GateResult:
    """Decide and record one attempt for ``contact_id`` at ``at`` (see module rules)."""
    actor = authorize(conn, caller, "decision.write", firm_id)
    at = at.astimezone(UTC)  # SQLite keeps no offset: every stored instant is UTC
    lock_contact(SqlUnitOfWork(conn), contact_id)
    raw, bidx, plan = build_request(
        conn,
        cipher,
        registry,
        firm_id=firm_id,
        contact_id=contact_id,
        at=at,
        campaign_id=campaign_id,
        plan=plan,
    )
    decision = engine.decide(parse_request(raw), digest=request_digest(raw))
    attempt_id = t.new_id(
        conn.execute(
            insert(t.call_attempts).values(
                firm_id=firm_id,
                contact_id=contact_id,
                campaign_id=campaign_id,
                number_bidx=bidx,
                at=at,
                purpose=plan.purpose,
                technology=plan.technology,
                subject=plan.subject,
                debt_ref=plan.debt_id,
                status=_STATUS[decision.verdict],
                decision_id=decision.decision_id,
                verdict=decision.verdict,
                earliest_allowed_at=decision.earliest_allowed_at,
                rulepack=decision.rulepack,
                decision=decision.to_json(),
                created_at=at,
            )
        )
    )
    audit.record(
        conn,
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


def build_request(
    conn: Connection,
    cipher: Cipher,
    registry: Registry,
    *,
    firm_id: int,
    contact_id: int,
    at: datetime,
    campaign_id: int | None,
    plan: CallPlan | None,
) -> tuple[dict[str, Any], str, CallPlan]:
    """The contract-v1 request for this contact and call, from the database."""
    contact = (
        conn.execute(select(t.contacts).where(t.contacts.c.id == contact_id)).mappings().first()
    )
    if contact is None or contact["firm_id"] != firm_id:
        raise RequestError("contact_id", f"no contact #{contact_id} in this firm")
    number = (
        conn.execute(
            select(t.contact_numbers)
            .where(t.contact_numbers.c.contact_id == contact_id)
            .order_by(t.contact_numbers.c.is_primary.desc(), t.contact_numbers.c.id)
        )
        .mappings()
        .first()
    )
    if number is None:
        raise RequestError("contact_id", f"contact #{contact_id} has no telephone number")
    firm_name = conn.execute(select(t.firms.c.name).where(t.firms.c.id == firm_id)).scalar_one()
    e164 = cipher.decrypt(number["number_enc"], context=NUMBER_CTX)
    bidx = str(number["number_bidx"])
    raw: dict[str, Any] = {"at": _iso(at), "number": e164, "firm": {"name": firm_name}}
    campaign = None
    if campaign_id is not None:
        campaign = (
            conn.execute(select(t.campaigns).where(t.campaigns.c.id == campaign_id))
            .mappings()
            .first()
        )
        if campaign is None or campaign["firm_id"] != firm_id:
            raise RequestError("campaign_id", f"no campaign #{campaign_id} in this firm")
        plan = CallPlan(campaign["purpose"], campaign["technology"], campaign["subject"])
        raw["campaign"] = {
            "mode": campaign["mode"],
            "ring_timeout_s": campaign["ring_timeout_s"],
            "caller_id": campaign["caller_id"],
            "safe_harbor_message": bool(campaign["safe_harbor_message"]),
        }
        if campaign["mode"] in ("preview", "progressive", "predictive"):
            abandoned, live = abandonment_30d(conn, int(campaign_id), at)
            # no live answers yet: no rate to judge (0/0 is not a breach)
            raw["campaign"]["abandonment_rate_30d"] = abandoned / live if live else None
        if campaign["script"]:
            raw["script"] = dict(campaign["script"])
    if plan is None:
        raise RequestError("plan", "give a campaign or the call's purpose and technology")
    raw.update(purpose=plan.purpose, technology=plan.technology)
    if plan.subject:
        raw["subject"] = plan.subject
    if plan.debt_id:
        # contract v1.1: a cease request and a time-barred flag recorded on the debt
        raw["debt"] = {
            "id": plan.debt_id,
            **(debt_facts(SqlUnitOfWork(conn), firm_id, plan.debt_id) or {}),
        }
    if number["line_type"]:
        raw["line_type"] = number["line_type"]
    _person(raw, contact, cipher)
    raw["consents"] = _consents(conn, firm_id, bidx)
    raw["suppression"] = _suppression(conn, registry, firm_id, bidx, e164, raw)
    check = (
        conn.execute(
            select(t.reassigned_checks)
            .where(
                t.reassigned_checks.c.firm_id == firm_id,
                t.reassigned_checks.c.number_bidx == bidx,
            )
            .order_by(t.reassigned_checks.c.checked_on.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if check is not None:
        raw["reassigned"] = {
            "result": check["result"],
            "checked_on": check["checked_on"].isoformat(),
        }
    raw["history"] = _history(conn, contact_id, at)
    return raw, bidx, plan


def _person(raw: dict[str, Any], contact: Any, cipher: Cipher) -> None:
    if contact["address_enc"]:
        raw["address"] = json.loads(
            cipher.decrypt(contact["address_enc"], context="contacts.address")
        )
    rel: dict[str, Any] = {"type": contact["relationship"]}
    if contact["last_transaction_on"]:
        rel["last_transaction_on"] = contact["last_transaction_on"].isoformat()
    if contact["inquiry_on"]:
        rel["inquiry_on"] = contact["inquiry_on"].isoformat()
    raw["relationship"] = rel
    if contact["subscriber"]:
        raw["subscriber"] = contact["subscriber"]
    if contact["matter_type"]:
        raw["matter"] = {"type": contact["matter_type"]}
    if contact["preferences"]:
        raw["preferences"] = dict(contact["preferences"])
    gdpr: dict[str, Any] = {}
    if contact["objected_at"] is not None:
        gdpr["objected_at"] = _iso(contact["objected_at"])
    if contact["erased_at"] is not None:
        gdpr["erased"] = True
    if contact["lawful_basis"] is not None:
        gdpr["lawful_basis"] = contact["lawful_basis"]
    if gdpr:
        raw["gdpr"] = gdpr


def _consents(conn: Connection, firm_id: int, bidx: str) -> list[dict[str, Any]]:
    # a consent binds the firm it was given to: another firm's record proves nothing here
    rows = conn.execute(
        select(t.consents, t.revocations.c.at.label("revoked_at"))
        .select_from(
            t.consents.outerjoin(t.revocations, t.revocations.c.consent_id == t.consents.c.id)
        )
        .where(t.consents.c.firm_id == firm_id, t.consents.c.number_bidx == bidx)
        .order_by(t.consents.c.id)
    ).mappings()
    out = []
    for r in rows:
        item: dict[str, Any] = {
            "id": f"consent-{r['id']}",
            "kind": r["kind"],
            "given_at": _iso(r["given_at"]),
            "scope": list(r["scope"]),
            "seller": list(r["sellers"]),
            "method": r["method"],
            "revoked_at": _iso(r["revoked_at"]) if r["revoked_at"] is not None else None,
        }
        if r["technologies"] is not None:
            item["technologies"] = list(r["technologies"])
        out.append(item)
    return out


def _suppression(
    conn: Connection, registry: Registry, firm_id: int, bidx: str, e164: str, raw: dict[str, Any]
) -> dict[str, Any]:
    internal = (
        conn.execute(
            select(func.count())
            .select_from(t.dnc_entries)
            .where(t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx == bidx)
        ).scalar_one()
        or conn.execute(  # an entry purged after its retention still suppresses
            select(func.count())
            .select_from(t.dnc_tombstones)
            .where(t.dnc_tombstones.c.firm_id == firm_id, t.dnc_tombstones.c.number_bidx == bidx)
        ).scalar_one()
    )
    out: dict[str, Any] = {"internal_dnc": bool(internal)}
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


def _history(conn: Connection, contact_id: int, at: datetime) -> list[dict[str, Any]]:
    since = at - timedelta(days=HISTORY_DAYS)
    rows = conn.execute(
        select(
            t.call_attempts.c.at,
            t.call_attempts.c.purpose,
            t.call_attempts.c.subject,
            t.call_attempts.c.debt_ref,
            t.call_attempts.c.technology,
            t.call_outcomes.c.outcome,
        )
        .select_from(
            t.call_attempts.outerjoin(
                t.call_outcomes, t.call_outcomes.c.attempt_id == t.call_attempts.c.id
            )
        )
        .where(
            t.call_attempts.c.contact_id == contact_id,
            t.call_attempts.c.at >= since,
            t.call_attempts.c.at <= at,
            # an allowed attempt counts even before its outcome is known (protective: the
            # caps must not undercount a call that is ringing or whose result was lost)
            t.call_attempts.c.status.in_(COUNTED_STATUSES),
        )
        .order_by(t.call_attempts.c.at)
    ).mappings()
    out = []
    for r in rows:
        item = {"at": _iso(r["at"]), "purpose": r["purpose"], "technology": r["technology"]}
        outcome = HISTORY_OUTCOME.get(r["outcome"], r["outcome"])
        if outcome:
            item["outcome"] = outcome
        if r["subject"]:
            item["subject"] = r["subject"]
        if r["debt_ref"]:
            item["debt_id"] = r["debt_ref"]
        out.append(item)
    return out


def _iso(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite returns naive datetimes: they were stored as UTC
        return value.isoformat() + "+00:00"
    return value.isoformat()
