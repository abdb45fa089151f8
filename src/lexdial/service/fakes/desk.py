"""In-memory fake of ``service.repos.desk`` for unit tests of the services."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from lexdial.service.repos.desk import CallDisposition, DeskSession, DispositionCode


class MemoryDeskRepository:
    """``DeskRepository`` kept in a dict by user id; no database."""

    def __init__(self) -> None:
        self.rows: dict[int, DeskSession] = {}
        # (for desk)
        self.codes: list[DispositionCode] = []
        self.dispositions: dict[int, CallDisposition] = {}
        #: contact id -> (firm id, tokens)
        self.tokens: dict[int, tuple[int, set[str]]] = {}

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

    # (for desk) the firm's disposition list and the dispositions recorded

    def disposition_codes(self, firm_id: int) -> list[DispositionCode]:
        mine = [c for c in self.codes if c.firm_id == firm_id]
        return sorted(mine, key=lambda c: (c.sort_order, c.code))

    def add_disposition_code(self, code: DispositionCode) -> None:
        if any(c.firm_id == code.firm_id and c.code == code.code for c in self.codes):
            raise ValueError("unique constraint: a firm's disposition code is unique")
        self.codes.append(code)

    def set_disposition_code_active(self, firm_id: int, code: str, active: bool) -> bool:
        for i, c in enumerate(self.codes):
            if c.firm_id == firm_id and c.code == code:
                self.codes[i] = replace(c, active=active)
                return True
        return False

    def disposition(self, attempt_id: int) -> CallDisposition | None:
        return self.dispositions.get(attempt_id)

    def add_disposition(self, disposition: CallDisposition) -> None:
        if disposition.attempt_id in self.dispositions:
            raise ValueError("unique constraint: one disposition per attempt")
        self.dispositions[disposition.attempt_id] = disposition

    def set_disposition_callback(self, attempt_id: int, callback_at: datetime) -> None:
        d = self.dispositions.get(attempt_id)
        if d is not None:
            self.dispositions[attempt_id] = replace(d, callback_at=callback_at)

    def forget_attempts(self, attempt_ids: list[int]) -> None:
        gone = set(attempt_ids)
        for a in gone:
            self.dispositions.pop(a, None)
        for user_id, seat in list(self.rows.items()):
            if seat.attempt_id in gone:
                self.rows[user_id] = replace(seat, attempt_id=None, version=seat.version + 1)

    # (for desk) the contact directory's name tokens

    def set_name_tokens(self, firm_id: int, contact_id: int, tokens: list[str]) -> None:
        if tokens:
            self.tokens[contact_id] = (firm_id, set(tokens))
        else:
            self.tokens.pop(contact_id, None)

    def add_name_tokens_many(self, rows: list[tuple[int, int, list[str]]]) -> None:
        for firm_id, contact_id, tokens in rows:
            self.set_name_tokens(firm_id, contact_id, tokens)

    def contacts_with_tokens(self, firm_id: int, tokens: list[str], limit: int) -> list[int]:
        wanted = set(tokens)
        if not wanted:
            return []
        hits = [
            c for c, (f, have) in sorted(self.tokens.items()) if f == firm_id and wanted <= have
        ]
        return hits[:limit]

    def tokened_contacts(self, firm_id: int) -> set[int]:
        return {c for c, (f, _) in self.tokens.items() if f == firm_id}
