"""SQL implementations of ``service.repos.people`` (contacts, their numbers, stated preferences and
debt facts; consents and revocations; suppression: do-not-call entries, tombstones, registry
snapshots, reassigned-number checks).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.fast import Fast
from lexdial.adapters.db.queries import contact_id_by_number
from lexdial.domain.states import UNDIALLED_QUEUE, AttemptStatus, QueueStatus
from lexdial.service.repos.people import (
    DebtFacts,
    PlainEvidence,
    StatedPreferences,
    StoredConsent,
    StoredContact,
    StoredNumber,
)

#: built once (issue 15 item 6): every gate and opt-out takes this lock
_LOCK_CONTACT = Fast(
    select(t.contacts.c.id).where(t.contacts.c.id == bindparam("contact_id")).with_for_update()
)
#: a batch of gates' contacts in one statement (PostgreSQL only), in id order: the rows are
#: sorted below the lock, so two batches that share contacts take them in the same order
#: and cannot deadlock on each other
_LOCK_CONTACTS = Fast(
    text("SELECT id FROM contacts WHERE id = ANY(:ids) ORDER BY id FOR UPDATE").bindparams(
        bindparam("ids", type_=ARRAY(Integer))
    )
)


class SqlContactRepository:
    """``ContactRepository`` over the evidence store."""

    __slots__ = ("_locked", "conn")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        #: contacts whose row lock this transaction holds: a row lock lasts until the
        #: transaction ends, so taking it again would only cost a round trip (the
        #: dialler's admission and its gate both lock the contact; a batch locks all its
        #: contacts first). A unit of work is one transaction (``SqlUnitOfWork``), and its
        #: savepoint's rollback, which would release locks taken inside it, forgets them.
        self._locked: set[int] = set()

    def find_id(self, firm_id: int, number_bidx: str) -> int | None:
        return contact_id_by_number(self.conn, firm_id, number_bidx)

    def lock(self, contact_id: int) -> None:
        # PostgreSQL: FOR UPDATE; SQLite: the transaction already holds the database write
        # lock (BEGIN IMMEDIATE), so there is nothing to take and no statement is sent
        if contact_id in self._locked:
            return
        if self.conn.dialect.name != "sqlite":
            _LOCK_CONTACT.run(self.conn, {"contact_id": contact_id})
        self._locked.add(contact_id)

    def lock_many(self, contact_ids: Collection[int]) -> None:
        todo = sorted(set(contact_ids) - self._locked)
        if todo and self.conn.dialect.name != "sqlite":
            # sent, not waited for, in a pipelined batch: the read that follows it (the
            # batch's facts) waits for both, and runs after the locks are held (``fast_pipe``)
            _LOCK_CONTACTS.send(self.conn, {"ids": todo})
        self._locked.update(todo)

    def forget_locks(self) -> None:
        """The transaction rolled back to a savepoint: locks taken since may be gone."""
        self._locked.clear()

    def add(self, row: Mapping[str, Any]) -> int:
        return t.new_id(self.conn.execute(insert(t.contacts).values(**row)))

    def add_number(self, row: Mapping[str, Any]) -> None:
        self.conn.execute(insert(t.contact_numbers).values(**row))

    def stated_preferences(self, contact_id: int) -> StatedPreferences:
        row = self.conn.execute(
            select(t.contacts.c.preferences, t.contacts.c.erased_at).where(
                t.contacts.c.id == contact_id
            )
        ).one()
        return StatedPreferences(row.preferences, row.erased_at)

    def set_preferences(self, contact_id: int, preferences: dict[str, Any] | None) -> None:
        self.conn.execute(
            update(t.contacts).where(t.contacts.c.id == contact_id).values(preferences=preferences)
        )

    def debt_facts(self, firm_id: int, debt_ref: str) -> DebtFacts | None:
        row = (
            self.conn.execute(
                select(t.debt_facts).where(
                    t.debt_facts.c.firm_id == firm_id, t.debt_facts.c.debt_ref == debt_ref
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        when = row["cease_requested_at"]
        barred = row["time_barred"]
        return DebtFacts(int(row["id"]), when, None if barred is None else bool(barred))

    def save_debt_facts(
        self, firm_id: int, debt_ref: str, values: Mapping[str, Any], at: datetime
    ) -> int:
        table = t.debt_facts
        existing = self.conn.execute(
            select(table.c.id).where(table.c.firm_id == firm_id, table.c.debt_ref == debt_ref)
        ).scalar_one_or_none()
        if existing is None:
            row = insert(table).values(firm_id=firm_id, debt_ref=debt_ref, updated_at=at, **values)
            return t.new_id(self.conn.execute(row))
        self.conn.execute(
            update(table).where(table.c.id == existing).values(updated_at=at, **values)
        )
        return int(existing)

    # (for api webhooks/public pages)
    def sealed_profile(self, contact_id: int) -> tuple[str | None, str | None]:
        c = t.contacts.c
        row = self.conn.execute(select(c.name_enc, c.address_enc).where(c.id == contact_id)).one()
        return row[0], row[1]

    def set_sealed_profile(self, contact_id: int, values: Mapping[str, str]) -> None:
        self.conn.execute(update(t.contacts).where(t.contacts.c.id == contact_id).values(**values))

    # (for contact edits)
    def stored(self, firm_id: int, contact_id: int) -> StoredContact | None:
        c = t.contacts.c
        row = self.conn.execute(
            select(
                c.id, c.name_enc, c.address_enc, c.matter_ref_enc, c.relationship, c.subscriber,
                c.matter_type, c.last_transaction_on, c.inquiry_on, c.erased_at,
            ).where(c.id == contact_id, c.firm_id == firm_id)
        ).first()  # fmt: skip
        if row is None:
            return None
        n = t.contact_numbers.c
        numbers = self.conn.execute(
            select(n.id, n.number_bidx, n.line_type)
            .where(n.contact_id == contact_id)
            .order_by(n.id)
        ).all()
        return StoredContact(
            id=int(row.id),
            name_enc=row.name_enc,
            address_enc=row.address_enc,
            matter_ref_enc=row.matter_ref_enc,
            relationship=row.relationship,
            subscriber=row.subscriber,
            matter_type=row.matter_type,
            last_transaction_on=row.last_transaction_on,
            inquiry_on=row.inquiry_on,
            erased_at=row.erased_at,
            numbers=tuple(StoredNumber(int(i), bidx, lt) for i, bidx, lt in numbers),
        )

    def correct(self, contact_id: int, values: Mapping[str, Any]) -> None:
        self.conn.execute(update(t.contacts).where(t.contacts.c.id == contact_id).values(**values))

    def set_line_type(self, number_id: int, line_type: str | None) -> None:
        self.conn.execute(
            update(t.contact_numbers)
            .where(t.contact_numbers.c.id == number_id)
            .values(line_type=line_type)
        )

    def queue_place(self, campaign_id: int, contact_id: int) -> str | None:
        q = t.campaign_contacts.c
        status = self.conn.execute(
            select(q.status).where(q.campaign_id == campaign_id, q.contact_id == contact_id)
        ).scalar_one_or_none()
        return None if status is None else str(status)

    def leave_campaign(
        self, campaign_id: int, contact_id: int, states: Collection[str], code: str
    ) -> bool:
        q = t.campaign_contacts.c
        # one conditional statement: a dialler that claimed the place in between wins, and
        # nothing is cancelled (the caller then says the call is in progress)
        left = self.conn.execute(
            update(t.campaign_contacts)
            .where(
                q.campaign_id == campaign_id,
                q.contact_id == contact_id,
                q.status.in_(tuple(states)),
            )
            .values(status=QueueStatus.CANCELLED, codes=[code])
        ).rowcount
        if not left:
            return False
        a = t.call_attempts.c
        self.conn.execute(
            update(t.call_attempts)
            .where(
                a.campaign_id == campaign_id,
                a.contact_id == contact_id,
                a.status == AttemptStatus.QUEUED,
            )
            .values(status=AttemptStatus.CANCELLED)
        )
        return True


class SqlConsentRepository:
    """``ConsentRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find_by_evidence(self, firm_id: int, evidence_sha256: str) -> int | None:
        dup = self.conn.execute(
            select(t.consents.c.id).where(
                t.consents.c.firm_id == firm_id, t.consents.c.evidence_sha256 == evidence_sha256
            )
        ).first()
        return None if dup is None else int(dup[0])

    def add(self, row: Mapping[str, Any]) -> int:
        return t.new_id(self.conn.execute(insert(t.consents).values(**row)))

    def is_on_file(self, firm_id: int, consent_id: int) -> bool:
        row = self.conn.execute(
            select(t.consents.c.id).where(
                t.consents.c.id == consent_id, t.consents.c.firm_id == firm_id
            )
        ).first()
        return row is not None

    def is_revoked(self, consent_id: int) -> bool:
        done = self.conn.execute(
            select(t.revocations.c.id).where(t.revocations.c.consent_id == consent_id)
        ).first()
        return done is not None

    def add_revocation(
        self,
        consent_id: int,
        at: datetime,
        channel: str,
        evidence_enc: str | None,
        created_at: datetime,
    ) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.revocations).values(
                    consent_id=consent_id,
                    at=at,
                    channel=channel,
                    evidence_enc=evidence_enc,
                    created_at=created_at,
                )
            )
        )

    def open_ids(self, firm_id: int, number_bidx: str) -> list[int]:
        ids = (
            self.conn.execute(
                select(t.consents.c.id)
                .select_from(
                    t.consents.outerjoin(
                        t.revocations, t.revocations.c.consent_id == t.consents.c.id
                    )
                )
                .where(
                    t.consents.c.firm_id == firm_id,
                    t.consents.c.number_bidx == number_bidx,
                    t.revocations.c.id.is_(None),
                )
            )
            .scalars()
            .all()
        )
        return [int(i) for i in ids]

    def for_number(self, firm_id: int, number_bidx: str) -> list[StoredConsent]:
        rows = self.conn.execute(
            select(
                t.consents,
                t.revocations.c.at.label("revoked_at"),
                t.revocations.c.channel.label("revoked_via"),
            )
            .select_from(
                t.consents.outerjoin(t.revocations, t.revocations.c.consent_id == t.consents.c.id)
            )
            .where(t.consents.c.firm_id == firm_id, t.consents.c.number_bidx == number_bidx)
            .order_by(t.consents.c.given_at)
        ).mappings()
        return [
            StoredConsent(
                id=r["id"],
                kind=r["kind"],
                scope=r["scope"],
                technologies=r["technologies"],
                sellers=r["sellers"],
                given_at=r["given_at"],
                method=r["method"],
                disclosure_version=r["disclosure_version"],
                disclosure_sha256=r["disclosure_sha256"],
                captured_by=r["captured_by"],
                document_ref=r["document_ref"],
                revoked_at=r["revoked_at"],
                revoked_via=r["revoked_via"],
                disclosure_text_enc=r["disclosure_text_enc"],
                user_agent_enc=r["user_agent_enc"],
                source_ip_enc=r["source_ip_enc"],
            )
            for r in rows
        ]

    def plain_evidence(self) -> list[PlainEvidence]:
        c = t.consents.c
        rows = self.conn.execute(
            select(c.id, c.disclosure_text, c.user_agent).where(
                or_(c.disclosure_text.is_not(None), c.user_agent.is_not(None))
            )
        ).all()
        return [PlainEvidence(int(row_id), text, agent) for row_id, text, agent in rows]

    def store_encrypted_evidence(
        self, consent_id: int, disclosure_text_enc: str | None, user_agent_enc: str | None
    ) -> None:
        values: dict[str, Any] = {"disclosure_text": None, "user_agent": None}
        if disclosure_text_enc is not None:
            values["disclosure_text_enc"] = disclosure_text_enc
        if user_agent_enc is not None:
            values["user_agent_enc"] = user_agent_enc
        self.conn.execute(update(t.consents).where(t.consents.c.id == consent_id).values(values))


class SqlSuppressionRepository:
    """``SuppressionRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def erased(self, firm_id: int, number_bidx: str) -> bool:
        hit = self.conn.execute(
            select(t.erasure_tombstones.c.id).where(
                t.erasure_tombstones.c.firm_id == firm_id,
                t.erasure_tombstones.c.number_bidx == number_bidx,
            )
        ).first()
        return hit is not None

    def first_dnc_entry(self, firm_id: int, number_bidx: str) -> int | None:
        listed = self.conn.execute(
            select(t.dnc_entries.c.id)
            .where(t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx == number_bidx)
            .order_by(t.dnc_entries.c.id)
            .limit(1)
        ).scalar()
        return None if listed is None else int(listed)

    def add_dnc_entry(
        self,
        firm_id: int,
        number_bidx: str,
        at: datetime,
        channel: str,
        evidence_enc: str | None,
    ) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.dnc_entries).values(
                    firm_id=firm_id,
                    number_bidx=number_bidx,
                    at=at,
                    channel=channel,
                    evidence_enc=evidence_enc,
                    created_at=at,
                )
            )
        )

    def cancel_queued(self, firm_id: int, number_bidx: str, contact_id: int | None) -> int:
        cancelled = self.conn.execute(
            update(t.call_attempts)
            .where(
                t.call_attempts.c.firm_id == firm_id,
                t.call_attempts.c.number_bidx == number_bidx,
                t.call_attempts.c.status == AttemptStatus.QUEUED,
            )
            .values(status=AttemptStatus.CANCELLED)
        ).rowcount
        if contact_id is not None:  # and the contact's place in every campaign's queue
            cancelled += self.conn.execute(
                update(t.campaign_contacts)
                .where(
                    t.campaign_contacts.c.contact_id == contact_id,
                    t.campaign_contacts.c.status.in_(UNDIALLED_QUEUE),
                )
                .values(status=QueueStatus.CANCELLED, codes=["INTERNAL_DNC"])
            ).rowcount
        return int(cancelled or 0)
