"""The evidence bundle a lawyer needs in a TCPA suit, for one number.

Every consent with its disclosure text, every decision with its reasons and rule-pack
version, every opt-out and call, and for each audit entry about them the chain proof:
the entry's seq, hash and prev_hash, plus the head of the verified chain they belong to.
The chain proves its entries were not altered, not the rows they describe: ``records``
says whether each row still says what its entries recorded (``evidence_records``), and
``intact`` is true only when both hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from lexdial.errors import NotFoundError
from lexdial.service.audit_reads import sandbox_marked
from lexdial.service.consent import consents_for
from lexdial.service.contacts import normalise, number_index
from lexdial.service.evidence_records import PURGE_SUBJECT, check_records
from lexdial.service.gate import REQUEST_CTX
from lexdial.service.ports import Cipher
from lexdial.service.storage import UnitOfWork


def bundle(
    uow: UnitOfWork,
    cipher: Cipher,
    firm_id: int,
    number: str,
    *,
    anchors: Iterable[tuple[int, str]] = (),
    simulated: bool = False,
) -> dict[str, Any]:
    """Everything that proves how the firm treated ``number`` (JSON-ready).

    ``anchors``: the signed checkpoints' ``(seq, head hash)``; the chain must still hold
    each (without them a truncated or wholly rewritten chain can look intact).
    ``simulated``: the store is a sandbox (its face knows from its folder's mark); a store
    whose audit trail marks it one is said to be simulated without it."""
    e164 = normalise(number)
    bidx = number_index(cipher, e164)
    reports = uow.reports
    contact_id = reports.number_owner(firm_id, bidx)
    dnc = reports.dnc_for_number(firm_id, bidx)
    if contact_id is None and not dnc:
        raise NotFoundError("number", "no contact has this number")
    # a number no contact holds (erased, or opted out before it was added) still has its
    # do-not-call entries: the proof that it may not be called outlives the person's data
    # transitional: consent.consents_for takes a connection until the people area moves
    consents = consents_for(uow, cipher, firm_id, e164) if contact_id is not None else []
    attempts = reports.contact_attempts(contact_id) if contact_id is not None else []
    outcomes = reports.contact_outcomes(contact_id) if contact_id is not None else []
    subjects = [
        *([f"contact:{contact_id}"] if contact_id is not None else []),
        *(f"consent:{c['id']}" for c in consents),
        *(f"attempt:{a['id']}" for a in attempts),
        *(f"dnc:{d['id']}" for d in dnc),
    ]
    entries = reports.audit_entries_about(subjects)
    chain = reports.verify_audit(anchors)
    latest = max((_utc(a["at"]) for a in attempts), default=None)
    snapshots = reports.registry_snapshots(latest) if latest is not None else []
    problems = _record_problems(uow, contact_id, consents, attempts, outcomes, dnc, entries)
    return {
        "number": e164,
        "contact_id": contact_id,
        **(
            {}
            if contact_id is not None
            else {
                "note": "no contact holds this number now (its person's data was erased, or "
                "it opted out before being added): its do-not-call entries are shown"
            }
        ),
        "intact": chain.ok and not problems,
        # a sandbox's records never happened: said first, so no copy reads as evidence
        "simulated": simulated or sandbox_marked(uow, firm_id),
        "consents": consents,
        "decisions": [
            {
                "attempt_id": a["id"],
                "at": a["at"],
                "purpose": a["purpose"],
                "technology": a["technology"],
                "status": a["status"],
                "verdict": a["verdict"],
                "rulepack": a["rulepack"],
                "decision": a["decision"],
                "facts_then": _facts_then(a["at"], consents, dnc, snapshots),
                **_request(cipher, a),
            }
            for a in attempts
        ],
        "calls": [dict(o) for o in outcomes],
        "opt_outs": [dict(d) for d in dnc],
        "audit_entries": [
            {
                "seq": e["seq"],
                "at": e["at"],
                "action": e["action"],
                "subject": e["subject"],
                "data": e["data"],
                "prev_hash": e["prev_hash"],
                "hash": e["hash"],
            }
            for e in entries
        ],
        "chain": {
            "intact": chain.ok,
            "entries": chain.count,
            "head": chain.anchor,
            "problem": chain.problem,
            "bad_seq": chain.bad_seq,
            "how_to_check": "hash = sha256(prev_hash + canonical JSON of the entry "
            "without its hash); each prev_hash is the hash of the entry before it",
        },
        "records": {
            "intact": not problems,
            "problems": [p.to_json() for p in problems],
            "how_to_check": "each decision, call outcome, consent (and its revocation) and "
            "opt-out above is compared with what its audit entry recorded; a row missing, "
            "changed or never audited is named",
        },
    }


def _record_problems(
    uow: UnitOfWork,
    contact_id: int | None,
    consents: list[dict[str, Any]],
    attempts: list[dict[str, Any]],
    outcomes: list[dict[str, Any]],
    dnc: list[dict[str, Any]],
    about: list[dict[str, Any]],
) -> list[Any]:
    """``evidence_records.check_records`` over the number's rows, the entries about them,
    the entries naming the contact (rows deleted since) and the retention purges."""
    reports = uow.reports
    naming = reports.audit_entries_naming(contact_id) if contact_id is not None else []
    purges = reports.audit_entries_about([PURGE_SUBJECT])
    shown = {f"consent:{c['id']}" for c in consents} | {f"dnc:{d['id']}" for d in dnc}
    # a consent or opt-out of another of the contact's numbers is named too: still held
    others: dict[str, set[int]] = {"consent": set(), "dnc": set()}
    for entry in naming:
        kind, _, ident = str(entry["subject"]).partition(":")
        if kind in others and ident.isdigit() and entry["subject"] not in shown:
            others[kind].add(int(ident))
    held = {f"{k}:{i}" for k, ids in others.items() for i in reports.present_ids(k, ids)}
    return list(
        check_records(
            consents=consents,
            attempts=attempts,
            outcomes=outcomes,
            dnc=dnc,
            entries=[*about, *naming, *purges],
            held_elsewhere=held,
        )
    )


def _request(cipher: Cipher, attempt: dict[str, Any]) -> dict[str, Any]:
    """The request the gate judged (``gate`` rule 4), and whether its SHA-256 is still the
    decision's ``input_digest``: the facts exactly as decided, which ``lexdial decide``
    decides again. An attempt from before requests were kept, or of an erased person, has
    none (``request`` None)."""
    token = attempt.get("request_enc")
    if not token:
        return {"request": None, "request_matches_digest": None}
    text = cipher.decrypt(token, context=REQUEST_CTX)
    digest = (attempt.get("decision") or {}).get("input_digest")
    return {
        "request": json.loads(text),
        "request_matches_digest": hashlib.sha256(text.encode("utf-8")).hexdigest() == digest,
    }


#: what ``facts_then`` is, said beside it (the request itself is not stored: its digest is)
FACTS_THEN = (
    "the number's records as they stood at the decision's instant, read from the store now: "
    "consents given and not yet revoked, do-not-call entries made, the newest registry "
    "snapshot of each list loaded. The request the gate decided is 'request' beside it "
    "(kept encrypted since 2026-12-07; its SHA-256 is the decision's input_digest)"
)


def _facts_then(
    at: Any, consents: list[dict[str, Any]], dnc: list[dict[str, Any]], snapshots: list[Any]
) -> dict[str, Any]:
    """The consent, do-not-call and registry facts of the number at instant ``at``."""
    when = _utc(at)
    in_force = [
        c["id"]
        for c in consents
        if _utc(c["given_at"]) <= when
        and (c.get("revoked_at") is None or _utc(c["revoked_at"]) > when)
    ]
    listed = [d["id"] for d in dnc if _utc(d["at"]) <= when]
    newest: dict[str, dict[str, Any]] = {}
    for snap in snapshots:  # by list, newest first
        if _utc(snap.loaded_at) <= when and snap.list_name not in newest:
            newest[snap.list_name] = {
                "list": snap.list_name,
                "snapshot_on": snap.snapshot_on.isoformat(),
                "loaded_at": _utc(snap.loaded_at).isoformat(),
                "manifest_sha256": snap.manifest_sha256,
            }
    return {
        "consents_in_force": in_force,
        "do_not_call_entries": listed,
        "registry_snapshots": list(newest.values()),
        "what": FACTS_THEN,
    }


def _utc(value: Any) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite hands back naive UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
