"""In-memory fake of ``service.repos.desk`` for unit tests of the services."""

from __future__ import annotations

from dataclasses import replace

from lexdial.service.repos.desk import DeskSession


class MemoryDeskRepository:
    """``DeskRepository`` kept in a dict by user id; no database."""

    def __init__(self) -> None:
        self.rows: dict[int, DeskSession] = {}

    def session(self, firm_id: int, user_id: int, *, lock: bool = False) -> DeskSession | None:
        s = self.rows.get(user_id)
        return s if s is not None and s.firm_id == firm_id else None

    def save(self, session: DeskSession) -> DeskSession:
        saved = replace(session, version=session.version + 1)
        self.rows[saved.user_id] = saved
        return saved

    def for_campaign(self, firm_id: int, campaign_id: int) -> list[DeskSession]:
        return [
            s
            for _, s in sorted(self.rows.items())
            if s.firm_id == firm_id and s.campaign_id == campaign_id and s.state != "logged_out"
        ]
