"""SQL implementations of ``service.repos.campaigns`` (campaigns and their contacts; the read
models the reports and dashboards are built from).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, union, update

from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.queries import abandonment_counts
from lexdial.domain.audit_chain import Anchor, AuditLog, verify
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


class SqlCampaignRepository:
    """``CampaignRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def firm_name(self, firm_id: int) -> str:
        return str(
            self.conn.execute(select(t.firms.c.name).where(t.firms.c.id == firm_id)).scalar_one()
        )

    def add(self, firm_id: int, status: str, at: datetime, columns: Mapping[str, Any]) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.campaigns).values(firm_id=firm_id, status=status, created_at=at, **columns)
            )
        )

    def update_draft(self, campaign_id: int, columns: Mapping[str, Any]) -> None:
        self.conn.execute(
            update(t.campaigns)
            .where(t.campaigns.c.id == campaign_id, t.campaigns.c.status == CampaignStatus.DRAFT)
            .values(**columns)
        )

    def get(self, campaign_id: int) -> CampaignRow | None:
        row = (
            self.conn.execute(select(t.campaigns).where(t.campaigns.c.id == campaign_id))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return CampaignRow(
            id=int(row["id"]),
            firm_id=int(row["firm_id"]),
            status=str(row["status"]),
            settings=row["settings"],
            name=row["name"],
            purpose=row["purpose"],
            technology=row["technology"],
            mode=row["mode"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    def status(self, campaign_id: int) -> str:
        return str(
            self.conn.execute(
                select(t.campaigns.c.status).where(t.campaigns.c.id == campaign_id)
            ).scalar_one()
        )

    def set_status(self, campaign_id: int, current: str, new: str, at: datetime) -> None:
        self.conn.execute(
            update(t.campaigns)
            .where(t.campaigns.c.id == campaign_id, t.campaigns.c.status == current)
            .values(status=new, updated_at=at)
        )

    def contacts_in_firm(self, firm_id: int, contact_ids: Iterable[int]) -> set[int]:
        return set(
            self.conn.execute(
                select(t.contacts.c.id).where(
                    t.contacts.c.id.in_(list(contact_ids)), t.contacts.c.firm_id == firm_id
                )
            ).scalars()
        )

    def listed_contacts(self, campaign_id: int) -> list[int]:
        return [
            int(c)
            for c in self.conn.execute(
                select(t.campaign_contacts.c.contact_id).where(
                    t.campaign_contacts.c.campaign_id == campaign_id
                )
            ).scalars()
        ]

    def list_contacts(self, campaign_id: int, contact_ids: Iterable[int], status: str) -> None:
        rows = [
            {"campaign_id": campaign_id, "contact_id": c, "status": status} for c in contact_ids
        ]
        if rows:
            self.conn.execute(insert(t.campaign_contacts), rows)

    def cancel_queued(self, campaign_id: int, open_states: Iterable[str]) -> None:
        self.conn.execute(
            update(t.campaign_contacts)
            .where(
                t.campaign_contacts.c.campaign_id == campaign_id,
                t.campaign_contacts.c.status.in_(tuple(open_states)),
            )
            .values(status=QueueStatus.CANCELLED)
        )

    def queue_counts(self, campaign_id: int) -> dict[str, int]:
        rows = self.conn.execute(
            select(t.campaign_contacts.c.status, func.count())
            .where(t.campaign_contacts.c.campaign_id == campaign_id)
            .group_by(t.campaign_contacts.c.status)
        ).all()
        return {str(s): int(n) for s, n in rows}

    def take_lease(self, campaign_id: int, owner: str, now: datetime, until: datetime) -> bool:
        c = t.campaigns.c
        taken = self.conn.execute(
            update(t.campaigns)
            .where(
                c.id == campaign_id,
                (c.lease_owner.is_(None)) | (c.lease_owner == owner) | (c.lease_until < now),
            )
            .values(lease_owner=owner, lease_until=until)
        ).rowcount
        return bool(taken)

    def lease_until(self, campaign_id: int) -> datetime | None:
        value = self.conn.execute(
            select(t.campaigns.c.lease_until).where(t.campaigns.c.id == campaign_id)
        ).scalar()
        if not isinstance(value, datetime):
            return None
        return value  # aware UTC on every database (``UtcDateTime``)

    def drop_lease(self, campaign_id: int, owner: str) -> None:
        c = t.campaigns.c
        self.conn.execute(
            update(t.campaigns)
            .where(c.id == campaign_id, c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )

    def firm_settings(self, firm_id: int) -> list[Mapping[str, Any]]:
        return [
            raw
            for raw in self.conn.execute(
                select(t.campaigns.c.settings).where(t.campaigns.c.firm_id == firm_id)
            ).scalars()
            if raw
        ]

    # (for faults)
    def set_status_reason(self, campaign_id: int, reason: str | None) -> None:
        self.conn.execute(
            update(t.campaigns).where(t.campaigns.c.id == campaign_id).values(status_reason=reason)
        )

    def status_reason(self, campaign_id: int) -> str | None:
        value = self.conn.execute(
            select(t.campaigns.c.status_reason).where(t.campaigns.c.id == campaign_id)
        ).scalar()
        return str(value) if value else None


class SqlReportRepository:
    """``ReportRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def abandonment(self, campaign_id: int, since: datetime) -> tuple[int, int]:
        return abandonment_counts(self.conn, campaign_id, since)

    def attempt_statuses(self, campaign_id: int) -> dict[str, int]:
        a = t.call_attempts.c
        return {
            str(k): int(v)
            for k, v in self.conn.execute(
                select(a.status, func.count())
                .where(a.campaign_id == campaign_id)
                .group_by(a.status)
            ).all()
        }

    def blocked_codes(self, campaign_id: int) -> list[list[str] | None]:
        q = t.campaign_contacts.c
        return [
            codes
            for (codes,) in self.conn.execute(
                select(q.codes).where(q.campaign_id == campaign_id, q.status == QueueStatus.BLOCKED)
            )
        ]

    def still_deferred(self, campaign_id: int) -> tuple[int, datetime | None]:
        q = t.campaign_contacts.c
        row = self.conn.execute(
            select(func.count(), func.min(q.next_at)).where(
                q.campaign_id == campaign_id,
                q.status.in_((QueueStatus.DEFERRED, QueueStatus.RETRY)),
            )
        ).one()
        return int(row[0]), row[1]

    def outcome_counts(self, campaign_id: int) -> dict[str, int]:
        a, o = t.call_attempts.c, t.call_outcomes.c
        return {
            str(k): int(v)
            for k, v in self.conn.execute(
                select(o.outcome, func.count())
                .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
                .where(a.campaign_id == campaign_id)
                .group_by(o.outcome)
            ).all()
        }

    def opted_out_calls(self, campaign_id: int) -> list[tuple[str, datetime]]:
        a, o = t.call_attempts.c, t.call_outcomes.c
        return [
            (str(bidx), when)
            for bidx, when in self.conn.execute(
                select(a.number_bidx, o.at)
                .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
                .where(a.campaign_id == campaign_id, o.opted_out.is_(True))
            ).all()
        ]

    def dnc_entries_until(self, firm_id: int, number_bidx: str, until: datetime) -> int:
        d = t.dnc_entries.c
        return int(
            self.conn.execute(
                select(func.count()).where(
                    d.firm_id == firm_id, d.number_bidx == number_bidx, d.at <= until
                )
            ).scalar_one()
        )

    def calls_after(
        self, firm_id: int, number_bidx: str, after: datetime, statuses: Iterable[str]
    ) -> int:
        a = t.call_attempts.c
        return int(
            self.conn.execute(
                select(func.count()).where(
                    a.firm_id == firm_id,
                    a.number_bidx == number_bidx,
                    a.at > after,
                    a.status.in_(tuple(statuses)),
                )
            ).scalar_one()
        )

    def verify_audit(self, anchors: Iterable[tuple[int, str]] = ()) -> ChainCheck:
        pins = [Anchor(int(seq), str(digest)) for seq, digest in anchors]
        result = verify(SqlAuditStore(self.conn), anchors=pins)
        return ChainCheck(
            ok=result.ok,
            count=result.count,
            head_seq=result.head.seq,
            head_hash=result.head.hash,
            problem=result.problem,
            bad_seq=result.bad_seq,
            detail=result.detail,
        )

    def audit_head(self) -> AuditHead:
        head = AuditLog(SqlAuditStore(self.conn)).head()
        return AuditHead(head.seq, head.hash)

    def audit_hash_at(self, seq: int) -> str | None:
        kept = self.conn.execute(
            select(t.audit_log.c.hash).where(t.audit_log.c.seq == seq)
        ).scalar()
        return None if kept is None else str(kept)

    def rulepacks(self, campaign_id: int) -> dict[str, int]:
        a = t.call_attempts.c
        rows = self.conn.execute(
            select(a.rulepack, func.count())
            .where(a.campaign_id == campaign_id)
            .group_by(a.rulepack)
        ).all()
        return {str(v or "none"): int(n) for v, n in sorted(rows, key=lambda r: str(r[0]))}

    def placed_calls(self, campaign_id: int, statuses: Iterable[str]) -> list[PlacedCall]:
        a = t.call_attempts.c
        return [
            PlacedCall(int(attempt_id), when, decision)
            for attempt_id, when, decision in self.conn.execute(
                select(a.id, a.at, a.decision)
                .where(a.campaign_id == campaign_id, a.status.in_(tuple(statuses)))
                .order_by(a.at, a.id)
            )
        ]

    def outcome_flags(self, campaign_id: int, until: datetime) -> list[OutcomeFlags]:
        a, o = t.call_attempts.c, t.call_outcomes.c
        return [
            OutcomeFlags(when, bool(live), bool(abandoned))
            for when, live, abandoned in self.conn.execute(
                select(o.at, o.live_answered, o.abandoned)
                .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
                .where(a.campaign_id == campaign_id, o.at <= until)
                .order_by(o.at, o.id)
            )
        ]

    def dnc_entries_for_campaign(self, firm_id: int, campaign_id: int) -> list[DncEntry]:
        a, d = t.call_attempts.c, t.dnc_entries.c
        cn, cc = t.contact_numbers.c, t.campaign_contacts.c
        numbers = union(
            select(a.number_bidx).where(a.campaign_id == campaign_id),
            select(cn.number_bidx)
            .select_from(
                t.contact_numbers.join(t.campaign_contacts, cc.contact_id == cn.contact_id)
            )
            .where(cc.campaign_id == campaign_id),
        ).subquery()
        return [
            DncEntry(int(entry_id), str(bidx), received, str(channel), created)
            for entry_id, bidx, received, channel, created in self.conn.execute(
                select(d.id, d.number_bidx, d.at, d.channel, d.created_at)
                .where(d.firm_id == firm_id, d.number_bidx.in_(select(numbers.c.number_bidx)))
                .order_by(d.at, d.id)
            ).all()
        ]

    def attempts_since(self, firm_id: int, number_bidx: str, since: datetime) -> list[LaterAttempt]:
        a = t.call_attempts.c
        return [
            LaterAttempt(int(r.id), r.at, r.verdict, r.status, int(r.contact_id))
            for r in self.conn.execute(
                select(a.id, a.at, a.verdict, a.status, a.contact_id)
                .where(a.firm_id == firm_id, a.number_bidx == number_bidx, a.at >= since)
                .order_by(a.at, a.id)
            ).all()
        ]

    def number_owner(self, firm_id: int, number_bidx: str) -> int | None:
        cn = t.contact_numbers.c
        owner = self.conn.execute(
            select(cn.contact_id).where(cn.firm_id == firm_id, cn.number_bidx == number_bidx)
        ).scalar()
        return None if owner is None else int(owner)

    def registry_snapshots(self, until: datetime) -> list[Snapshot]:
        r = t.registry_snapshots.c
        return [
            Snapshot(str(name), on, loaded, int(count), str(sha))
            for name, on, loaded, count, sha in self.conn.execute(
                select(r.list_name, r.snapshot_on, r.loaded_at, r.count, r.manifest_sha256)
                .where(r.loaded_at <= until)  # SQLite compares the stored UTC text
                .order_by(r.list_name, r.loaded_at.desc(), r.id.desc())
            ).all()
        ]

    def staff(self, firm_id: int) -> list[StaffMember]:
        u = t.users.c
        return [
            StaffMember(int(r.id), r.email, r.name_enc, r.role, bool(r.active))
            for r in self.conn.execute(
                select(u.id, u.email, u.name_enc, u.role, u.active)
                .where(u.firm_id == firm_id)
                .order_by(u.id)
            )
        ]

    def attestations(self, user_id: int) -> list[Attestation]:
        a = t.training_attestations.c
        return [
            Attestation(course, on, end)
            for course, on, end in self.conn.execute(
                select(a.course, a.attested_on, a.expires_on)
                .where(a.user_id == user_id)
                .order_by(a.attested_on, a.id)
            ).all()
        ]

    def dnc_list_summary(self, firm_id: int) -> tuple[int, datetime | None]:
        d = t.dnc_entries.c
        count, oldest = self.conn.execute(
            select(func.count(), func.min(d.at)).where(d.firm_id == firm_id)
        ).one()
        return int(count), oldest

    def contact_attempts(self, contact_id: int) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.conn.execute(
                select(t.call_attempts)
                .where(t.call_attempts.c.contact_id == contact_id)
                .order_by(t.call_attempts.c.at)
            )
            .mappings()
            .all()
        ]

    def contact_outcomes(self, contact_id: int) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.conn.execute(
                select(t.call_outcomes)
                .join(t.call_attempts, t.call_attempts.c.id == t.call_outcomes.c.attempt_id)
                .where(t.call_attempts.c.contact_id == contact_id)
            )
            .mappings()
            .all()
        ]

    def dnc_for_number(self, firm_id: int, number_bidx: str) -> list[dict[str, Any]]:
        d = t.dnc_entries.c
        return [
            dict(r)
            for r in self.conn.execute(
                select(d.id, d.at, d.channel).where(
                    d.firm_id == firm_id, d.number_bidx == number_bidx
                )
            )
            .mappings()
            .all()
        ]

    def audit_entries_about(self, subjects: Iterable[str]) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.conn.execute(
                select(t.audit_log)
                .where(or_(t.audit_log.c.subject.in_(list(subjects))))
                .order_by(t.audit_log.c.seq)
            )
            .mappings()
            .all()
        ]

    def audit_entries_naming(self, contact_id: int) -> list[dict[str, Any]]:
        log = t.audit_log.c
        # the data is canonical JSON (sorted keys, no spaces): the LIKE narrows, the parse
        # below decides (so "contact":3 never matches "contact":31)
        key = f'%"contact":{int(contact_id)}'
        rows = (
            self.conn.execute(
                select(t.audit_log)
                .where(or_(log.data.like(key + ",%"), log.data.like(key + "}%")))
                .order_by(log.seq)
            )
            .mappings()
            .all()
        )
        return [dict(r) for r in rows if _names_contact(r["data"], contact_id)]

    def present_ids(self, kind: str, ids: Iterable[int]) -> set[int]:
        table = {"consent": t.consents, "dnc": t.dnc_entries, "attempt": t.call_attempts}[kind]
        wanted = sorted({int(i) for i in ids})
        found: set[int] = set()
        for part in _chunks(wanted):
            found.update(
                int(i)
                for i in self.conn.execute(select(table.c.id).where(table.c.id.in_(part))).scalars()
            )
        return found

    def record_numbers(self, after: str | None, limit: int) -> list[str]:
        # each table's next distinct numbers by its own index on number_bidx (one union
        # ordered as a whole would sort every row of the three tables for each page)
        found: set[str] = set()
        for table in (t.consents, t.call_attempts, t.dnc_entries):
            bidx = table.c.number_bidx
            query = select(bidx).distinct().order_by(bidx).limit(limit)
            if after is not None:
                query = query.where(bidx > after)
            found.update(str(b) for b in self.conn.execute(query).scalars())
        return sorted(found)[:limit]

    def count_record_numbers(self) -> int:
        numbers = union(
            *(select(table.c.number_bidx) for table in (t.consents, t.call_attempts, t.dnc_entries))
        ).subquery()
        return int(self.conn.execute(select(func.count()).select_from(numbers)).scalar_one())

    def records_of_numbers(self, number_bidxs: Iterable[str]) -> NumberRecords:
        c, a, o, d, r = t.consents, t.call_attempts, t.call_outcomes, t.dnc_entries, t.revocations
        out = NumberRecords([], [], [], [])
        for part in _chunks(sorted(set(number_bidxs))):
            consents = (
                select(c, r.c.at.label("revoked_at"), r.c.channel.label("revoked_via"))
                .select_from(c.outerjoin(r, r.c.consent_id == c.c.id))
                .where(c.c.number_bidx.in_(part))
                .order_by(c.c.id)
            )
            outcomes = (
                select(o, a.c.firm_id, a.c.number_bidx)
                .join(a, a.c.id == o.c.attempt_id)
                .where(a.c.number_bidx.in_(part))
                .order_by(o.c.attempt_id)
            )
            for rows, query in (
                (out.consents, consents),
                (out.attempts, select(a).where(a.c.number_bidx.in_(part)).order_by(a.c.id)),
                (out.outcomes, outcomes),
                (out.dnc, select(d).where(d.c.number_bidx.in_(part)).order_by(d.c.id)),
            ):
                rows.extend(dict(row) for row in self.conn.execute(query).mappings())
        return out

    def audit_entries_of(
        self, actions: Iterable[str], after_seq: int, limit: int
    ) -> list[dict[str, Any]]:
        log = t.audit_log.c
        query = (
            select(t.audit_log)
            .where(log.seq > after_seq, log.action.in_(list(actions)))
            .order_by(log.seq)
            .limit(limit)
        )
        return [dict(row) for row in self.conn.execute(query).mappings()]

    def contact_firms(self, contact_ids: Iterable[int]) -> dict[int, int]:
        c = t.contacts.c
        found: dict[int, int] = {}
        for part in _chunks(sorted({int(i) for i in contact_ids})):
            found.update(
                (int(i), int(f))
                for i, f in self.conn.execute(select(c.id, c.firm_id).where(c.id.in_(part)))
            )
        return found

    # (for cli)
    def add_registry_snapshot(self, snapshot: Snapshot) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.registry_snapshots).values(
                    list_name=snapshot.list_name,
                    snapshot_on=snapshot.snapshot_on,
                    count=snapshot.count,
                    manifest_sha256=snapshot.manifest_sha256,
                    loaded_at=snapshot.loaded_at,
                )
            )
        )


def _names_contact(data: str, contact_id: int) -> bool:
    try:
        value = json.loads(data)
    except ValueError:  # an edited entry: the chain's verification names it
        return False
    return isinstance(value, dict) and value.get("contact") == contact_id


#: rows a query names at once (SQLite binds at most 32766 values; smaller keeps plans cheap)
_CHUNK = 500


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]
