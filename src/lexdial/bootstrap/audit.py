"""The store's keys and its audit chain: key rotation, signed checkpoints of the chain's
head, and the one verification the CLI, the API and the web pages show."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lexdial.errors import ConfigError

if TYPE_CHECKING:
    from lexdial.adapters.audit.checkpoint import Checkpoint
    from lexdial.adapters.crypto import Keyring
    from lexdial.bootstrap.store import Store
    from lexdial.service.audit_reads import AuditCheck
    from lexdial.service.users import Caller


def rotate_store_keys(store: Store, at: datetime, caller: Caller) -> int:
    """Rotate the store's data key and re-encrypt everything (``service.keys``), saving the
    new keyring in the data folder; returns how many values changed. Keys given in
    $LEXDIAL_MASTER_KEY are refused: that variable is replaced by whoever set it."""
    from lexdial.adapters.crypto import ENV_VAR, default_key_path
    from lexdial.service.keys import rotate_keys

    if os.environ.get(ENV_VAR):
        raise ConfigError(
            f"keys come from ${ENV_VAR}; rotate by replacing its value with "
            "a keyring that holds the old and the new key"
        )

    def save(keyring: Keyring) -> None:
        keyring.save(default_key_path(store.data_dir))

    store.cipher, changed = rotate_keys(
        store.unit_of_work, store.cipher, save, store.audit, at, caller
    )
    return changed


# --- signed checkpoints of the audit chain ------------------------------------------------


def publish_checkpoint(store: Store, at: datetime | None = None) -> Checkpoint | None:
    """Sign and publish the store's audit head if it moved (file; webhook when configured)."""
    from lexdial.adapters.audit.checkpoint import CheckpointMismatchError
    from lexdial.service.checkpoints import publish_checkpoint as publish
    from lexdial.service.notify import NotifyingAudit

    if store.checkpoints is None:
        return None
    return publish(
        store.unit_of_work,
        store.checkpoints,
        at or datetime.now(UTC),
        notify=isinstance(store.audit, NotifyingAudit),
        mismatch=CheckpointMismatchError,
    )


def checkpoint_for_report(store: Store) -> dict[str, Any] | None:
    """Publish the head if it moved, then the latest signed checkpoint, for a PDF to print
    (None before the first one). A chain that contradicts the last checkpoint is not signed:
    the PDF then prints the last good checkpoint, and its own verification says BROKEN."""
    from lexdial.adapters.audit.checkpoint import PUBLIC_KEY_FILE, CheckpointMismatchError

    if store.checkpoints is None:
        return None
    with suppress(CheckpointMismatchError, OSError):  # the PDF still prints the last good one
        publish_checkpoint(store)
    last = store.checkpoints.last()
    return None if last is None else {**last.to_dict(), "public_key_file": PUBLIC_KEY_FILE}


def verify_audit(
    store: Store,
    anchor: str | None = None,
    field: str = "anchor",
    progress: Callable[[int, int], None] | None = None,
    *,
    records: bool = True,
) -> AuditCheck:
    """Verify the store's audit chain: every entry chains, every signed checkpoint (and
    ``anchor``, a ``SEQ:HASH`` exported earlier) is still held, the checkpoint file's
    lines are signed, and every record still says what its entries recorded
    (``record_sweep``; ``progress`` hears how far it is). The one verification the CLI,
    the API and the web pages show; ``records=False`` leaves out the comparison of every
    record (the API and the web pages show the last one kept: ``record_checks``)."""
    from lexdial.adapters.audit.sql import SqlAuditStore
    from lexdial.domain.audit_chain import Anchor, verify
    from lexdial.errors import RequestError
    from lexdial.service.audit_reads import AuditCheck
    from lexdial.service.record_sweep import NOTHING_CHECKED, check_store

    try:
        pinned = Anchor.parse(anchor) if anchor else None
    except ValueError as exc:  # the parser says how an anchor is written
        raise RequestError(field, str(exc)) from None
    good, bad_lines = store.checkpoints.checkpoints() if store.checkpoints else ([], [])
    with store.db.connect() as conn:
        result = verify(SqlAuditStore(conn), anchor=pinned, anchors=[c.anchor for c in good])
    found = NOTHING_CHECKED
    if records:
        with store.reading() as uow:
            found = check_store(uow, store.cipher, progress)
    return AuditCheck(
        chain_ok=result.ok,
        count=result.count,
        head_seq=result.head.seq,
        head_hash=result.head.hash,
        bad_seq=result.bad_seq,
        problem=result.problem,
        detail=result.detail,
        checkpoints=len(good),
        checkpoint_problems=tuple(bad_lines),
        records=found,
    )


def evidence_anchors(store: Store) -> list[tuple[int, str]]:
    """The signed checkpoints' ``(seq, head hash)``, for ``evidence.bundle(anchors=...)``:
    a bundle's chain must still hold each, or a truncated or rewritten chain could look
    intact. None when the store keeps no checkpoints."""
    good, _ = store.checkpoints.checkpoints() if store.checkpoints else ([], [])
    return [(c.anchor.seq, c.anchor.hash) for c in good]
