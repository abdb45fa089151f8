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
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.domain.csv_cells import SafeWriter
from lexdial.errors import RequestError
from lexdial.service.consent import consent_free_text
from lexdial.service.contacts import NUMBER_CTX, find_contact_id, normalise, number_index
from lexdial.service.ports import Audit, Cipher
from lexdial.service.users import Caller, authorize

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


def _contact(conn: Connection, cipher: Cipher, firm_id: int, number: str) -> tuple[int, str]:
    bidx = number_index(cipher, normalise(number))
    contact_id = find_contact_id(SqlUnitOfWork(conn), firm_id, bidx)
    if contact_id is None:
        raise RequestError("number", "no contact has this number")
    return contact_id, bidx


def export_person(conn: Connection, cipher: Cipher, firm_id: int, number: str) -> dict[str, Any]:
    """Everything held about the person with ``number``, decrypted, as JSON-ready data."""
    contact_id, _ = _contact(conn, cipher, firm_id, number)
    c = conn.execute(select(t.contacts).where(t.contacts.c.id == contact_id)).mappings().one()
    numbers = (
        conn.execute(select(t.contact_numbers).where(t.contact_numbers.c.contact_id == contact_id))
        .mappings()
        .all()
    )
    bidxs = [n["number_bidx"] for n in numbers]
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
            for n in numbers
        ],
        "consents": [
            {
                **{k: v for k, v in r.items() if k not in _CONSENT_HIDDEN},
                **consent_free_text(cipher, r),
            }
            for r in conn.execute(
                select(t.consents).where(t.consents.c.contact_id == contact_id)
            ).mappings()
        ],
        "revocations": _rows(
            conn,
            select(t.revocations)
            .join(t.consents, t.consents.c.id == t.revocations.c.consent_id)
            .where(t.consents.c.contact_id == contact_id),
            drop=("evidence_enc",),
        ),
        "do_not_call": _rows(
            conn,
            select(t.dnc_entries).where(
                t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx.in_(bidxs)
            ),
            drop=("evidence_enc", "number_bidx"),
        ),
        "call_attempts": _rows(
            conn,
            select(t.call_attempts).where(t.call_attempts.c.contact_id == contact_id),
            drop=("number_bidx",),
        ),
        "call_outcomes": _rows(
            conn,
            select(t.call_outcomes)
            .join(t.call_attempts, t.call_attempts.c.id == t.call_outcomes.c.attempt_id)
            .where(t.call_attempts.c.contact_id == contact_id),
        ),
    }
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
    conn: Connection,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    number: str,
    caller: Caller,
    at: datetime,
) -> int:
    """Remove the person's personal data, keep tombstones; returns the contact id."""
    actor = authorize(conn, caller, "privacy.write", firm_id)
    contact_id, _ = _contact(conn, cipher, firm_id, number)
    bidxs = (
        conn.execute(
            select(t.contact_numbers.c.number_bidx).where(
                t.contact_numbers.c.contact_id == contact_id
            )
        )
        .scalars()
        .all()
    )
    for bidx in bidxs:
        known = conn.execute(
            select(t.erasure_tombstones.c.id).where(
                t.erasure_tombstones.c.firm_id == firm_id,
                t.erasure_tombstones.c.number_bidx == bidx,
            )
        ).first()
        if known is None:
            conn.execute(
                insert(t.erasure_tombstones).values(firm_id=firm_id, number_bidx=bidx, erased_at=at)
            )
    conn.execute(delete(t.contact_numbers).where(t.contact_numbers.c.contact_id == contact_id))
    conn.execute(
        update(t.contacts)
        .where(t.contacts.c.id == contact_id)
        .values(
            name_enc=None, address_enc=None, matter_ref_enc=None, preferences=None, erased_at=at
        )
    )
    consent_ids = select(t.consents.c.id).where(t.consents.c.contact_id == contact_id)
    conn.execute(
        update(t.consents)
        .where(t.consents.c.contact_id == contact_id)
        .values(
            source_ip_enc=None,
            user_agent=None,
            user_agent_enc=None,
            disclosure_text=None,
            disclosure_text_enc=None,
        )
    )
    conn.execute(
        update(t.revocations)
        .where(t.revocations.c.consent_id.in_(consent_ids))
        .values(evidence_enc=None)
    )
    conn.execute(
        update(t.dnc_entries)
        .where(t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx.in_(bidxs))
        .values(evidence_enc=None)
    )
    audit.record(
        conn,
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
    conn: Connection,
    audit: Audit,
    at: datetime,
    retention: dict[str, int],
    caller: Caller,
    dry_run: bool = False,
) -> PurgeReport:
    """Delete what is older than its retention period (see ``RETENTION_DAYS``)."""
    actor = authorize(conn, caller, "privacy.write")
    days = {**RETENTION_DAYS, **retention}
    for key, value in days.items():
        if key not in RETENTION_DAYS:
            raise RequestError(
                f"retention.{key}", "is not a data category: " + ", ".join(sorted(RETENTION_DAYS))
            )
        if value <= 0:
            raise RequestError(f"retention.{key}", "must be a positive number of days")
    calls_before = at - timedelta(days=days["call_records"])
    attempt_ids = (
        conn.execute(select(t.call_attempts.c.id).where(t.call_attempts.c.at < calls_before))
        .scalars()
        .all()
    )
    outcome_ids = (
        conn.execute(
            select(t.call_outcomes.c.id).where(t.call_outcomes.c.attempt_id.in_(attempt_ids))
        )
        .scalars()
        .all()
    )
    consent_ids = (
        conn.execute(
            select(t.revocations.c.consent_id).where(
                t.revocations.c.at < at - timedelta(days=days["revoked_consents"])
            )
        )
        .scalars()
        .all()
    )
    dnc_before = at - timedelta(days=days["dnc_entries"])
    dnc_rows = conn.execute(
        select(
            t.dnc_entries.c.id,
            t.dnc_entries.c.firm_id,
            t.dnc_entries.c.number_bidx,
            t.dnc_entries.c.at,
        ).where(t.dnc_entries.c.at < dnc_before)
    ).all()
    dnc_ids = [r[0] for r in dnc_rows]
    report = PurgeReport(len(attempt_ids), len(outcome_ids), len(consent_ids), len(dnc_ids))
    if dry_run:
        return report
    conn.execute(delete(t.call_outcomes).where(t.call_outcomes.c.id.in_(outcome_ids)))
    conn.execute(delete(t.call_attempts).where(t.call_attempts.c.id.in_(attempt_ids)))
    conn.execute(delete(t.revocations).where(t.revocations.c.consent_id.in_(consent_ids)))
    conn.execute(delete(t.consents).where(t.consents.c.id.in_(consent_ids)))
    for _, firm_id, bidx, first_at in dnc_rows:
        _tombstone(conn, firm_id, bidx, first_at, at)
    conn.execute(delete(t.dnc_entries).where(t.dnc_entries.c.id.in_(dnc_ids)))
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="privacy.purged",
        subject="store:retention",
        data={"deleted": asdict(report), "retention_days": days},
    )
    return report


def _tombstone(conn: Connection, firm_id: int, bidx: str, first_at: datetime, at: datetime) -> None:
    """Keep a purged do-not-call entry's keyed hash: the number stays suppressed."""
    d = t.dnc_tombstones.c
    known = conn.execute(select(d.id).where(d.firm_id == firm_id, d.number_bidx == bidx)).first()
    if known is None:
        conn.execute(
            insert(t.dnc_tombstones).values(
                firm_id=firm_id, number_bidx=bidx, first_at=first_at, purged_at=at
            )
        )


def _rows(conn: Connection, query: Any, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in drop} for r in conn.execute(query).mappings()]


def record_objection(
    conn: Connection,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    number: str,
    caller: Caller,
    at: datetime,
) -> int:
    """The person objected to direct marketing (GDPR Art. 21(2)); absolute from ``at``."""
    actor = authorize(conn, caller, "consent.write", firm_id)
    contact_id, _ = _contact(conn, cipher, firm_id, number)
    conn.execute(update(t.contacts).where(t.contacts.c.id == contact_id).values(objected_at=at))
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="privacy.objected",
        subject=f"contact:{contact_id}",
        data={"objected_at": at.isoformat()},
    )
    return contact_id


def record_reassigned_check(
    conn: Connection,
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
    actor = authorize(conn, caller, "consent.write", firm_id)
    if result not in ("no", "yes", "no_data"):
        raise RequestError("result", "must be 'no', 'yes' or 'no_data'")
    bidx = number_index(cipher, normalise(number))
    rid = t.new_id(
        conn.execute(
            insert(t.reassigned_checks).values(
                firm_id=firm_id,
                number_bidx=bidx,
                result=result,
                checked_on=checked_on,
                created_at=at,
            )
        )
    )
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="reassigned.checked",
        subject=f"rnd:{rid}",
        data={"result": result, "checked_on": str(checked_on)},
    )
    return rid
