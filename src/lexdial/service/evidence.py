"""The evidence bundle a lawyer needs in a TCPA suit, for one number.

Every consent with its disclosure text, every decision with its reasons and rule-pack
version, every opt-out and call, and for each audit entry about them the chain proof:
the entry's seq, hash and prev_hash, plus the head of the verified chain they belong to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select

from lexdial.adapters.audit.chain import verify
from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.errors import RequestError
from lexdial.service.consent import consents_for
from lexdial.service.contacts import find_contact_id, normalise, number_index
from lexdial.service.ports import Cipher


def bundle(conn: Connection, cipher: Cipher, firm_id: int, number: str) -> dict[str, Any]:
    """Everything that proves how the firm treated ``number`` (JSON-ready)."""
    e164 = normalise(number)
    bidx = number_index(cipher, e164)
    contact_id = find_contact_id(SqlUnitOfWork(conn), firm_id, bidx)
    if contact_id is None:
        raise RequestError("number", "no contact has this number")
    consents = consents_for(SqlUnitOfWork(conn), cipher, firm_id, e164)
    attempts = (
        conn.execute(
            select(t.call_attempts)
            .where(t.call_attempts.c.contact_id == contact_id)
            .order_by(t.call_attempts.c.at)
        )
        .mappings()
        .all()
    )
    outcomes = (
        conn.execute(
            select(t.call_outcomes)
            .join(t.call_attempts, t.call_attempts.c.id == t.call_outcomes.c.attempt_id)
            .where(t.call_attempts.c.contact_id == contact_id)
        )
        .mappings()
        .all()
    )
    dnc = (
        conn.execute(
            select(t.dnc_entries.c.id, t.dnc_entries.c.at, t.dnc_entries.c.channel).where(
                t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx == bidx
            )
        )
        .mappings()
        .all()
    )
    subjects = [
        f"contact:{contact_id}",
        *(f"consent:{c['id']}" for c in consents),
        *(f"attempt:{a['id']}" for a in attempts),
        *(f"dnc:{d['id']}" for d in dnc),
    ]
    entries = (
        conn.execute(
            select(t.audit_log)
            .where(or_(t.audit_log.c.subject.in_(subjects)))
            .order_by(t.audit_log.c.seq)
        )
        .mappings()
        .all()
    )
    chain = verify(SqlAuditStore(conn))
    return {
        "number": e164,
        "contact_id": contact_id,
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
            "head": str(chain.head),
            "problem": chain.problem,
            "bad_seq": chain.bad_seq,
            "how_to_check": "hash = sha256(prev_hash + canonical JSON of the entry "
            "without its hash); each prev_hash is the hash of the entry before it",
        },
    }
