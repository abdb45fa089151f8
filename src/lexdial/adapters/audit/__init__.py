"""The audit trail: an append-only, hash-chained log of every fact lexdial acts on.

Consents, revocations, opt-outs, decisions, call outcomes, rule-pack changes and user
actions each become one ``AuditEntry``; ``verify`` proves none was edited, deleted or
reordered (and, given an exported ``Anchor``, that none was cut off the end). The chain
and masking are here; a store binds them to a database (``AuditStore``).
"""

from __future__ import annotations

from lexdial.adapters.audit.chain import (
    GENESIS,
    Anchor,
    AuditConflictError,
    AuditEntry,
    AuditLog,
    AuditStore,
    MemoryAuditStore,
    Problem,
    VerifyResult,
    canonical_json,
    iso_z,
    plain_json,
    verify,
)
from lexdial.adapters.audit.masking import MASK, MaskKind, mask, mask_value

__all__ = [
    "GENESIS",
    "MASK",
    "Anchor",
    "AuditConflictError",
    "AuditEntry",
    "AuditLog",
    "AuditStore",
    "MaskKind",
    "MemoryAuditStore",
    "Problem",
    "VerifyResult",
    "canonical_json",
    "iso_z",
    "mask",
    "mask_value",
    "plain_json",
    "verify",
]
