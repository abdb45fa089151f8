"""Uploaded import files waiting between the preview and the import, kept in the store so
that any API process can show the preview or finish the import.

Rule 1: the file is personal data: it is kept only ENCRYPTED with the store's cipher
(compressed, then encrypted under ``FILE_CONTEXT``; its name under ``NAME_CONTEXT``), never
plain on disk, and only for ``KEEP_S`` seconds; the key the browser holds is random and the
store keeps only its SHA-256.
Rule 2: an upload is its user's own: another user, an expired upload and an unknown key are
all the same ``NotFoundError`` (it says nothing of uploads that are not the caller's).
Rule 3: ``take`` removes the upload in the caller's transaction: of two processes finishing
the same import, one gets the file and the other a ``NotFoundError``; a rolled-back
transaction keeps it.
Rule 4: a user keeps at most ``MAX_KEPT`` uploads (their oldest is dropped, never another
user's); every new upload purges the expired ones of everyone.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lexdial.errors import NotFoundError
from lexdial.service.repos.inbox import PendingUpload

if TYPE_CHECKING:
    from lexdial.service.ports import Cipher
    from lexdial.service.storage import UnitOfWork

KEEP_S = 30 * 60
MAX_KEPT = 5
FILE_CONTEXT = "uploads.file"
NAME_CONTEXT = "uploads.name"
GONE = "This upload has expired or is not yours: upload the file again."


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded file as the import reads it."""

    data: bytes
    name: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def keep(
    uow: UnitOfWork, cipher: Cipher, firm_id: int, user: str, upload: Upload, at: datetime
) -> str:
    """Keep ``upload`` for ``user`` until ``at + KEEP_S``; the key that finds it again."""
    purge_expired(uow, at)
    mine = uow.inbox.uploads_of(firm_id, user)
    for old in mine[: max(0, len(mine) - MAX_KEPT + 1)]:
        uow.inbox.remove_upload(old)
    key = secrets.token_urlsafe(18)
    packed = base64.b64encode(zlib.compress(upload.data, 1)).decode("ascii")
    uow.inbox.add_upload(
        PendingUpload(
            key_hash(key),
            firm_id,
            user,
            cipher.encrypt(upload.name, context=NAME_CONTEXT),
            cipher.encrypt(packed, context=FILE_CONTEXT),
            at,
            at + timedelta(seconds=KEEP_S),
        )
    )
    return key


def read(
    uow: UnitOfWork, cipher: Cipher, firm_id: int, key: str, user: str, at: datetime
) -> Upload:
    """The user's upload under ``key``, left in place (the preview); ``NotFoundError`` when
    it is unknown, expired or someone else's (Rule 2)."""
    return _open(cipher, _mine(uow, firm_id, key, user, at))


def take(
    uow: UnitOfWork, cipher: Cipher, firm_id: int, key: str, user: str, at: datetime
) -> Upload:
    """The user's upload under ``key``, removed in this transaction (the import: once only,
    Rule 3); ``NotFoundError`` as ``read``."""
    kept = _mine(uow, firm_id, key, user, at)
    if not uow.inbox.remove_upload(kept.key_hash):
        raise NotFoundError("upload", GONE)
    return _open(cipher, kept)


def purge_expired(uow: UnitOfWork, at: datetime) -> int:
    """Forget every upload expired by ``at``; how many."""
    return uow.inbox.purge_uploads(at)


def _mine(uow: UnitOfWork, firm_id: int, key: str, user: str, at: datetime) -> PendingUpload:
    kept = uow.inbox.upload(key_hash(key))
    if kept is None or kept.firm_id != firm_id or kept.user != user or kept.expires_at < at:
        raise NotFoundError("upload", GONE)
    return kept


def _open(cipher: Cipher, kept: PendingUpload) -> Upload:
    packed = cipher.decrypt(kept.file_enc, context=FILE_CONTEXT)
    return Upload(
        zlib.decompress(base64.b64decode(packed)),
        cipher.decrypt(kept.name_enc, context=NAME_CONTEXT),
    )
