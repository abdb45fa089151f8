"""Repository port for the record checks (``service.record_checks``): per firm, the last
completed comparison of every record with the audit trail, and the claim of the one
running now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Claim:
    """Who asked for a check and this run's own token (a run whose claim lapsed and was
    taken by another cannot end the other's)."""

    by: str
    token: str


@dataclass(frozen=True, slots=True)
class StoredCheck:
    """A firm's row: the last completed check (``finished_at`` None: none yet) and the
    claim of a running one (``running_by`` None: none; lapsed after ``running_until``)."""

    firm_id: int
    running_by: str | None = None
    running_since: datetime | None = None
    running_until: datetime | None = None
    by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    head_seq: int | None = None
    numbers: int | None = None
    problems: tuple[dict[str, Any], ...] = ()
    other_problems: int = 0


class RecordCheckRepository(Protocol):
    def stored(self, firm_id: int) -> StoredCheck | None:
        """The firm's row (None: no check was ever asked for)."""
        ...

    def claim(self, firm_id: int, claim: Claim, at: datetime, until: datetime) -> bool:
        """Take the firm's claim until ``until`` unless another claim is in force at
        ``at``; whether it was taken. Atomic: of two callers at once, one gets it."""
        ...

    def renew(self, firm_id: int, token: str, until: datetime) -> bool:
        """Extend the claim ``token`` holds to ``until``; False when it holds none now."""
        ...

    def finish(self, firm_id: int, claim: Claim, result: StoredCheck) -> None:
        """Keep ``result``'s last-check fields as the firm's last check and release the
        claim if ``claim`` still holds it."""
        ...

    def release(self, firm_id: int, token: str) -> None:
        """Drop the claim ``token`` holds (a check that failed); the last check stays."""
        ...
