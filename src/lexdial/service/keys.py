"""Key rotation: a new data key, and every stored value re-encrypted under it.

Rule 1: the new keyring (old keys kept for decryption) is saved BEFORE the database is
touched; if re-encryption fails half-way the old tokens are still readable and the
command can simply run again (``Keyring.reencrypt`` skips tokens already current).
Rule 2: blind indexes do not change on rotation (their key is separate), so lookups by
number keep working throughout.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from lexdial.adapters.crypto import ENV_VAR, default_key_path
from lexdial.adapters.db import tables as t
from lexdial.errors import ConfigError
from lexdial.service.users import Caller, authorize

if TYPE_CHECKING:
    from lexdial.bootstrap import Store

#: (table, encrypted column, encryption context) of every encrypted value in the store
ENCRYPTED = (
    (t.contacts, "name_enc", "contacts.name"),
    (t.contacts, "address_enc", "contacts.address"),
    (t.contacts, "matter_ref_enc", "contacts.matter_ref"),
    (t.contact_numbers, "number_enc", "contact_numbers.number"),
    (t.consents, "source_ip_enc", "consents.source_ip"),
    (t.consents, "disclosure_text_enc", "consents.disclosure_text"),
    (t.consents, "user_agent_enc", "consents.user_agent"),
    (t.revocations, "evidence_enc", "revocations.evidence"),
    (t.dnc_entries, "evidence_enc", "dnc_entries.evidence"),
    (t.users, "name_enc", "users.name"),
)


def rotate_keys(store: Store, at: datetime, caller: Caller) -> int:
    """Rotate the data key and re-encrypt everything; returns how many values changed."""
    import os

    if os.environ.get(ENV_VAR):
        raise ConfigError(
            f"keys come from ${ENV_VAR}; rotate by replacing its value with "
            "a keyring that holds the old and the new key"
        )
    with store.db.begin() as conn:
        actor = authorize(conn, caller, "keys.rotate")
    new = store.cipher.rotated()
    new.save(default_key_path(store.data_dir))
    changed = 0
    with store.db.begin() as conn:
        for table, column, context in ENCRYPTED:
            col = table.c[column]
            rows = conn.execute(select(table.c.id, col).where(col.is_not(None))).all()
            for row_id, token in rows:
                fresh = new.reencrypt(token, context=context)
                if fresh != token:
                    conn.execute(update(table).where(table.c.id == row_id).values({column: fresh}))
                    changed += 1
        store.audit.record(
            conn,
            at=at,
            actor=actor,
            action="keys.rotated",
            subject=f"key:{new.current}",
            data={"values": changed},
        )
    store.cipher = new
    return changed
