"""Repository ports for contacts, their numbers, stated preferences and debt facts; consents and
revocations; suppression: do-not-call entries, tombstones, registry snapshots, reassigned-number
checks.

Rule 1: rows go in as the plain values the services build (``contacts.contact_row``,
``consent.consent_row``: what is encrypted is decided there, once) and come out as the small
frozen values below, never as database rows.
Rule 2: ``ContactRepository.lock`` is the row lock the dial-time gate and the opt-out share;
an implementation must make two holders of the same contact's lock wait for each other until
the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite's write lock already does).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StatedPreferences:
    """A contact's stated preferences (JSON as stored) and whether their data was erased."""

    preferences: dict[str, Any] | None
    erased_at: datetime | None


@dataclass(frozen=True, slots=True)
class DebtFacts:
    """One debt's stored facts (``None``: not stated)."""

    id: int
    cease_requested_at: datetime | None
    time_barred: bool | None


@dataclass(frozen=True, slots=True)
class StoredConsent:
    """A consent on file with its revocation, if any; free text still encrypted."""

    id: int
    kind: str
    scope: Any
    technologies: Any
    sellers: Any
    given_at: datetime
    method: str
    disclosure_version: str
    disclosure_sha256: str
    captured_by: str
    document_ref: str | None
    revoked_at: datetime | None
    revoked_via: str | None
    disclosure_text_enc: str | None
    user_agent_enc: str | None
    source_ip_enc: str | None


@dataclass(frozen=True, slots=True)
class PlainEvidence:
    """A consent whose disclosure text or user agent is still stored in plain (before 0004)."""

    id: int
    disclosure_text: str | None
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class StoredNumber:
    """One of a contact's numbers as an edit sees it (the number itself by blind index)."""

    id: int
    number_bidx: str
    line_type: str | None


@dataclass(frozen=True, slots=True)
class StoredContact:
    """A contact's correctable fields as stored (personal data still encrypted), for an
    edit to compare with and rewrite; numbers in the order they were added."""

    id: int
    name_enc: str | None
    address_enc: str | None
    matter_ref_enc: str | None
    relationship: str
    subscriber: str | None
    matter_type: str | None
    last_transaction_on: date | None
    inquiry_on: date | None
    erased_at: datetime | None
    numbers: tuple[StoredNumber, ...]


class ContactRepository(Protocol):
    """Contacts, their numbers (by blind index), stated preferences and debt facts."""

    def find_id(self, firm_id: int, number_bidx: str) -> int | None:
        """The contact of this firm with this number, if any."""
        ...

    def lock(self, contact_id: int) -> None:
        """Take the contact's row lock until the transaction ends (gate and opt-out share it)."""
        ...

    def lock_many(self, contact_ids: Collection[int]) -> None:
        """Take these contacts' row locks, in id order, until the transaction ends (a batch
        of gates: one statement, and no deadlock with another batch sharing contacts)."""
        ...

    def add(self, row: Mapping[str, Any]) -> int:
        """Insert a ``contacts`` row (``contacts.contact_row``); its id."""
        ...

    def add_number(self, row: Mapping[str, Any]) -> None:
        """Insert a ``contact_numbers`` row (``contacts.number_row``)."""
        ...

    def stated_preferences(self, contact_id: int) -> StatedPreferences:
        """The contact's preferences as stored (the contact must exist)."""
        ...

    def set_preferences(self, contact_id: int, preferences: dict[str, Any] | None) -> None:
        """Replace the contact's stored preferences."""
        ...

    def debt_facts(self, firm_id: int, debt_ref: str) -> DebtFacts | None:
        """The firm's stored facts of one debt, if any."""
        ...

    def save_debt_facts(
        self, firm_id: int, debt_ref: str, values: Mapping[str, Any], at: datetime
    ) -> int:
        """Set the given facts (``cease_requested_at``/``time_barred``) of one debt, creating
        its row if needed; the row's id."""
        ...

    # (for api webhooks/public pages)
    def sealed_profile(self, contact_id: int) -> tuple[str | None, str | None]:
        """The contact's encrypted name and address (None where not recorded)."""
        ...

    def set_sealed_profile(self, contact_id: int, values: Mapping[str, str]) -> None:
        """Replace the given encrypted fields (``name_enc``, ``address_enc``)."""
        ...

    # (for contact edits)
    def stored(self, firm_id: int, contact_id: int) -> StoredContact | None:
        """The firm's contact as stored (None: no such contact in this firm)."""
        ...

    def correct(self, contact_id: int, values: Mapping[str, Any]) -> None:
        """Replace the given ``contacts`` columns (as ``contacts.contact_row`` builds them)."""
        ...

    def set_line_type(self, number_id: int, line_type: str | None) -> None:
        """Replace one ``contact_numbers`` row's line type."""
        ...

    def queue_place(self, campaign_id: int, contact_id: int) -> str | None:
        """The contact's queue status in the campaign (None: not on its list)."""
        ...

    def leave_campaign(
        self, campaign_id: int, contact_id: int, states: Collection[str], code: str
    ) -> bool:
        """Cancel the contact's place in the campaign if it is still in one of ``states``
        (with reason ``code``), and then the contact's queued attempts of that campaign;
        False (and nothing changed) when the place had left ``states`` meanwhile."""
        ...


class ConsentRepository(Protocol):
    """The consent ledger and its revocations (append-only: nothing here edits a consent's
    facts)."""

    def find_by_evidence(self, firm_id: int, evidence_sha256: str) -> int | None:
        """The firm's consent recorded with this evidence fingerprint, if any."""
        ...

    def add(self, row: Mapping[str, Any]) -> int:
        """Insert a ``consents`` row (``consent.consent_row``); its id."""
        ...

    def is_on_file(self, firm_id: int, consent_id: int) -> bool:
        """Whether consent ``consent_id`` exists and is this firm's."""
        ...

    def is_revoked(self, consent_id: int) -> bool:
        """Whether the consent already has its revocation."""
        ...

    def add_revocation(
        self,
        consent_id: int,
        at: datetime,
        channel: str,
        evidence_enc: str | None,
        created_at: datetime,
    ) -> int:
        """Record the consent's revocation; its id."""
        ...

    def open_ids(self, firm_id: int, number_bidx: str) -> list[int]:
        """Ids of the firm's consents for this number that are not revoked."""
        ...

    def for_number(self, firm_id: int, number_bidx: str) -> list[StoredConsent]:
        """Every consent of the firm for this number, oldest given first."""
        ...

    def plain_evidence(self) -> list[PlainEvidence]:
        """Consents with free text still in plain (stored before migration 0004)."""
        ...

    def store_encrypted_evidence(
        self, consent_id: int, disclosure_text_enc: str | None, user_agent_enc: str | None
    ) -> None:
        """Empty the plain columns of a consent, keeping the encrypted text given (``None``:
        that encrypted column is left as it is)."""
        ...


class SuppressionRepository(Protocol):
    """Do-not-call entries, erasure tombstones, and the queue an opt-out empties."""

    def erased(self, firm_id: int, number_bidx: str) -> bool:
        """Whether an erasure tombstone exists for the number (it may not be re-imported)."""
        ...

    def first_dnc_entry(self, firm_id: int, number_bidx: str) -> int | None:
        """The id of the number's first internal do-not-call entry, if listed."""
        ...

    def add_dnc_entry(
        self,
        firm_id: int,
        number_bidx: str,
        at: datetime,
        channel: str,
        evidence_enc: str | None,
    ) -> int:
        """Put the number on the firm's internal do-not-call list; the entry's id."""
        ...

    def cancel_queued(self, firm_id: int, number_bidx: str, contact_id: int | None) -> int:
        """Cancel every queued attempt for the number and (given the contact) the contact's
        pending place in every campaign (code ``INTERNAL_DNC``); how many were cancelled."""
        ...
