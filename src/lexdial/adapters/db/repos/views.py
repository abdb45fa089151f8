"""SQL implementations of ``service.repos.views`` (read-only views the faces (CLI, API, web) show:
lists, directories, dashboards).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from lexdial.adapters.db import tables as t
from lexdial.domain.states import PLACED_ATTEMPTS
from lexdial.service.repos.views import (
    AttemptView,
    CampaignSummary,
    ConfirmedReview,
    ContactRow,
    DncListing,
    DncView,
    NumberRow,
    QueueEntry,
    QueueView,
    SuppressionRow,
    TokenView,
    UserBadge,
    UserRow,
)


def _attempts() -> Select[Any]:
    """Attempts × outcomes (an attempt has at most one outcome)."""
    a, o = t.call_attempts.c, t.call_outcomes.c
    return select(
        a.id,
        a.contact_id,
        a.campaign_id,
        a.at,
        a.purpose,
        a.technology,
        a.status,
        a.verdict,
        a.decision_id,
        a.earliest_allowed_at,
        a.rulepack,
        a.decision,
        o.outcome,
        o.ring_s,
        o.talk_s,
    ).select_from(t.call_attempts.outerjoin(t.call_outcomes, o.attempt_id == a.id))


class SqlViewRepository:
    """``ViewRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def contact_attempts(self, contact_id: int) -> list[AttemptView]:
        a = t.call_attempts.c
        query = _attempts().where(a.contact_id == contact_id).order_by(a.at, a.id)
        return [AttemptView(**r) for r in self.conn.execute(query).mappings()]

    def campaign_attempts(self, campaign_id: int, limit: int, offset: int) -> list[AttemptView]:
        a = t.call_attempts.c
        query = (
            _attempts()
            .where(a.campaign_id == campaign_id)
            .order_by(a.id)
            .limit(limit)
            .offset(offset)
        )
        return [AttemptView(**r) for r in self.conn.execute(query).mappings()]

    def user_badge(self, user_id: int) -> UserBadge | None:
        u = t.users.c
        row = self.conn.execute(select(u.id, u.email, u.role).where(u.id == user_id)).first()
        return None if row is None else UserBadge(int(row[0]), str(row[1]), str(row[2]))

    def decision(self, firm_id: int, decision_id: str) -> AttemptView | None:
        a = t.call_attempts.c
        row = (
            self.conn.execute(  # another firm's decision is answered like an unknown one
                _attempts().where(a.decision_id == decision_id, a.firm_id == firm_id)
            )
            .mappings()
            .first()
        )
        return None if row is None else AttemptView(**row)

    def campaigns(self, firm_id: int) -> list[CampaignSummary]:
        c, q, a = t.campaigns.c, t.campaign_contacts.c, t.call_attempts.c
        rows = self.conn.execute(
            select(c.id, c.name, c.purpose, c.mode, c.status)
            .where(c.firm_id == firm_id)
            .order_by(c.id.desc())
        ).mappings()
        listed = list(rows)
        sizes = {
            int(k): int(n)
            for k, n in self.conn.execute(
                select(q.campaign_id, func.count()).group_by(q.campaign_id)
            )
        }
        placed = {
            int(k): int(n)
            for k, n in self.conn.execute(
                select(a.campaign_id, func.count())
                .where(a.status.in_(PLACED_ATTEMPTS))
                .group_by(a.campaign_id)
            )
        }
        return [
            CampaignSummary(**r, contacts=sizes.get(r["id"], 0), dialled=placed.get(r["id"], 0))
            for r in listed
        ]

    def firm_name(self, firm_id: int) -> str:
        f = t.firms.c
        return str(self.conn.execute(select(f.name).where(f.id == firm_id)).scalar_one())

    # (for api campaign pages and public pages)
    def placed_call_times(self, campaign_id: int) -> list[datetime]:
        a = t.call_attempts.c
        query = select(a.at).where(
            a.campaign_id == campaign_id, a.status.in_(("dialled", "completed"))
        )
        return list(self.conn.execute(query).scalars())

    def queue_entries(
        self, campaign_id: int, statuses: tuple[str, ...], limit: int
    ) -> list[QueueEntry]:
        q = t.campaign_contacts.c
        order = q.contact_id if statuses == ("blocked",) else q.next_at
        rows = self.conn.execute(
            select(q.contact_id, q.status, q.next_at, q.codes, q.last_outcome)
            .where(q.campaign_id == campaign_id, q.status.in_(statuses))
            .order_by(order)
            .limit(limit)
        ).mappings()
        return [QueueEntry(**r) for r in rows]

    def consent_fingerprint(self, consent_id: int) -> str:
        c = t.consents.c
        query = select(c.evidence_sha256).where(c.id == consent_id)
        return str(self.conn.execute(query).scalar_one())

    # (for a1)
    def contact(self, firm_id: int, contact_id: int) -> ContactRow | None:
        c = t.contacts.c
        row = (
            self.conn.execute(
                select(
                    c.id, c.name_enc, c.relationship, c.subscriber, c.matter_type,
                    c.lawful_basis, c.objected_at, c.erased_at, c.created_at, c.matter_ref_enc,
                ).where(c.id == contact_id, c.firm_id == firm_id)
            )
            .mappings()
            .first()
        )  # fmt: skip
        return None if row is None else ContactRow(**row)

    def contact_numbers(self, firm_id: int, contact_id: int) -> list[NumberRow]:
        n = t.contact_numbers.c
        rows = self.conn.execute(
            select(n.number_enc, n.number_bidx, n.line_type, n.is_primary)
            .where(n.contact_id == contact_id, n.firm_id == firm_id)
            .order_by(n.id)
        )
        return [NumberRow(r[0], r[1], r[2], bool(r[3])) for r in rows]

    def dnc_entries(self, firm_id: int, number_bidxs: list[str]) -> list[DncView]:
        d = t.dnc_entries.c
        rows = self.conn.execute(
            select(d.id, d.at, d.created_at, d.channel)
            .where(d.firm_id == firm_id, d.number_bidx.in_(number_bidxs))
            .order_by(d.at)
        ).mappings()
        return [DncView(**r) for r in rows]

    def contact_queues(self, contact_id: int) -> list[QueueView]:
        q, c = t.campaign_contacts.c, t.campaigns.c
        rows = self.conn.execute(
            select(q.campaign_id, c.name, q.status, q.next_at, q.codes, q.attempts, q.last_outcome)
            .join(t.campaigns, c.id == q.campaign_id)
            .where(q.contact_id == contact_id)
            .order_by(q.campaign_id)
        ).mappings()
        return [QueueView(**r) for r in rows]

    def firm_users(self, firm_id: int) -> list[UserRow]:
        u = t.users.c
        rows = self.conn.execute(
            select(u.id, u.email, u.name_enc, u.role, u.active, u.created_at)
            .where(u.firm_id == firm_id)
            .order_by(u.id)
        ).mappings()
        return [UserRow(**r) for r in rows]

    def training_expires(self, user_id: int) -> date | None:
        a = t.training_attestations.c
        found: date | None = self.conn.execute(
            select(func.max(a.expires_on)).where(a.user_id == user_id)
        ).scalar()
        return found

    def user_tokens(self, user_id: int) -> list[TokenView]:
        k = t.api_tokens.c
        rows = self.conn.execute(
            select(k.id, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at)
            .where(k.user_id == user_id)
            .order_by(k.id)
        ).mappings()
        return [TokenView(**r) for r in rows]

    def attestation_expires(self, attestation_id: int) -> date | None:
        a = t.training_attestations.c
        found: date | None = self.conn.execute(
            select(a.expires_on).where(a.id == attestation_id)
        ).scalar()
        return found

    def token_revoked_at(self, token_id: int) -> datetime | None:
        k = t.api_tokens.c
        found: datetime | None = self.conn.execute(
            select(k.revoked_at).where(k.id == token_id)
        ).scalar()
        return found

    def suppression_list(self, firm_id: int, limit: int) -> list[SuppressionRow]:
        d, n = t.dnc_entries.c, t.contact_numbers.c
        rows = self.conn.execute(
            select(d.id, d.at, d.channel, n.contact_id)
            .select_from(
                t.dnc_entries.outerjoin(
                    t.contact_numbers, (n.number_bidx == d.number_bidx) & (n.firm_id == d.firm_id)
                )
            )
            .where(d.firm_id == firm_id)
            .order_by(d.id.desc())
            .limit(limit)
        )
        return [SuppressionRow(r[0], r[1], r[2], r[3]) for r in rows]

    def campaign_settings(self, firm_id: int) -> list[tuple[int, str, str, dict[str, Any]]]:
        c = t.campaigns.c
        rows = self.conn.execute(
            select(c.id, c.name, c.status, c.settings)
            .where(c.firm_id == firm_id)
            .order_by(c.id.desc())
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def open_consent_scopes(self, firm_id: int) -> list[tuple[int, list[str], list[str] | None]]:
        k, r = t.consents.c, t.revocations.c
        rows = self.conn.execute(
            select(k.contact_id, k.scope, k.technologies)
            .select_from(t.consents.outerjoin(t.revocations, r.consent_id == k.id))
            .where(k.firm_id == firm_id, r.id.is_(None))
        )
        return [(int(c), list(scope or []), techs) for c, scope, techs in rows]

    def campaign_list_codes(self, campaign_id: int) -> list[tuple[int, list[str] | None]]:
        q = t.campaign_contacts.c
        rows = self.conn.execute(select(q.contact_id, q.codes).where(q.campaign_id == campaign_id))
        return [(int(c), codes) for c, codes in rows]

    def confirmed_reviews(self, firm_id: int) -> list[ConfirmedReview]:
        r = t.review_items.c
        rows = self.conn.execute(
            select(r.contact_id, r.number_bidx, r.received_at, r.decided_at).where(
                r.firm_id == firm_id, r.status == "confirmed", r.decided_at.is_not(None)
            )
        )
        return [ConfirmedReview(*row) for row in rows]

    def dnc_listing(self, firm_id: int) -> list[DncListing]:
        d, n = t.dnc_entries.c, t.contact_numbers.c
        rows = self.conn.execute(
            select(d.id, d.at, d.created_at, d.channel, d.number_bidx, n.contact_id)
            .select_from(
                t.dnc_entries.outerjoin(
                    t.contact_numbers, (n.number_bidx == d.number_bidx) & (n.firm_id == d.firm_id)
                )
            )
            .where(d.firm_id == firm_id)
            .order_by(d.at.desc(), d.id.desc())
        ).mappings()
        return [DncListing(**r) for r in rows]

    def open_reviews(self, firm_id: int) -> tuple[int, datetime | None]:
        r = t.review_items.c
        row = self.conn.execute(
            select(func.count(), func.min(r.due_at)).where(r.firm_id == firm_id, r.status == "open")
        ).one()
        return int(row[0]), row[1]

    def rulepack_versions(self, firm_id: int) -> list[tuple[str, int, datetime, datetime]]:
        a = t.call_attempts.c
        rows = self.conn.execute(
            select(a.rulepack, func.count(), func.min(a.at), func.max(a.at))
            .where(a.firm_id == firm_id, a.rulepack.is_not(None))
            .group_by(a.rulepack)
            .order_by(func.min(a.at))
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # (for cli)
    def live_contact_ids(self, firm_id: int) -> list[int]:
        c = t.contacts.c
        return [
            int(i)
            for i in self.conn.execute(
                select(c.id).where(c.firm_id == firm_id, c.erased_at.is_(None)).order_by(c.id)
            ).scalars()
        ]

    # (for prefs)
    def contact_debt_refs(self, contact_id: int) -> list[str]:
        a = t.call_attempts.c
        rows = self.conn.execute(
            select(a.debt_ref)
            .where(a.contact_id == contact_id, a.debt_ref.is_not(None))
            .group_by(a.debt_ref)
            .order_by(func.min(a.id))
        )
        return [str(r[0]) for r in rows]
