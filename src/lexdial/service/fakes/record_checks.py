"""In-memory ``RecordCheckRepository`` for unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from lexdial.service.repos.record_checks import Claim, StoredCheck


class MemoryRecordCheckRepository:
    def __init__(self) -> None:
        self.rows: dict[int, StoredCheck] = {}
        self.tokens: dict[int, str] = {}

    def stored(self, firm_id: int) -> StoredCheck | None:
        return self.rows.get(firm_id)

    def claim(self, firm_id: int, claim: Claim, at: datetime, until: datetime) -> bool:
        row = self.rows.setdefault(firm_id, StoredCheck(firm_id))
        if row.running_by is not None and row.running_until is not None and row.running_until > at:
            return False
        self.rows[firm_id] = replace(
            row, running_by=claim.by, running_since=at, running_until=until
        )
        self.tokens[firm_id] = claim.token
        return True

    def renew(self, firm_id: int, token: str, until: datetime) -> bool:
        if self.tokens.get(firm_id) != token:
            return False
        self.rows[firm_id] = replace(self.rows[firm_id], running_until=until)
        return True

    def finish(self, firm_id: int, claim: Claim, result: StoredCheck) -> None:
        row = self.rows[firm_id]
        self.rows[firm_id] = replace(
            result, running_by=row.running_by, running_since=row.running_since,
            running_until=row.running_until, firm_id=firm_id,
        )  # fmt: skip
        self.release(firm_id, claim.token)

    def release(self, firm_id: int, token: str) -> None:
        if self.tokens.get(firm_id) == token:
            del self.tokens[firm_id]
            self.rows[firm_id] = replace(
                self.rows[firm_id], running_by=None, running_since=None, running_until=None
            )
