"""In-memory fakes of ``service.repos.views`` for unit tests of the services."""

from __future__ import annotations

from lexdial.service.repos.views import AttemptView, CampaignSummary, UserBadge


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
        #: (firm id, contact id, erased) of the contacts on file (tests append)
        self.contact_rows: list[tuple[int, int, bool]] = []

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

    # (for cli)
    def live_contact_ids(self, firm_id: int) -> list[int]:
        return sorted(c for f, c, erased in self.contact_rows if f == firm_id and not erased)
