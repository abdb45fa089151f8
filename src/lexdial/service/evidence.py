"""The evidence bundle a lawyer needs in a TCPA suit, for one number.

Every consent with its disclosure text, every decision with its reasons and rule-pack
version, every opt-out and call, and for each audit entry about them the chain proof:
the entry's seq, hash and prev_hash, plus the head of the verified chain they belong to.
"""

from __future__ import annotations

from typing import Any

from lexdial.errors import NotFoundError
from lexdial.service.consent import consents_for
from lexdial.service.contacts import normalise, number_index
from lexdial.service.ports import Cipher
from lexdial.service.storage import UnitOfWork


def bundle(uow: UnitOfWork, cipher: Cipher, firm_id: int, number: str) -> dict[str, Any]:
    """Everything that proves how the firm treated ``number`` (JSON-ready)."""
    e164 = normalise(number)
    bidx = number_index(cipher, e164)
    reports = uow.reports
    contact_id = reports.number_owner(firm_id, bidx)
    if contact_id is None:
        raise NotFoundError("number", "no contact has this number")
    # transitional: consent.consents_for takes a connection until the people area moves
    consents = consents_for(uow, cipher, firm_id, e164)
    attempts = reports.contact_attempts(contact_id)
    outcomes = reports.contact_outcomes(contact_id)
    dnc = reports.dnc_for_number(firm_id, bidx)
    subjects = [
        f"contact:{contact_id}",
        *(f"consent:{c['id']}" for c in consents),
        *(f"attempt:{a['id']}" for a in attempts),
        *(f"dnc:{d['id']}" for d in dnc),
    ]
    entries = reports.audit_entries_about(subjects)
    chain = reports.verify_audit()
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
            "head": chain.anchor,
            "problem": chain.problem,
            "bad_seq": chain.bad_seq,
            "how_to_check": "hash = sha256(prev_hash + canonical JSON of the entry "
            "without its hash); each prev_hash is the hash of the entry before it",
        },
    }
