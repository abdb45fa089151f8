"""The facts of the firm's written do-not-call policy and of its training roster.

Why generated: 47 CFR 64.1200(d)(1) requires a written do-not-call policy available on
demand. A policy typed once drifts from what the system does; this one is read from the
settings, the rule pack the gate runs and the code's own constants (the opt-out channels
``consent.CHANNELS``, the stop words ``replies.STOP_WORDS``, the retention periods), so the
document states what actually happens.

Rule: no clock reads and no personal data of the people called; staff appear by name on
the roster because an attestation must say who was trained (47 CFR 64.1200(d)(2)).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from lexdial.config import Settings
from lexdial.domain.campaign_spec import parse_spec
from lexdial.domain.replies import STOP_WORDS
from lexdial.rules.engine import Engine
from lexdial.service.consent import CHANNELS
from lexdial.service.ports import Cipher
from lexdial.service.privacy import RETENTION_DAYS
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import LIVE_MODES

#: how a person uses each opt-out channel the code accepts (``consent.CHANNELS``)
CHANNEL_TEXT = {
    "key_press": "pressing the opt-out key offered in every automated message",
    "sms": "a text message reply",
    "web": "a web form",
    "email": "an e-mail to the firm",
    "staff": "telling any member of staff, by any means; staff record it at once",
    "api": "the firm's own systems, through the lexdial API",
    "voice": "saying so during a call",
    "mail": "a letter to the firm",
}
#: what each retention category holds (``privacy.RETENTION_DAYS``)
RETENTION_TEXT = {
    "call_records": "call attempts, gate decisions and call outcomes",
    "revoked_consents": "consents after their revocation",
    "dnc_entries": "the firm's own do-not-call list",
}


#: a minimal campaign: its parsed opt-out key is the default every new campaign gets
_SAMPLE = {"name": "-", "purpose": "reminder", "mode": "broadcast", "message": {"text": "-"}}


def utc(value: datetime) -> datetime:
    """An aware UTC instant; SQLite hands stored UTC instants back without their zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """An instant as ``YYYY-MM-DDTHH:MM:SSZ`` (None stays None)."""
    return None if value is None else utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_iso(value: datetime) -> str:
    """``iso`` for a value that is never None (keeps the dicts' types exact)."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def snapshots(uow: UnitOfWork, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Register snapshots in force at ``since`` (latest per list) and loaded up to ``until``."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for snap in uow.reports.registry_snapshots(utc(until)):
        name = snap.list_name
        later = utc(snap.loaded_at) > utc(since)
        if name in seen and not later:
            continue
        if not later:
            seen.add(name)
        out.append(
            {
                "list": name,
                "snapshot_on": snap.snapshot_on.isoformat(),
                "loaded_at": _utc_iso(snap.loaded_at),
                "count": snap.count,
                "manifest_sha256": snap.manifest_sha256,
            }
        )
    return out


def roster_data(uow: UnitOfWork, cipher: Cipher, *, firm_id: int, at: datetime) -> dict[str, Any]:
    """Every user, their role and training attestations, with their status on ``at``."""
    firm = uow.campaigns.firm_name(firm_id)
    day = utc(at).date()
    staff: list[dict[str, Any]] = []
    for user in uow.reports.staff(firm_id):
        attestations = [
            {
                "course": x.course,
                "attested_on": x.attested_on.isoformat(),
                "expires_on": x.expires_on.isoformat(),
                "status": _status(x.attested_on, x.expires_on, day),
            }
            for x in uow.reports.attestations(user.id)
        ]
        staff.append(
            {
                "id": user.id,
                "name": cipher.decrypt(user.name_enc, context="users.name"),
                "email": user.email,
                "role": user.role,
                "active": user.active,
                "attestations": attestations,
                "current": any(x["status"] == "current" for x in attestations),
            }
        )
    agents = [s for s in staff if s["role"] == "agent" and s["active"]]
    return {
        "firm": str(firm),
        "generated_at": _utc_iso(at),
        "as_of": day.isoformat(),
        "staff": staff,
        "summary": {
            "users": len(staff),
            "active_agents": len(agents),
            "agents_trained": sum(1 for s in agents if s["current"]),
            "attestations": sum(len(s["attestations"]) for s in staff),
        },
        "live_modes": sorted(LIVE_MODES),
    }


def _status(on: date, end: date, day: date) -> str:
    if day < on:
        return "not yet valid"
    return "current" if day <= end else "expired"


def dnc_policy_data(
    uow: UnitOfWork,
    cipher: Cipher,
    settings: Settings,
    rules: Engine,
    *,
    firm_id: int,
    at: datetime,
) -> dict[str, Any]:
    """The facts the written do-not-call policy states, as of ``at`` (module docstring)."""
    at = utc(at)
    roster = roster_data(uow, cipher, firm_id=firm_id, at=at)
    registers = snapshots(uow, at, at)
    count, oldest = uow.reports.dnc_list_summary(firm_id)
    keys = {parse_spec(raw).opt_out_key for raw in uow.campaigns.firm_settings(firm_id)}
    retention = [
        {
            "category": k,
            "days": v,
            "holds": RETENTION_TEXT.get(k, k),
            "source": "settings" if k in (settings.retention or {}) else "default",
        }
        for k, v in sorted({**RETENTION_DAYS, **(settings.retention or {})}.items())
    ]
    pack = rules.pack
    internal = [
        {
            "rule": r.id,
            "jurisdiction": r.jurisdiction,
            "citation": r.citation,
            "every_purpose": r.purposes is None,
            "every_technology": r.technologies is None,
        }
        for r in pack.rules
        if r.kind == "internal_dnc"
    ]
    policy = settings.policy
    return {
        "firm": roster["firm"],
        "generated_at": _utc_iso(at),
        "citation": "47 CFR 64.1200(d)(1)",
        "channels": [{"channel": c, "how": CHANNEL_TEXT.get(c, c)} for c in sorted(CHANNELS)],
        "stop_words": list(STOP_WORDS),
        "opt_out_keys": sorted(keys) or [parse_spec(_SAMPLE).opt_out_key],
        "honouring": {
            "delay_s": 0,
            "same_transaction": True,
            "revokes_consents": True,
            "cancels_queued_calls": True,
            "gate_checks_every_call": True,
        },
        "internal_dnc_rules": internal,
        "rulepack": pack.version,
        "calling_window": list(policy.all_calls_window) if policy.all_calls_window else None,
        "dialer_rules_all_purposes": policy.dialer_rules_all_purposes,
        "retention": retention,
        "dnc_list": {"entries": int(count), "oldest": _utc_iso(oldest) if oldest else None},
        "registry_snapshots": registers,
        "training": {**roster["summary"], "live_modes": roster["live_modes"]},
        "settings_file": str(settings.source) if settings.source else None,
    }
