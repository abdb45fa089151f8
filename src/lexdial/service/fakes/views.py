"""In-memory fakes of ``service.repos.views`` for unit tests of the services."""

from __future__ import annotations

from lexdial.service.repos.views import AttemptView


class MemoryViewRepository:
    """``ViewRepository`` kept in dicts and lists; no database."""

    def __init__(self) -> None:
        #: attempts as the store would join them with their outcomes (tests append)
        self.attempts: list[AttemptView] = []

    def contact_attempts(self, contact_id: int) -> list[AttemptView]:
        mine = [v for v in self.attempts if v.contact_id == contact_id]
        return sorted(mine, key=lambda v: (v.at, v.id))

    def campaign_attempts(self, campaign_id: int, limit: int, offset: int) -> list[AttemptView]:
        mine = sorted(
            (v for v in self.attempts if v.campaign_id == campaign_id), key=lambda v: v.id
        )
        return mine[offset : offset + limit]
