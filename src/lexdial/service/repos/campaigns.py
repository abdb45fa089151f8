"""Repository ports for campaigns and their contacts; the read models the reports and dashboards
are built from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """A stored campaign: its status, its settings (``None`` for a campaign made before
    settings were stored) and the columns the evidence report prints."""

    id: int
    firm_id: int
    status: str
    settings: Mapping[str, Any] | None
    name: str
    purpose: str
    technology: str
    mode: str
    created_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What verifying the audit chain found (``verify``'s result, in plain values)."""

    ok: bool
    count: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    bad_seq: int | None = None
    detail: str = ""

    @property
    def anchor(self) -> str:
        """The head as ``<seq>:<hash>``, the form an auditor compares later."""
        return f"{self.head_seq}:{self.head_hash}"


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The audit chain's last entry: its seq (0 for an empty chain) and hash. Named like the
    chain's anchor, so a checkpoint signer takes it as one."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class PlacedCall:
    """A call the gate let through: its attempt id, when, and the stored decision."""

    attempt_id: int
    at: datetime
    decision: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class OutcomeFlags:
    """One call outcome as the abandonment figures count it."""

    at: datetime
    live_answered: bool
    abandoned: bool


@dataclass(frozen=True, slots=True)
class DncEntry:
    """A do-not-call entry of the firm (no personal data: the number by blind index)."""

    id: int
    number_bidx: str
    at: datetime
    channel: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LaterAttempt:
    """A gate decision for a number, as the opt-out report reads it."""

    id: int
    at: datetime
    verdict: str | None
    status: str
    contact_id: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A registry snapshot as loaded."""

    list_name: str
    snapshot_on: date
    loaded_at: datetime
    count: int
    manifest_sha256: str


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A user as the training roster lists them (the name still encrypted)."""

    id: int
    email: str
    name_enc: str
    role: str
    active: bool


@dataclass(frozen=True, slots=True)
class Attestation:
    course: str
    attested_on: date
    expires_on: date


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A message in the review queue (its text still encrypted)."""

    id: int
    contact_id: int | None
    channel: str
    text_enc: str
    received_at: datetime | None = None
    due_at: datetime | None = None


class CampaignRepository(Protocol):
    """Campaigns, the contacts on their lists (``campaign_contacts``) and the dialler's lease."""

    def firm_name(self, firm_id: int) -> str:
        """The firm's name (the script facts and the lint judge the words against it)."""
        ...

    def add(self, firm_id: int, status: str, at: datetime, columns: Mapping[str, Any]) -> int:
        """Store a new campaign with the settings ``columns``; returns its id."""
        ...

    def update_draft(self, campaign_id: int, columns: Mapping[str, Any]) -> None:
        """Replace the settings columns of a campaign that is still a draft."""
        ...

    def get(self, campaign_id: int) -> CampaignRow | None: ...

    def status(self, campaign_id: int) -> str:
        """Just the status (raises when there is no such campaign)."""
        ...

    def set_status(self, campaign_id: int, current: str, new: str, at: datetime) -> None:
        """Move the campaign from ``current`` to ``new`` (nothing when it is no longer
        ``current``)."""
        ...

    def contacts_in_firm(self, firm_id: int, contact_ids: Iterable[int]) -> set[int]:
        """Which of ``contact_ids`` are the firm's contacts."""
        ...

    def listed_contacts(self, campaign_id: int) -> list[int]:
        """The contacts on the campaign's list."""
        ...

    def list_contacts(self, campaign_id: int, contact_ids: Iterable[int], status: str) -> None:
        """Put contacts (not yet listed) on the campaign's list with queue ``status``."""
        ...

    def cancel_queued(self, campaign_id: int, open_states: Iterable[str]) -> None:
        """Every listed contact still in one of ``open_states`` becomes cancelled."""
        ...

    def queue_counts(self, campaign_id: int) -> dict[str, int]: ...

    def take_lease(self, campaign_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """Hold the campaign for ``owner`` until ``until`` unless another owner's lease is
        still running at ``now``; False when refused."""
        ...

    def lease_until(self, campaign_id: int) -> datetime | None: ...

    def drop_lease(self, campaign_id: int, owner: str) -> None: ...

    def firm_settings(self, firm_id: int) -> list[Mapping[str, Any]]:
        """The stored settings of every campaign of the firm that has them."""
        ...

    # (for faults)
    def set_status_reason(self, campaign_id: int, reason: str | None) -> None:
        """Keep why the campaign is in its status (None: no reason to show)."""
        ...

    def status_reason(self, campaign_id: int) -> str | None:
        """Why the campaign is in its status, if a reason was kept."""
        ...


@dataclass(frozen=True, slots=True)
class NumberRecords:
    """The rows ``audit verify`` compares with the audit trail, for some numbers."""

    consents: list[dict[str, Any]]  #: with revoked_at, revoked_via, disclosure_text_enc
    attempts: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]  #: with their attempt's firm_id and number_bidx
    dnc: list[dict[str, Any]]


class ReportRepository(Protocol):
    """Read models for reports and evidence (attempts x outcomes, opt-outs, the audit chain)."""

    def abandonment(self, campaign_id: int, since: datetime) -> tuple[int, int]:
        """(abandoned, live-answered) outcomes of the campaign's calls after ``since``."""
        ...

    def attempt_statuses(self, campaign_id: int) -> dict[str, int]:
        """How many of the campaign's gate decisions ended in each attempt status."""
        ...

    def blocked_codes(self, campaign_id: int) -> list[list[str] | None]:
        """The reason codes of each blocked contact on the campaign's list."""
        ...

    def still_deferred(self, campaign_id: int) -> tuple[int, datetime | None]:
        """(count, earliest next_at) of listed contacts deferred or waiting to retry."""
        ...

    def outcome_counts(self, campaign_id: int) -> dict[str, int]: ...

    def opted_out_calls(self, campaign_id: int) -> list[tuple[str, datetime]]:
        """(number blind index, outcome time) of the campaign's calls where the person
        opted out."""
        ...

    def dnc_entries_until(self, firm_id: int, number_bidx: str, until: datetime) -> int:
        """How many of the firm's do-not-call entries for the number are from ``until`` or
        before."""
        ...

    def calls_after(
        self, firm_id: int, number_bidx: str, after: datetime, statuses: Iterable[str]
    ) -> int:
        """How many of the firm's attempts to the number after ``after`` are in
        ``statuses``."""
        ...

    def verify_audit(self, anchors: Iterable[tuple[int, str]] = ()) -> ChainCheck:
        """Walk and verify the whole audit chain; it must still hold every ``(seq, hash)``
        of ``anchors`` (signed checkpoints: a truncated or rewritten chain fails)."""
        ...

    def audit_head(self) -> AuditHead:
        """The chain's head now (seq 0 and the genesis hash for an empty chain)."""
        ...

    def audit_hash_at(self, seq: int) -> str | None:
        """The stored hash of entry ``seq`` (None: no such entry)."""
        ...

    def rulepacks(self, campaign_id: int) -> dict[str, int]:
        """How many of the campaign's decisions each rule-pack version made ("none": no
        version stored)."""
        ...

    def placed_calls(self, campaign_id: int, statuses: Iterable[str]) -> list[PlacedCall]:
        """The campaign's attempts in ``statuses``, oldest first."""
        ...

    def outcome_flags(self, campaign_id: int, until: datetime) -> list[OutcomeFlags]:
        """The campaign's call outcomes up to ``until``, oldest first."""
        ...

    def dnc_entries_for_campaign(self, firm_id: int, campaign_id: int) -> list[DncEntry]:
        """The firm's do-not-call entries for any number the campaign called or listed,
        oldest first."""
        ...

    def attempts_since(self, firm_id: int, number_bidx: str, since: datetime) -> list[LaterAttempt]:
        """The firm's gate decisions for the number from ``since`` on, oldest first."""
        ...

    def number_owner(self, firm_id: int, number_bidx: str) -> int | None:
        """The firm's contact who has this number (None: nobody, e.g. erased)."""
        ...

    def registry_snapshots(self, until: datetime) -> list[Snapshot]:
        """Snapshots loaded up to ``until``, by list and newest first."""
        ...

    def staff(self, firm_id: int) -> list[StaffMember]:
        """The firm's users, by id."""
        ...

    def attestations(self, user_id: int) -> list[Attestation]:
        """A user's training attestations, oldest first."""
        ...

    def dnc_list_summary(self, firm_id: int) -> tuple[int, datetime | None]:
        """(entries, the oldest entry's time) of the firm's own do-not-call list."""
        ...

    def contact_attempts(self, contact_id: int) -> list[dict[str, Any]]:
        """Every gate decision about the contact (all its columns), oldest first."""
        ...

    def contact_outcomes(self, contact_id: int) -> list[dict[str, Any]]:
        """Every outcome of a call to the contact (all its columns)."""
        ...

    def dnc_for_number(self, firm_id: int, number_bidx: str) -> list[dict[str, Any]]:
        """The firm's do-not-call entries for the number (id, at, channel)."""
        ...

    def audit_entries_about(self, subjects: Iterable[str]) -> list[dict[str, Any]]:
        """The audit entries (all their columns) about any of ``subjects``, by seq."""
        ...

    def audit_entries_naming(self, contact_id: int) -> list[dict[str, Any]]:
        """The audit entries (all their columns) whose data names the contact
        (``"contact": contact_id``), by seq: its decisions, consents and opt-outs as they
        were recorded, whether or not their rows are still in the store."""
        ...

    def present_ids(self, kind: str, ids: Iterable[int]) -> set[int]:
        """Which of ``ids`` still have a row ("consent": ``consents``, "dnc":
        ``dnc_entries``, "attempt": ``call_attempts``), whichever number or firm it
        belongs to."""
        ...

    # (for audit verify: every record of the store, number by number)
    def record_numbers(self, after: str | None, limit: int) -> list[str]:
        """The next ``limit`` number blind indexes after ``after``, in order, that any
        consent, gate decision or do-not-call entry of any firm is about."""
        ...

    def count_record_numbers(self) -> int:
        """How many numbers ``record_numbers`` walks."""
        ...

    def records_of_numbers(self, number_bidxs: Iterable[str]) -> NumberRecords:
        """Every consent (with its revocation), gate decision, call outcome and do-not-call
        entry about any of the numbers, in any firm; each row with its ``firm_id`` and
        ``number_bidx`` (an outcome: its attempt's)."""
        ...

    def audit_entries_of(
        self, actions: Iterable[str], after_seq: int, limit: int
    ) -> list[dict[str, Any]]:
        """The next ``limit`` audit entries (all their columns) after ``after_seq`` whose
        action is one of ``actions``, by seq."""
        ...

    def contact_firms(self, contact_ids: Iterable[int]) -> dict[int, int]:
        """contact id -> its firm, for the contacts that exist."""
        ...

    # (for cli)
    def add_registry_snapshot(self, snapshot: Snapshot) -> int:
        """Keep a loaded registry snapshot (list, date, count, manifest digest); its id."""
        ...
