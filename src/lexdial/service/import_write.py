"""Writing a checked import in bulk: a few statements per thousand rows, not ten per row.

Rule 1: the rows are the ones ``import_rows`` checked; everything lands in the caller's
one transaction, so a failure anywhere leaves nothing (all or nothing, as before).
Rule 2: each row is built by the same function the one-at-a-time path uses
(``contacts.contact_row``/``number_row``, ``consent.consent_row``): what is encrypted, and
how, is decided in one place. Existing numbers, erasure tombstones and duplicate consents
are found with one query per ``CHUNK`` numbers instead of one per row.
Rule 3: every contact created and every consent recorded gets its own audit entry, as
when added one by one, chained in one write per chunk (``ports.record_all``).
Rule 4: progress is reported after each chunk is written (people written / people), so
a bar shows what has been done, not what has been read.
Rule 5: how rows reach the database in bulk (ids reserved ahead, SQLite's bare
executemany, Python's collector paused, a larger page cache) is the adapter's business:
``uow.inbox`` (``adapters.db.repos.inbox`` over ``adapters.db.bulk``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from lexdial.service import consent as ledger
from lexdial.service import contacts
from lexdial.service.name_index import tokens_for
from lexdial.service.ports import Audit, AuditItem, Cipher, record_all
from lexdial.service.storage import UnitOfWork

#: numbers per IN (...) query and people per written chunk
CHUNK = 2_000
T = TypeVar("T")


@dataclass(slots=True)
class Person:
    """One number's contact and the consents of the rows that name it (already checked)."""

    e164: str
    contact: contacts.NewContact
    consents: list[ledger.NewConsent] = field(default_factory=list)
    #: the number's blind index when the caller already made it (else made here)
    bidx: str = ""


@dataclass(slots=True)
class Counts:
    created: int = 0
    existing: int = 0
    consents_added: int = 0
    consents_existing: int = 0


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    people: Sequence[Person],
    actor: str,
    at: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> Counts:
    """Write ``people`` (see the module's rules); returns what was created and found."""
    n = Counts()
    bidx = {p.e164: p.bidx or contacts.number_index(cipher, p.e164) for p in people}
    seen_consents: set[str] = set()
    done = 0
    for part in chunks(people):
        owner = uow.inbox.numbers_on_file(firm_id, [bidx[p.e164] for p in part])
        n.existing += len(owner)
        audit_items = _add_contacts(uow, cipher, firm_id, part, bidx, owner, actor, at)
        n.created += len(audit_items)
        added, existing, more = _add_consents(
            uow, cipher, firm_id, part, bidx, owner, seen_consents, actor, at
        )
        n.consents_added += added
        n.consents_existing += existing
        record_all(audit, uow, audit_items + more)
        done += len(part)
        if on_progress is not None:
            on_progress(done, len(people))
    return n


def _add_contacts(
    uow: UnitOfWork,
    cipher: Cipher,
    firm_id: int,
    part: Sequence[Person],
    bidx: dict[str, str],
    owner: dict[str, int],
    actor: str,
    at: datetime,
) -> list[AuditItem]:
    """Insert the people whose number is not on file; ``owner`` learns their ids."""
    new = [p for p in part if bidx[p.e164] not in owner]
    if not new:
        return []
    ids = uow.inbox.new_contact_ids(len(new))
    rows = [
        {"id": cid, **contacts.contact_row(cipher, firm_id, p.contact, at)}
        for p, cid in zip(new, ids, strict=True)
    ]
    uow.inbox.insert_contacts(rows)
    numbers, items = [], []
    for p, cid in zip(new, ids, strict=True):
        owner[bidx[p.e164]] = int(cid)
        line_type = p.contact.numbers[0][1]
        numbers.append(
            contacts.number_row(cipher, firm_id, cid, p.e164, bidx[p.e164], line_type, True, at)
        )
        items.append(
            AuditItem(at, actor, "contact.created", f"contact:{cid}",
                      {"numbers": 1, "relationship": p.contact.relationship, "via": "import"})
        )  # fmt: skip
    uow.inbox.insert_contact_numbers(numbers)
    # (for desk) the directory's name tokens, one batch for the chunk
    uow.desk.add_name_tokens_many(
        [(firm_id, int(cid),
          tokens_for(cipher, p.contact.name, p.contact.matter_type, p.contact.matter_ref))
         for p, cid in zip(new, ids, strict=True)]
    )  # fmt: skip
    return items


def _add_consents(
    uow: UnitOfWork,
    cipher: Cipher,
    firm_id: int,
    part: Sequence[Person],
    bidx: dict[str, str],
    owner: dict[str, int],
    seen: set[str],
    actor: str,
    at: datetime,
) -> tuple[int, int, list[AuditItem]]:
    """Insert the consents the ledger does not hold yet (the same evidence twice, in the
    store or earlier in the file, counts as existing, as ``record_consent`` refuses it)."""
    planned = []
    for p in part:
        b = bidx[p.e164]
        for new in p.consents:
            sha = ledger.disclosure_hash(new)
            planned.append((owner[b], b, new, sha, ledger.evidence_fingerprint(b, new, sha)))
    # the same evidence is a duplicate within the firm only (another firm's consent binds
    # that firm alone)
    on_file = uow.inbox.consents_on_file(firm_id, [x[4] for x in planned])
    fresh = []
    for x in planned:
        if x[4] not in on_file and x[4] not in seen:
            seen.add(x[4])
            fresh.append(x)
    ids = uow.inbox.new_consent_ids(len(fresh))
    rows = [
        {"id": consent_id, **ledger.consent_row(cipher, firm_id, cid, b, new, sha, fingerprint, at)}
        for (cid, b, new, sha, fingerprint), consent_id in zip(fresh, ids, strict=True)
    ]
    items = []
    if rows:
        uow.inbox.insert_consents(rows)
        for (cid, _, new, sha, _), consent_id in zip(fresh, ids, strict=True):
            items.append(
                AuditItem(at, actor, "consent.recorded", f"consent:{consent_id}",
                          ledger.consent_audit_data(cid, new, sha))
            )  # fmt: skip
    return len(rows), len(planned) - len(rows), items
