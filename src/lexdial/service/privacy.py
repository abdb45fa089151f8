"""Data-subject rights and retention: export (GDPR Art. 15/20), erasure (Art. 17), purge.

Rule 1: erasure removes the personal data (names, numbers, addresses, free text, IPs)
and keeps a keyed-hash tombstone of each number so a re-import is refused and the number
stays suppressed (ICO practice, catalogue G5). Non-personal evidence the firm may need to
defend a claim (consent disclosures and hashes, decisions and their reasons) is kept
(Art. 17(3)(e)); every erasure and purge is audited.
Rule 2: retention is per data category, in days, from the settings (never below the legal
minimum: ``config`` refuses it); purge deletes what is older than its period and says what
it deleted. A purged do-not-call entry leaves its keyed hash in ``dnc_tombstones``, which
the gate reads like the entry itself: purging records never makes a number callable.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lexdial.domain.csv_cells import SafeWriter
from lexdial.errors import NotFoundError, RequestError
from lexdial.service.consent import consent_free_text
from lexdial.service.contacts import MATTER_REF_CTX, NUMBER_CTX, normalise, number_index
from lexdial.service.gate import REQUEST_CTX
from lexdial.service.name_index import forget_contact
from lexdial.service.ports import Audit, Cipher
from lexdial.service.users import Caller, authorize

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: default retention in days: TSR 310.5 (5 years) for call records and consents; the
#: firm's own do-not-call list 10 years (Va. Code 59.1-514, the longest in the catalogue)
RETENTION_DAYS = {"call_records": 5 * 366, "revoked_consents": 5 * 366, "dnc_entries": 10 * 366}


#: consent columns the export leaves out: tokens (decrypted instead), keys, fingerprints
_CONSENT_HIDDEN = frozenset(
    {
        "source_ip_enc",
        "number_bidx",
        "evidence_sha256",
        "disclosure_text",
        "disclosure_text_enc",
        "user_agent",
        "user_agent_enc",
    }
)


def _contact(uow: UnitOfWork, cipher: Cipher, firm_id: int, number: str) -> tuple[int, str]:
    bidx = number_index(cipher, normalise(number))
    contact_id = uow.privacy.contact_id_for(firm_id, bidx)
    if contact_id is None:
        raise NotFoundError("number", "no contact has this number")
    return contact_id, bidx


def export_person(uow: UnitOfWork, cipher: Cipher, firm_id: int, number: str) -> dict[str, Any]:
    """Everything held about the person with ``number``, decrypted, as JSON-ready data."""
    contact_id, _ = _contact(uow, cipher, firm_id, number)
    held = uow.privacy.person_records(firm_id, contact_id)
    c = held.contact
    out: dict[str, Any] = {
        "contact": {
            "id": contact_id,
            "name": cipher.decrypt(c["name_enc"], context="contacts.name")
            if c["name_enc"]
            else None,
            "address": json.loads(cipher.decrypt(c["address_enc"], context="contacts.address"))
            if c["address_enc"]
            else None,
            "relationship": c["relationship"],
            "subscriber": c["subscriber"],
            "matter_type": c["matter_type"],
            "matter_ref": cipher.decrypt(c["matter_ref_enc"], context=MATTER_REF_CTX)
            if c["matter_ref_enc"]
            else None,
            "lawful_basis": c["lawful_basis"],
            "objected_at": c["objected_at"],
            "created_at": c["created_at"],
        },
        "numbers": [
            {
                "number": cipher.decrypt(n["number_enc"], context=NUMBER_CTX),
                "line_type": n["line_type"],
                "primary": n["is_primary"],
            }
            for n in held.numbers
        ],
        "consents": [
            {
                **{k: v for k, v in r.items() if k not in _CONSENT_HIDDEN},
                **consent_free_text(cipher, r),
            }
            for r in held.consents
        ],
        "revocations": _rows(held.revocations, drop=("evidence_enc",)),
        "do_not_call": _rows(held.do_not_call, drop=("evidence_enc", "number_bidx")),
        # the request each decision judged is the person's data too: given decrypted
        "call_attempts": [
            {
                **{k: v for k, v in r.items() if k not in ("number_bidx", "request_enc")},
                "request": _request_text(cipher, r.get("request_enc")),
            }
            for r in held.call_attempts
        ],
        "call_outcomes": _rows(held.call_outcomes),
    }
    # (for desk) what agents recorded about the person's calls, notes decrypted
    out["call_dispositions"] = _dispositions(uow, cipher, [r["id"] for r in held.call_attempts])
    plain: dict[str, Any] = json.loads(json.dumps(out, default=str))
    return plain


def export_csv(export: dict[str, Any]) -> str:
    """The export flattened to CSV rows: section, item, field, value (cells that a
    spreadsheet would run as a formula are quoted: ``domain.csv_cells``)."""
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(["section", "item", "field", "value"])
    for section, value in export.items():
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            for key, val in item.items():
                text = json.dumps(val) if isinstance(val, dict | list) else val
                writer.writerow([section, i, key, "" if text is None else text])
    return buf.getvalue()


def erase_person(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    number: str,
    caller: Caller,
    at: datetime,
) -> int:
    """Remove the person's personal data, keep tombstones; returns the contact id."""
    actor = authorize(uow, caller, "privacy.write", firm_id)
    contact_id, _ = _contact(uow, cipher, firm_id, number)
    bidxs = uow.privacy.number_indexes(contact_id)
    for bidx in bidxs:
        uow.privacy.tombstone_erased(firm_id, bidx, at)
    uow.privacy.erase_personal_data(firm_id, contact_id, bidxs, at)
    forget_contact(uow, firm_id, contact_id)  # (for desk) no word of the name stays findable
    # (for desk) agents' notes about the person are personal data too; the codes stay
    uow.desk.erase_notes([a.id for a in uow.views.contact_attempts(contact_id)])
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="privacy.erased",
        subject=f"contact:{contact_id}",
        data={"numbers": len(bidxs)},
    )
    return contact_id


@dataclass(frozen=True, slots=True)
class PurgeReport:
    call_attempts: int
    call_outcomes: int
    revoked_consents: int
    dnc_entries: int


def purge(
    uow: UnitOfWork,
    audit: Audit,
    at: datetime,
    retention: dict[str, int],
    caller: Caller,
    dry_run: bool = False,
) -> PurgeReport:
    """Delete what is older than its retention period (see ``RETENTION_DAYS``)."""
    actor = authorize(uow, caller, "privacy.write")
    days = {**RETENTION_DAYS, **retention}
    for key, value in days.items():
        if key not in RETENTION_DAYS:
            raise RequestError(
                f"retention.{key}", "is not a data category: " + ", ".join(sorted(RETENTION_DAYS))
            )
        if value <= 0:
            raise RequestError(f"retention.{key}", "must be a positive number of days")
    old = uow.privacy.purge_candidates(
        calls_before=at - timedelta(days=days["call_records"]),
        revoked_before=at - timedelta(days=days["revoked_consents"]),
        dnc_before=at - timedelta(days=days["dnc_entries"]),
    )
    dnc_ids = [r.id for r in old.dnc_rows]
    report = PurgeReport(
        len(old.attempt_ids), len(old.outcome_ids), len(old.consent_ids), len(dnc_ids)
    )
    if dry_run:
        return report
    # (for desk) a call's disposition is a call record: it goes with its attempt
    uow.desk.forget_attempts(old.attempt_ids)
    uow.privacy.delete_call_and_consent_records(old.outcome_ids, old.attempt_ids, old.consent_ids)
    for row in old.dnc_rows:
        # a purged do-not-call entry keeps its keyed hash: the number stays suppressed
        uow.privacy.tombstone_dnc(row.firm_id, row.number_bidx, row.at, at)
    uow.privacy.delete_dnc_entries(dnc_ids)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="privacy.purged",
        subject="store:retention",
        data={"deleted": asdict(report), "retention_days": days},
    )
    return report


def _rows(rows: list[dict[str, Any]], drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in drop} for r in rows]


def _request_text(cipher: Cipher, token: str | None) -> Any:
    """An attempt's stored request (``gate`` rule 4) as JSON, or None when none is kept."""
    return json.loads(cipher.decrypt(token, context=REQUEST_CTX)) if token else None


def record_objection(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    number: str,
    caller: Caller,
    at: datetime,
) -> int:
    """The person objected to direct marketing (GDPR Art. 21(2)); absolute from ``at``."""
    actor = authorize(uow, caller, "consent.write", firm_id)
    contact_id, _ = _contact(uow, cipher, firm_id, number)
    uow.privacy.mark_objected(contact_id, at)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="privacy.objected",
        subject=f"contact:{contact_id}",
        data={"objected_at": at.isoformat()},
    )
    return contact_id


def record_reassigned_check(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    number: str,
    result: str,
    checked_on: date,
    caller: Caller,
    at: datetime,
) -> int:
    """A Reassigned Numbers Database answer the firm obtained for ``number`` (47 CFR
    64.1200(m)): the safe harbor is the firm's that checked, so the answer is the firm's."""
    actor = authorize(uow, caller, "consent.write", firm_id)
    if result not in ("no", "yes", "no_data"):
        raise RequestError("result", "must be 'no', 'yes' or 'no_data'")
    bidx = number_index(cipher, normalise(number))
    rid = uow.privacy.add_reassigned_check(firm_id, bidx, result, checked_on, at)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="reassigned.checked",
        subject=f"rnd:{rid}",
        data={"result": result, "checked_on": str(checked_on)},
    )
    return rid


# (for desk)
def _dispositions(uow: UnitOfWork, cipher: Cipher, attempt_ids: list[int]) -> list[dict[str, Any]]:
    out = []
    for attempt_id in attempt_ids:
        d = uow.desk.disposition(attempt_id)
        if d is not None:
            notes = (
                cipher.decrypt(d.notes_enc, context="call_dispositions.notes")
                if d.notes_enc
                else None
            )
            out.append({"attempt_id": d.attempt_id, "code": d.code, "notes": notes,
                        "callback_at": d.callback_at, "created_at": d.created_at})  # fmt: skip
    return out
