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

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from lexdial.service import outbox
from lexdial.service.repos.campaigns import AuditHead
from lexdial.service.storage import UnitOfWork

EVENT = "audit.checkpoint"


class SignedCheckpoint(Protocol):
    """What a signer hands back: the head it signed, when, and its published form."""

    @property
    def seq(self) -> int: ...

    @property
    def head(self) -> str: ...

    @property
    def at(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


C = TypeVar("C", bound=SignedCheckpoint)


class CheckpointSigner(Protocol[C]):
    """The signing key and the checkpoint book (``adapters.audit.checkpoint``)."""

    def last(self) -> C | None: ...

    def sign(self, anchor: Any, at: datetime) -> C:
        """Sign ``anchor`` (anything with the chain head's ``seq`` and ``hash``)."""
        ...

    def append(self, checkpoint: C) -> None: ...


def publish_checkpoint(
    transaction: Callable[[], AbstractContextManager[UnitOfWork]],
    signer: CheckpointSigner[C],
    at: datetime,
    *,
    notify: bool,
    mismatch: Callable[[str], Exception],
) -> C | None:
    """Sign and publish the chain's head if it moved; None when there is nothing new.
    ``transaction`` opens the write transaction; ``mismatch`` makes the error raised when
    the chain contradicts the last checkpoint (rule 2)."""
    last = signer.last()
    with transaction() as uow:
        head: AuditHead = uow.reports.audit_head()
        if head.seq == 0 or (last is not None and (last.seq, last.head) == (head.seq, head.hash)):
            return None
        if last is not None:
            kept = uow.reports.audit_hash_at(last.seq)
            if kept != last.head:
                raise mismatch(
                    f"the audit trail no longer holds entry {last.seq} as signed at {last.at} "
                    "(truncated or rewritten): no checkpoint signed; run 'lexdial audit verify'"
                )
        checkpoint = signer.sign(head, at)
        if notify:
            outbox.enqueue(uow, EVENT, checkpoint.to_dict(), at)
        # the file line last: if it cannot be written, the queued event rolls back with it
        signer.append(checkpoint)
    return checkpoint
