"""In-memory fakes of ``service.repos.people`` for unit tests of the services.

Rows are kept as the dicts the services build (``contact_row``, ``consent_row``) with an
``id`` added, so a test can look at what was stored; what the SQL adapter answers (lookups,
counts, ids) the fakes answer the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lexdial.domain.states import UNDIALLED_QUEUE, AttemptStatus, QueueStatus
from lexdial.service.repos.people import (
    DebtFacts,
    PlainEvidence,
    StatedPreferences,
    StoredConsent,
    StoredContact,
    StoredNumber,
)


@dataclass
class MemoryContactRepository:
    """``ContactRepository`` kept in dicts and lists; no database."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    numbers: list[dict[str, Any]] = field(default_factory=list)
    debts: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    #: contact ids in the order their lock was taken (a test asks "was it locked?")
    locked: list[int] = field(default_factory=list)
    #: (campaign id, contact id) -> the contact's place in that campaign's queue
    #: ({"status", "codes"}); a test puts places here
    places: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    #: queued call attempts ({"campaign_id", "contact_id", "status"}) a removal cancels
    queued: list[dict[str, Any]] = field(default_factory=list)

    def find_id(self, firm_id: int, number_bidx: str) -> int | None:
        for n in self.numbers:
            if n["firm_id"] == firm_id and n["number_bidx"] == number_bidx:
                return int(n["contact_id"])
        return None

    def lock(self, contact_id: int) -> None:
        self.locked.append(contact_id)

    def lock_many(self, contact_ids: Collection[int]) -> None:
        self.locked.extend(sorted(set(contact_ids)))

    def add(self, row: Mapping[str, Any]) -> int:
        contact_id = len(self.contacts) + 1
        self.contacts[contact_id] = {"preferences": None, "erased_at": None, **row}
        return contact_id

    def add_number(self, row: Mapping[str, Any]) -> None:
        if self.find_id(row["firm_id"], row["number_bidx"]) is not None:
            raise ValueError("unique constraint: a firm's number belongs to one contact")
        self.numbers.append({"id": len(self.numbers) + 1, **row})

    def stated_preferences(self, contact_id: int) -> StatedPreferences:
        row = self.contacts[contact_id]
        return StatedPreferences(row["preferences"], row["erased_at"])

    def set_preferences(self, contact_id: int, preferences: dict[str, Any] | None) -> None:
        self.contacts[contact_id]["preferences"] = preferences

    def debt_facts(self, firm_id: int, debt_ref: str) -> DebtFacts | None:
        row = self.debts.get((firm_id, debt_ref))
        if row is None:
            return None
        return DebtFacts(row["id"], row.get("cease_requested_at"), row.get("time_barred"))

    def save_debt_facts(
        self, firm_id: int, debt_ref: str, values: Mapping[str, Any], at: datetime
    ) -> int:
        row = self.debts.setdefault((firm_id, debt_ref), {"id": len(self.debts) + 1})
        row.update(values, updated_at=at)
        return int(row["id"])

    # (for api webhooks/public pages)
    def sealed_profile(self, contact_id: int) -> tuple[str | None, str | None]:
        row = self.contacts[contact_id]
        return row.get("name_enc"), row.get("address_enc")

    def set_sealed_profile(self, contact_id: int, values: Mapping[str, str]) -> None:
        self.contacts[contact_id].update(values)

    # (for contact edits)
    def stored(self, firm_id: int, contact_id: int) -> StoredContact | None:
        row = self.contacts.get(contact_id)
        if row is None or row["firm_id"] != firm_id:
            return None
        return StoredContact(
            id=contact_id,
            name_enc=row.get("name_enc"),
            address_enc=row.get("address_enc"),
            matter_ref_enc=row.get("matter_ref_enc"),
            relationship=row.get("relationship", "none"),
            subscriber=row.get("subscriber"),
            matter_type=row.get("matter_type"),
            last_transaction_on=row.get("last_transaction_on"),
            inquiry_on=row.get("inquiry_on"),
            erased_at=row.get("erased_at"),
            numbers=tuple(
                StoredNumber(n["id"], n["number_bidx"], n.get("line_type"))
                for n in self.numbers
                if n["contact_id"] == contact_id
            ),
        )

    def correct(self, contact_id: int, values: Mapping[str, Any]) -> None:
        self.contacts[contact_id].update(values)

    def set_line_type(self, number_id: int, line_type: str | None) -> None:
        for n in self.numbers:
            if n["id"] == number_id:
                n["line_type"] = line_type

    def queue_place(self, campaign_id: int, contact_id: int) -> str | None:
        place = self.places.get((campaign_id, contact_id))
        return None if place is None else str(place["status"])

    def leave_campaign(
        self, campaign_id: int, contact_id: int, states: Collection[str], code: str
    ) -> bool:
        place = self.places.get((campaign_id, contact_id))
        if place is None or place["status"] not in states:
            return False
        place.update(status=QueueStatus.CANCELLED, codes=[code])
        for a in self.queued:
            if (a["campaign_id"], a["contact_id"], a["status"]) == (
                campaign_id, contact_id, AttemptStatus.QUEUED,
            ):  # fmt: skip
                a["status"] = AttemptStatus.CANCELLED
        return True


@dataclass
class MemoryConsentRepository:
    """``ConsentRepository`` kept in dicts and lists; no database."""

    consents: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: consent id -> its revocation
    revocations: dict[int, dict[str, Any]] = field(default_factory=dict)

    def find_by_evidence(self, firm_id: int, evidence_sha256: str) -> int | None:
        for cid, row in self.consents.items():
            if row["firm_id"] == firm_id and row["evidence_sha256"] == evidence_sha256:
                return cid
        return None

    def add(self, row: Mapping[str, Any]) -> int:
        consent_id = len(self.consents) + 1
        self.consents[consent_id] = {"disclosure_text": None, "user_agent": None, **row}
        return consent_id

    def is_on_file(self, firm_id: int, consent_id: int) -> bool:
        row = self.consents.get(consent_id)
        return row is not None and row["firm_id"] == firm_id

    def is_revoked(self, consent_id: int) -> bool:
        return consent_id in self.revocations

    def add_revocation(
        self,
        consent_id: int,
        at: datetime,
        channel: str,
        evidence_enc: str | None,
        created_at: datetime,
    ) -> int:
        if consent_id in self.revocations:
            raise ValueError("unique constraint: a consent is revoked once")
        rid = len(self.revocations) + 1
        self.revocations[consent_id] = {
            "id": rid,
            "at": at,
            "channel": channel,
            "evidence_enc": evidence_enc,
            "created_at": created_at,
        }
        return rid

    def open_ids(self, firm_id: int, number_bidx: str) -> list[int]:
        return [
            cid
            for cid, row in self.consents.items()
            if row["firm_id"] == firm_id
            and row["number_bidx"] == number_bidx
            and cid not in self.revocations
        ]

    def for_number(self, firm_id: int, number_bidx: str) -> list[StoredConsent]:
        mine = [
            (cid, row)
            for cid, row in self.consents.items()
            if row["firm_id"] == firm_id and row["number_bidx"] == number_bidx
        ]
        out = []
        for cid, row in sorted(mine, key=lambda item: item[1]["given_at"]):
            revoked = self.revocations.get(cid) or {}
            out.append(
                StoredConsent(
                    id=cid,
                    kind=row["kind"],
                    scope=row["scope"],
                    technologies=row["technologies"],
                    sellers=row["sellers"],
                    given_at=row["given_at"],
                    method=row["method"],
                    disclosure_version=row["disclosure_version"],
                    disclosure_sha256=row["disclosure_sha256"],
                    captured_by=row["captured_by"],
                    document_ref=row["document_ref"],
                    revoked_at=revoked.get("at"),
                    revoked_via=revoked.get("channel"),
                    disclosure_text_enc=row["disclosure_text_enc"],
                    user_agent_enc=row["user_agent_enc"],
                    source_ip_enc=row["source_ip_enc"],
                )
            )
        return out

    def plain_evidence(self) -> list[PlainEvidence]:
        return [
            PlainEvidence(cid, row["disclosure_text"], row["user_agent"])
            for cid, row in self.consents.items()
            if row["disclosure_text"] is not None or row["user_agent"] is not None
        ]

    def store_encrypted_evidence(
        self, consent_id: int, disclosure_text_enc: str | None, user_agent_enc: str | None
    ) -> None:
        row = self.consents[consent_id]
        row.update(disclosure_text=None, user_agent=None)
        if disclosure_text_enc is not None:
            row["disclosure_text_enc"] = disclosure_text_enc
        if user_agent_enc is not None:
            row["user_agent_enc"] = user_agent_enc


@dataclass
class QueuedCall:
    """A queued call attempt (``call_attempts``) as the opt-out sees it."""

    firm_id: int
    number_bidx: str
    status: str = AttemptStatus.QUEUED


@dataclass
class QueuePlace:
    """A contact's place in one campaign's queue (``campaign_contacts``)."""

    contact_id: int
    status: str = QueueStatus.PENDING
    codes: list[str] | None = None


@dataclass
class MemorySuppressionRepository:
    """``SuppressionRepository`` kept in dicts and lists; no database."""

    #: (firm id, number blind index) of erased people
    erasure_tombstones: set[tuple[int, str]] = field(default_factory=set)
    dnc_entries: list[dict[str, Any]] = field(default_factory=list)
    #: the queue an opt-out empties: tests put attempts and campaign places here
    attempts: list[QueuedCall] = field(default_factory=list)
    places: list[QueuePlace] = field(default_factory=list)

    def erased(self, firm_id: int, number_bidx: str) -> bool:
        return (firm_id, number_bidx) in self.erasure_tombstones

    def first_dnc_entry(self, firm_id: int, number_bidx: str) -> int | None:
        for e in self.dnc_entries:
            if e["firm_id"] == firm_id and e["number_bidx"] == number_bidx:
                return int(e["id"])
        return None

    def add_dnc_entry(
        self,
        firm_id: int,
        number_bidx: str,
        at: datetime,
        channel: str,
        evidence_enc: str | None,
    ) -> int:
        entry_id = len(self.dnc_entries) + 1
        self.dnc_entries.append(
            {
                "id": entry_id,
                "firm_id": firm_id,
                "number_bidx": number_bidx,
                "at": at,
                "channel": channel,
                "evidence_enc": evidence_enc,
                "created_at": at,
            }
        )
        return entry_id

    def cancel_queued(self, firm_id: int, number_bidx: str, contact_id: int | None) -> int:
        cancelled = 0
        for a in self.attempts:
            if (
                a.firm_id == firm_id
                and a.number_bidx == number_bidx
                and a.status == AttemptStatus.QUEUED
            ):
                a.status = AttemptStatus.CANCELLED
                cancelled += 1
        for p in self.places:
            if p.contact_id == contact_id and p.status in UNDIALLED_QUEUE:
                p.status, p.codes = QueueStatus.CANCELLED, ["INTERNAL_DNC"]
                cancelled += 1
        return cancelled
