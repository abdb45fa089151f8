"""In-memory fakes of ``service.repos.campaigns`` for unit tests of the services.

The fakes hold only what these repositories read: a test seeds the firms and contacts it
needs (``firms``, ``contacts``) and, for reports, the attempts and outcomes (``attempts``,
``outcomes``) and do-not-call entries (``dnc``) as plain records.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from lexdial.domain.states import CampaignStatus, QueueStatus
from lexdial.service.repos.campaigns import (
    Attestation,
    AuditHead,
    CampaignRow,
    ChainCheck,
    DncEntry,
    LaterAttempt,
    NumberRecords,
    OutcomeFlags,
    PlacedCall,
    Snapshot,
    StaffMember,
)


@dataclass
class _Stored:
    row: CampaignRow
    columns: dict[str, Any]
    lease_owner: str | None = None
    lease_until: datetime | None = None


@dataclass
class _Listed:
    contact_id: int
    status: str
    codes: list[str] | None = None
    next_at: datetime | None = None


class MemoryCampaignRepository:
    """``CampaignRepository`` kept in dicts and lists; no database."""

    def __init__(self) -> None:
        self.firms: dict[int, str] = {}
        #: contact id -> firm id (seeded by the test)
        self.contacts: dict[int, int] = {}
        self.rows: dict[int, _Stored] = {}
        #: campaign id -> its list, in insertion order
        self.queue: dict[int, list[_Listed]] = {}

    def firm_name(self, firm_id: int) -> str:
        return self.firms[firm_id]

    def add(self, firm_id: int, status: str, at: datetime, columns: Mapping[str, Any]) -> int:
        campaign_id = len(self.rows) + 1
        cols = dict(columns)
        self.rows[campaign_id] = _Stored(
            CampaignRow(
                id=campaign_id,
                firm_id=firm_id,
                status=status,
                settings=cols.get("settings"),
                name=cols.get("name", ""),
                purpose=cols.get("purpose", ""),
                technology=cols.get("technology", ""),
                mode=cols.get("mode", ""),
                created_at=at,
                updated_at=cols.get("updated_at"),
            ),
            cols,
        )
        self.queue[campaign_id] = []
        return campaign_id

    def update_draft(self, campaign_id: int, columns: Mapping[str, Any]) -> None:
        stored = self.rows.get(campaign_id)
        if stored is None or stored.row.status != CampaignStatus.DRAFT:
            return
        stored.columns.update(columns)
        c = stored.columns
        stored.row = replace(
            stored.row,
            settings=c.get("settings"),
            name=c.get("name", ""),
            purpose=c.get("purpose", ""),
            technology=c.get("technology", ""),
            mode=c.get("mode", ""),
            updated_at=c.get("updated_at"),
        )

    def get(self, campaign_id: int) -> CampaignRow | None:
        stored = self.rows.get(campaign_id)
        return None if stored is None else stored.row

    def status(self, campaign_id: int) -> str:
        return self.rows[campaign_id].row.status

    def set_status(self, campaign_id: int, current: str, new: str, at: datetime) -> None:
        stored = self.rows[campaign_id]
        if stored.row.status == current:
            stored.row = replace(stored.row, status=new, updated_at=at)

    def contacts_in_firm(self, firm_id: int, contact_ids: Iterable[int]) -> set[int]:
        return {c for c in contact_ids if self.contacts.get(c) == firm_id}

    def listed_contacts(self, campaign_id: int) -> list[int]:
        return [x.contact_id for x in self.queue.get(campaign_id, [])]

    def list_contacts(self, campaign_id: int, contact_ids: Iterable[int], status: str) -> None:
        self.queue.setdefault(campaign_id, []).extend(_Listed(c, status) for c in contact_ids)

    def cancel_queued(self, campaign_id: int, open_states: Iterable[str]) -> None:
        states = set(open_states)
        for item in self.queue.get(campaign_id, []):
            if item.status in states:
                item.status = QueueStatus.CANCELLED

    def queue_counts(self, campaign_id: int) -> dict[str, int]:
        return dict(Counter(x.status for x in self.queue.get(campaign_id, [])))

    def take_lease(self, campaign_id: int, owner: str, now: datetime, until: datetime) -> bool:
        stored = self.rows.get(campaign_id)
        if stored is None:
            return False
        free = stored.lease_owner is None or stored.lease_owner == owner
        if not free and not (stored.lease_until is not None and stored.lease_until < now):
            return False
        stored.lease_owner, stored.lease_until = owner, until
        return True

    def lease_until(self, campaign_id: int) -> datetime | None:
        stored = self.rows.get(campaign_id)
        return None if stored is None else stored.lease_until

    def drop_lease(self, campaign_id: int, owner: str) -> None:
        stored = self.rows.get(campaign_id)
        if stored is not None and stored.lease_owner == owner:
            stored.lease_owner = stored.lease_until = None

    def firm_settings(self, firm_id: int) -> list[Mapping[str, Any]]:
        return [
            x.row.settings
            for x in self.rows.values()
            if x.row.firm_id == firm_id and x.row.settings
        ]

    # (for faults)
    def set_status_reason(self, campaign_id: int, reason: str | None) -> None:
        stored = self.rows.get(campaign_id)
        if stored is not None:
            stored.columns["status_reason"] = reason

    def status_reason(self, campaign_id: int) -> str | None:
        stored = self.rows.get(campaign_id)
        return None if stored is None else stored.columns.get("status_reason")


@dataclass
class FakeAttempt:
    """A gate decision (``call_attempts``) as the report reads it."""

    id: int
    firm_id: int
    campaign_id: int | None
    number_bidx: str
    at: datetime
    status: str
    contact_id: int = 0
    verdict: str | None = None
    rulepack: str | None = None
    decision: Mapping[str, Any] | None = None


@dataclass
class FakeOutcome:
    """A call's outcome (``call_outcomes``) as the report reads it."""

    attempt_id: int
    at: datetime
    outcome: str = "answered"
    live_answered: bool = False
    abandoned: bool = False
    opted_out: bool = False


@dataclass
class MemoryReportRepository:
    """``ReportRepository`` kept in dicts and lists; no database."""

    attempts: list[FakeAttempt] = field(default_factory=list)
    outcomes: list[FakeOutcome] = field(default_factory=list)
    #: (firm id, number blind index, received at) of do-not-call entries
    dnc: list[tuple[int, str, datetime]] = field(default_factory=list)
    #: (firm id, number blind index) -> contact id
    owners: dict[tuple[int, str], int] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    #: firm id -> its users; user id -> their attestations
    users: dict[int, list[StaffMember]] = field(default_factory=dict)
    trained: dict[int, list[Attestation]] = field(default_factory=dict)
    audit_entries: list[dict[str, Any]] = field(default_factory=list)
    #: consent ids the store holds (``present_ids("consent", ...)``)
    consent_ids: set[int] = field(default_factory=set)
    #: the campaign repository whose lists the queue figures come from (set by the fake uow)
    campaigns: MemoryCampaignRepository | None = None
    chain: ChainCheck = field(default_factory=lambda: ChainCheck(True, 0, 0, "0" * 64))

    def _calls(self, campaign_id: int) -> list[tuple[FakeAttempt, FakeOutcome]]:
        by_id = {a.id: a for a in self.attempts}
        return [
            (by_id[o.attempt_id], o)
            for o in self.outcomes
            if o.attempt_id in by_id and by_id[o.attempt_id].campaign_id == campaign_id
        ]

    def _listed(self, campaign_id: int) -> list[_Listed]:
        return [] if self.campaigns is None else self.campaigns.queue.get(campaign_id, [])

    def abandonment(self, campaign_id: int, since: datetime) -> tuple[int, int]:
        calls = [o for _, o in self._calls(campaign_id) if o.at > since]
        return sum(o.abandoned for o in calls), sum(o.live_answered for o in calls)

    def attempt_statuses(self, campaign_id: int) -> dict[str, int]:
        return dict(Counter(a.status for a in self.attempts if a.campaign_id == campaign_id))

    def blocked_codes(self, campaign_id: int) -> list[list[str] | None]:
        return [x.codes for x in self._listed(campaign_id) if x.status == QueueStatus.BLOCKED]

    def still_deferred(self, campaign_id: int) -> tuple[int, datetime | None]:
        waiting = [
            x
            for x in self._listed(campaign_id)
            if x.status in (QueueStatus.DEFERRED, QueueStatus.RETRY)
        ]
        times = [x.next_at for x in waiting if x.next_at is not None]
        return len(waiting), min(times) if times else None

    def outcome_counts(self, campaign_id: int) -> dict[str, int]:
        return dict(Counter(o.outcome for _, o in self._calls(campaign_id)))

    def opted_out_calls(self, campaign_id: int) -> list[tuple[str, datetime]]:
        return [(a.number_bidx, o.at) for a, o in self._calls(campaign_id) if o.opted_out]

    def dnc_entries_until(self, firm_id: int, number_bidx: str, until: datetime) -> int:
        return sum(1 for f, b, at in self.dnc if (f, b) == (firm_id, number_bidx) and at <= until)

    def calls_after(
        self, firm_id: int, number_bidx: str, after: datetime, statuses: Iterable[str]
    ) -> int:
        wanted = set(statuses)
        return sum(
            1
            for a in self.attempts
            if (a.firm_id, a.number_bidx) == (firm_id, number_bidx)
            and a.at > after
            and a.status in wanted
        )

    def verify_audit(self, anchors: Iterable[tuple[int, str]] = ()) -> ChainCheck:
        return self.chain

    def audit_head(self) -> AuditHead:
        return AuditHead(self.chain.head_seq, self.chain.head_hash)

    def audit_hash_at(self, seq: int) -> str | None:
        hit = next((e for e in self.audit_entries if e.get("seq") == seq), None)
        return None if hit is None else str(hit["hash"])

    def rulepacks(self, campaign_id: int) -> dict[str, int]:
        counts = Counter(str(a.rulepack) for a in self.attempts if a.campaign_id == campaign_id)
        return {("none" if k == "None" else k): n for k, n in sorted(counts.items())}

    def placed_calls(self, campaign_id: int, statuses: Iterable[str]) -> list[PlacedCall]:
        wanted = set(statuses)
        found = [a for a in self.attempts if a.campaign_id == campaign_id and a.status in wanted]
        return [
            PlacedCall(a.id, a.at, a.decision) for a in sorted(found, key=lambda a: (a.at, a.id))
        ]

    def outcome_flags(self, campaign_id: int, until: datetime) -> list[OutcomeFlags]:
        rows = [o for _, o in self._calls(campaign_id) if o.at <= until]
        return [
            OutcomeFlags(o.at, o.live_answered, o.abandoned)
            for o in sorted(rows, key=lambda o: o.at)
        ]

    def dnc_entries_for_campaign(self, firm_id: int, campaign_id: int) -> list[DncEntry]:
        numbers = {a.number_bidx for a in self.attempts if a.campaign_id == campaign_id}
        listed = set(self.campaigns.listed_contacts(campaign_id)) if self.campaigns else set()
        numbers |= {b for (f, b), c in self.owners.items() if c in listed}
        return [
            DncEntry(i, b, at, "staff", at)
            for i, (f, b, at) in enumerate(self.dnc, start=1)
            if f == firm_id and b in numbers
        ]

    def attempts_since(self, firm_id: int, number_bidx: str, since: datetime) -> list[LaterAttempt]:
        found = [
            a
            for a in self.attempts
            if (a.firm_id, a.number_bidx) == (firm_id, number_bidx) and a.at >= since
        ]
        return [
            LaterAttempt(a.id, a.at, a.verdict, a.status, a.contact_id)
            for a in sorted(found, key=lambda a: (a.at, a.id))
        ]

    def number_owner(self, firm_id: int, number_bidx: str) -> int | None:
        return self.owners.get((firm_id, number_bidx))

    def registry_snapshots(self, until: datetime) -> list[Snapshot]:
        found = [s for s in self.snapshots if s.loaded_at <= until]
        found.sort(key=lambda s: s.loaded_at, reverse=True)
        return sorted(found, key=lambda s: s.list_name)

    def staff(self, firm_id: int) -> list[StaffMember]:
        return sorted(self.users.get(firm_id, []), key=lambda u: u.id)

    def attestations(self, user_id: int) -> list[Attestation]:
        return sorted(self.trained.get(user_id, []), key=lambda x: x.attested_on)

    def dnc_list_summary(self, firm_id: int) -> tuple[int, datetime | None]:
        times = [at for f, _, at in self.dnc if f == firm_id]
        return len(times), min(times) if times else None

    def contact_attempts(self, contact_id: int) -> list[dict[str, Any]]:
        found = sorted((a for a in self.attempts if a.contact_id == contact_id), key=lambda a: a.at)
        return [
            {
                "id": a.id,
                "at": a.at,
                "purpose": None,
                "technology": None,
                "status": a.status,
                "verdict": a.verdict,
                "rulepack": a.rulepack,
                "decision": a.decision,
            }
            for a in found
        ]

    def contact_outcomes(self, contact_id: int) -> list[dict[str, Any]]:
        ids = {a.id for a in self.attempts if a.contact_id == contact_id}
        return [
            {"attempt_id": o.attempt_id, "outcome": o.outcome, "at": o.at}
            for o in self.outcomes
            if o.attempt_id in ids
        ]

    def dnc_for_number(self, firm_id: int, number_bidx: str) -> list[dict[str, Any]]:
        return [
            {"id": i, "at": at, "channel": "staff"}
            for i, (f, b, at) in enumerate(self.dnc, start=1)
            if (f, b) == (firm_id, number_bidx)
        ]

    def audit_entries_about(self, subjects: Iterable[str]) -> list[dict[str, Any]]:
        wanted = set(subjects)
        return [e for e in self.audit_entries if e.get("subject") in wanted]

    def audit_entries_naming(self, contact_id: int) -> list[dict[str, Any]]:
        def data(e: dict[str, Any]) -> Any:
            raw = e.get("data")
            return json.loads(raw) if isinstance(raw, str) else raw

        return [
            e
            for e in self.audit_entries
            if isinstance(data(e), dict) and data(e).get("contact") == contact_id
        ]

    def present_ids(self, kind: str, ids: Iterable[int]) -> set[int]:
        held = {
            "consent": self.consent_ids,
            "attempt": {a.id for a in self.attempts},
        }.get(kind, set(range(1, len(self.dnc) + 1)))
        return {int(i) for i in ids} & held

    # (for audit verify) the fake holds no consent rows: only attempts, outcomes and dnc
    def _numbers(self) -> list[str]:
        return sorted({a.number_bidx for a in self.attempts} | {b for _, b, _ in self.dnc})

    def record_numbers(self, after: str | None, limit: int) -> list[str]:
        return [n for n in self._numbers() if after is None or n > after][:limit]

    def count_record_numbers(self) -> int:
        return len(self._numbers())

    def records_of_numbers(self, number_bidxs: Iterable[str]) -> NumberRecords:
        wanted = set(number_bidxs)
        attempts = [a for a in self.attempts if a.number_bidx in wanted]
        by_id = {a.id: a for a in attempts}
        return NumberRecords(
            consents=[],
            attempts=[{**asdict(a), "decision": dict(a.decision or {})} for a in attempts],
            outcomes=[
                {
                    **asdict(o),
                    "firm_id": by_id[o.attempt_id].firm_id,
                    "number_bidx": by_id[o.attempt_id].number_bidx,
                }
                for o in self.outcomes
                if o.attempt_id in by_id
            ],
            dnc=[
                {"id": i, "firm_id": f, "number_bidx": b, "at": at, "channel": "staff"}
                for i, (f, b, at) in enumerate(self.dnc, start=1)
                if b in wanted
            ],
        )

    def audit_entries_of(
        self, actions: Iterable[str], after_seq: int, limit: int
    ) -> list[dict[str, Any]]:
        wanted = set(actions)
        found = [
            e
            for e in self.audit_entries
            if e.get("action") in wanted and int(e.get("seq", 0)) > after_seq
        ]
        return sorted(found, key=lambda e: int(e["seq"]))[:limit]

    def contact_firms(self, contact_ids: Iterable[int]) -> dict[int, int]:
        owners = {contact: firm for (firm, _), contact in self.owners.items()}
        return {int(i): owners[int(i)] for i in contact_ids if int(i) in owners}

    # (for cli)
    def add_registry_snapshot(self, snapshot: Snapshot) -> int:
        self.snapshots.append(snapshot)
        return len(self.snapshots)
