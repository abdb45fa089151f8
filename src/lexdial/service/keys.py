"""Key rotation: a new data key, and every stored value re-encrypted under it.

Rule 1: the new keyring (old keys kept for decryption) is saved BEFORE the database is
touched; if re-encryption fails half-way the old tokens are still readable and the
command can simply run again (``Keyring.reencrypt`` skips tokens already current).
Rule 2: blind indexes do not change on rotation (their key is separate), so lookups by
number keep working throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from lexdial.service.ports import Audit
from lexdial.service.users import Caller, authorize

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: (table, encrypted column, encryption context) of every encrypted value in the store
ENCRYPTED = (
    ("contacts", "name_enc", "contacts.name"),
    ("contacts", "address_enc", "contacts.address"),
    ("contacts", "matter_ref_enc", "contacts.matter_ref"),
    ("contact_numbers", "number_enc", "contact_numbers.number"),
    ("consents", "source_ip_enc", "consents.source_ip"),
    ("consents", "disclosure_text_enc", "consents.disclosure_text"),
    ("consents", "user_agent_enc", "consents.user_agent"),
    ("revocations", "evidence_enc", "revocations.evidence"),
    ("dnc_entries", "evidence_enc", "dnc_entries.evidence"),
    ("users", "name_enc", "users.name"),
    ("pending_uploads", "name_enc", "uploads.name"),
    ("pending_uploads", "file_enc", "uploads.file"),
    ("call_dispositions", "notes_enc", "call_dispositions.notes"),  # (for desk)
    ("call_attempts", "request_enc", "call_attempts.request"),
)


class RotatingKeyring(Protocol):
    """What rotation needs of a keyring (``adapters.crypto.Keyring`` is one)."""

    @property
    def current(self) -> str: ...

    def rotated(self) -> Self: ...

    def reencrypt(self, token: str, *, context: str) -> str: ...


K = TypeVar("K", bound=RotatingKeyring)


def rotate_keys(
    transaction: Callable[[], AbstractContextManager[UnitOfWork]],
    keyring: K,
    save: Callable[[K], None],
    audit: Audit,
    at: datetime,
    caller: Caller,
) -> tuple[K, int]:
    """Rotate the data key and re-encrypt everything; returns the new keyring and how many
    values changed. ``transaction`` opens a write unit of work (called twice: the check of
    the caller, then the re-encryption); ``save`` keeps the new keyring (Rule 1) between
    them."""
    with transaction() as uow:
        actor = authorize(uow, caller, "keys.rotate")
    new = keyring.rotated()
    save(new)
    changed = 0
    with transaction() as uow:
        for table, column, context in ENCRYPTED:
            for row_id, token in uow.keys.encrypted_values(table, column):
                fresh = new.reencrypt(token, context=context)
                if fresh != token:
                    uow.keys.replace_value(table, column, row_id, fresh)
                    changed += 1
        audit.record(
            uow,
            at=at,
            actor=actor,
            action="keys.rotated",
            subject=f"key:{new.current}",
            data={"values": changed},
        )
    return new, changed
