"""In-memory fakes of ``service.repos.views`` for unit tests of the services."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

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


class MemoryViewRepository:
    """``ViewRepository`` kept in dicts and lists; no database."""

    def __init__(self) -> None:
        #: attempts as the store would join them with their outcomes (tests append)
        self.attempts: list[AttemptView] = []
        #: the attempts' firm (AttemptView does not carry it): attempt id -> firm id
        self.attempt_firms: dict[int, int] = {}
        self.users: dict[int, UserBadge] = {}
        self.firms: dict[int, str] = {}
        #: (firm id, campaign) pairs; ``contacts``/``dialled`` as the store would count them
        self.campaign_rows: list[tuple[int, CampaignSummary]] = []
        #: (campaign id, entry) pairs on the campaigns' lists
        self.queue: list[tuple[int, QueueEntry]] = []
        #: consent id -> its evidence fingerprint
        self.fingerprints: dict[int, str] = {}
        # (for a1) rows as a test states them: (firm id, [contact id,] row)
        self.contact_rows: list[tuple[int, ContactRow]] = []
        self.number_rows: list[tuple[int, int, NumberRow]] = []
        self.dnc_rows: list[tuple[int, str, DncView]] = []
        #: contact id -> its queue rows
        self.queues: dict[int, list[QueueView]] = {}
        self.user_rows: list[tuple[int, UserRow]] = []
        #: user id -> expiry dates of its attestations; attestation id -> expiry
        self.training: dict[int, list[date]] = {}
        self.attestations: dict[int, date] = {}
        #: user id -> its tokens
        self.tokens: dict[int, list[TokenView]] = {}
        #: (firm id, id, name, status, settings) of each campaign
        self.campaign_settings_rows: list[tuple[int, int, str, str, dict[str, Any]]] = []
        #: (firm id, contact id, scope, technologies) of each unrevoked consent
        self.open_consents: list[tuple[int, int, list[str], list[str] | None]] = []
        #: campaign id -> (contact id, codes) of its list
        self.lists: dict[int, list[tuple[int, list[str] | None]]] = {}
        self.reviews: list[tuple[int, ConfirmedReview]] = []
        #: (firm id, due time) of each open review item
        self.open_review_items: list[tuple[int, datetime]] = []
        #: (firm id, rule pack version, attempt time) of each attempt
        self.judged: list[tuple[int, str, datetime]] = []
        #: (firm id, contact id, erased) of the contacts on file (tests append)
        self.live_contact_rows: list[tuple[int, int, bool]] = []
        # (for prefs) contact id -> the debt references its attempts name
        self.debt_refs: dict[int, list[str]] = {}

    def contact_attempts(self, contact_id: int) -> list[AttemptView]:
        mine = [v for v in self.attempts if v.contact_id == contact_id]
        return sorted(mine, key=lambda v: (v.at, v.id))

    def campaign_attempts(self, campaign_id: int, limit: int, offset: int) -> list[AttemptView]:
        mine = sorted(
            (v for v in self.attempts if v.campaign_id == campaign_id), key=lambda v: v.id
        )
        return mine[offset : offset + limit]

    def user_badge(self, user_id: int) -> UserBadge | None:
        return self.users.get(user_id)

    def decision(self, firm_id: int, decision_id: str) -> AttemptView | None:
        return next(
            (
                v
                for v in self.attempts
                if v.decision_id == decision_id and self.attempt_firms.get(v.id) == firm_id
            ),
            None,
        )

    def campaigns(self, firm_id: int) -> list[CampaignSummary]:
        mine = [c for f, c in self.campaign_rows if f == firm_id]
        return sorted(mine, key=lambda c: -c.id)

    def firm_name(self, firm_id: int) -> str:
        return self.firms[firm_id]

    # (for api campaign pages and public pages)
    def placed_call_times(self, campaign_id: int) -> list[datetime]:
        return [
            v.at
            for v in self.attempts
            if v.campaign_id == campaign_id and v.status in ("dialled", "completed")
        ]

    def queue_entries(
        self, campaign_id: int, statuses: tuple[str, ...], limit: int
    ) -> list[QueueEntry]:
        mine = [e for c, e in self.queue if c == campaign_id and e.status in statuses]
        if statuses == ("blocked",):
            mine.sort(key=lambda e: e.contact_id)
        else:
            mine.sort(key=lambda e: e.next_at or datetime.min.replace(tzinfo=UTC))
        return mine[:limit]

    def consent_fingerprint(self, consent_id: int) -> str:
        return self.fingerprints[consent_id]

    # (for a1)
    def contact(self, firm_id: int, contact_id: int) -> ContactRow | None:
        return next((c for f, c in self.contact_rows if f == firm_id and c.id == contact_id), None)

    def contact_numbers(self, firm_id: int, contact_id: int) -> list[NumberRow]:
        return [n for f, c, n in self.number_rows if f == firm_id and c == contact_id]

    def dnc_entries(self, firm_id: int, number_bidxs: list[str]) -> list[DncView]:
        mine = [d for f, b, d in self.dnc_rows if f == firm_id and b in number_bidxs]
        return sorted(mine, key=lambda d: d.at)

    def contact_queues(self, contact_id: int) -> list[QueueView]:
        return sorted(self.queues.get(contact_id, []), key=lambda q: q.campaign_id)

    def firm_users(self, firm_id: int) -> list[UserRow]:
        return sorted((u for f, u in self.user_rows if f == firm_id), key=lambda u: u.id)

    def training_expires(self, user_id: int) -> date | None:
        return max(self.training.get(user_id, []), default=None)

    def user_tokens(self, user_id: int) -> list[TokenView]:
        return sorted(self.tokens.get(user_id, []), key=lambda k: k.id)

    def attestation_expires(self, attestation_id: int) -> date | None:
        return self.attestations.get(attestation_id)

    def token_revoked_at(self, token_id: int) -> datetime | None:
        found = [k for ks in self.tokens.values() for k in ks if k.id == token_id]
        return found[0].revoked_at if found else None

    def suppression_list(self, firm_id: int, limit: int) -> list[SuppressionRow]:
        holders = {(f, n.number_bidx): c for f, c, n in self.number_rows}
        mine = [
            SuppressionRow(d.id, d.at, d.channel, holders.get((f, b)))
            for f, b, d in self.dnc_rows
            if f == firm_id
        ]
        return sorted(mine, key=lambda r: -r.entry)[:limit]

    def campaign_settings(self, firm_id: int) -> list[tuple[int, str, str, dict[str, Any]]]:
        mine = [(i, n, st, se) for f, i, n, st, se in self.campaign_settings_rows if f == firm_id]
        return sorted(mine, key=lambda c: -c[0])

    def open_consent_scopes(self, firm_id: int) -> list[tuple[int, list[str], list[str] | None]]:
        return [(c, scope, techs) for f, c, scope, techs in self.open_consents if f == firm_id]

    def campaign_list_codes(self, campaign_id: int) -> list[tuple[int, list[str] | None]]:
        return list(self.lists.get(campaign_id, []))

    def confirmed_reviews(self, firm_id: int) -> list[ConfirmedReview]:
        return [r for f, r in self.reviews if f == firm_id]

    def dnc_listing(self, firm_id: int) -> list[DncListing]:
        holders = {(f, n.number_bidx): c for f, c, n in self.number_rows}
        mine = [
            DncListing(d.id, d.at, d.created_at, d.channel, b, holders.get((f, b)))
            for f, b, d in self.dnc_rows
            if f == firm_id
        ]
        return sorted(mine, key=lambda d: (d.at, d.id), reverse=True)

    def open_reviews(self, firm_id: int) -> tuple[int, datetime | None]:
        due = [d for f, d in self.open_review_items if f == firm_id]
        return len(due), min(due, default=None)

    def rulepack_versions(self, firm_id: int) -> list[tuple[str, int, datetime, datetime]]:
        seen: dict[str, list[datetime]] = {}
        for f, version, at in self.judged:
            if f == firm_id:
                seen.setdefault(version, []).append(at)
        rows = [(v, len(ats), min(ats), max(ats)) for v, ats in seen.items()]
        return sorted(rows, key=lambda r: r[2])

    # (for cli)
    def live_contact_ids(self, firm_id: int) -> list[int]:
        return sorted(c for f, c, erased in self.live_contact_rows if f == firm_id and not erased)

    # (for prefs)
    def contact_debt_refs(self, contact_id: int) -> list[str]:
        return list(dict.fromkeys(self.debt_refs.get(contact_id, [])))
