"""Publishing signed checkpoints of the audit chain (file, webhook, evidence PDFs).

Rule 1: a checkpoint is published whenever the chain's head moved since the last one: by
every command line run that wrote to the store (at its end), by the web app every minute,
and before an evidence PDF is written (which prints it).
Rule 2: a head that contradicts the last signed checkpoint (the entry it names is gone or
has another hash) is never signed: lexdial must not bless a truncated or rewritten chain.
Rule 3: with a webhook configured, each checkpoint is also queued for it, in the same
transaction as the check, so the firm holds copies outside this machine.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from lexdial.adapters.audit.chain import AuditLog
from lexdial.adapters.audit.checkpoint import (
    Checkpoint,
    CheckpointMismatchError,
    CheckpointSigner,
)
from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service import outbox

EVENT = "audit.checkpoint"


def publish_checkpoint(
    db: Engine, signer: CheckpointSigner, at: datetime, *, notify: bool
) -> Checkpoint | None:
    """Sign and publish the chain's head if it moved; None when there is nothing new."""
    last = signer.last()
    with db.begin() as conn:
        head = AuditLog(SqlAuditStore(conn)).head()
        if head.seq == 0 or (last is not None and last.anchor == head):
            return None
        if last is not None:
            kept = conn.execute(
                select(t.audit_log.c.hash).where(t.audit_log.c.seq == last.seq)
            ).scalar()
            if kept != last.head:
                raise CheckpointMismatchError(
                    f"the audit trail no longer holds entry {last.seq} as signed at {last.at} "
                    "(truncated or rewritten): no checkpoint signed; run 'lexdial audit verify'"
                )
        checkpoint = signer.sign(head, at)
        if notify:
            outbox.enqueue(SqlUnitOfWork(conn), EVENT, checkpoint.to_dict(), at)
        # the file line last: if it cannot be written, the queued event rolls back with it
        signer.append(checkpoint)
    return checkpoint
