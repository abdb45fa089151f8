"""The in-memory audit store: the fake the chain's tests use, complete down to the conflict
check.

Rule 1: like the SQL store, it refuses an entry that does not extend its head
(``AuditConflictError``); a lock makes that check and the append one step, so two threads
appending at once cannot fork the chain (the SQL store has the primary key on seq and an
advisory lock for this). The lock is why this store is an adapter: ``domain.audit_chain``
stays pure.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence

from lexdial.domain.audit_chain import GENESIS, AuditEntry
from lexdial.errors import AuditConflictError


class MemoryAuditStore:
    """The in-memory store: the fake tests use, complete down to the conflict check.
    ``entries`` is public so tests can tamper with it as an intruder would with a table."""

    def __init__(self, entries: Iterable[AuditEntry] = ()) -> None:
        self.entries: list[AuditEntry] = list(entries)
        self._lock = threading.Lock()

    def append(self, entry: AuditEntry, data_json: str | None = None) -> None:
        with self._lock:
            head = self.last()
            seq, prev = (1, GENESIS) if head is None else (head.seq + 1, head.hash)
            if (entry.seq, entry.prev_hash) != (seq, prev):
                raise AuditConflictError(
                    f"audit entry {entry.seq} does not extend the log, whose next seq is {seq}"
                )
            self.entries.append(entry)

    def append_many(
        self, entries: Sequence[AuditEntry], data_json: Sequence[str] | None = None
    ) -> None:
        for entry in entries:
            self.append(entry)

    def iter_entries(self) -> Iterator[AuditEntry]:
        return iter(list(self.entries))

    def last(self) -> AuditEntry | None:
        return self.entries[-1] if self.entries else None
