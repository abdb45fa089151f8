"""Uploaded import files kept between the preview and the import, on the in-memory unit of
work: a user's own only, once only, gone when expired, never kept plain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lexdial.errors import NotFoundError
from lexdial.service import pending_uploads as uploads
from lexdial.service.fakes import Reversible
from lexdial.service.fakes.uow import memory_uow
from lexdial.service.pending_uploads import KEEP_S, MAX_KEPT, Upload

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
FILE = Upload(b"Mobile,Full Name\n+16145550141,Dana Quill\n", "clients.csv")
CIPHER = Reversible()


def test_a_kept_upload_is_read_back_by_its_user_as_often_as_the_preview_needs() -> None:
    uow = memory_uow()
    key = uploads.keep(uow, CIPHER, 1, "user:7", FILE, NOW)
    assert uploads.read(uow, CIPHER, 1, key, "user:7", NOW) == FILE
    assert uploads.read(uow, CIPHER, 1, key, "user:7", NOW + timedelta(minutes=5)) == FILE


def test_an_upload_is_taken_once_only() -> None:
    uow = memory_uow()
    key = uploads.keep(uow, CIPHER, 1, "user:7", FILE, NOW)
    assert uploads.take(uow, CIPHER, 1, key, "user:7", NOW) == FILE
    with pytest.raises(NotFoundError, match="upload the file again"):
        uploads.take(uow, CIPHER, 1, key, "user:7", NOW)
    with pytest.raises(NotFoundError):
        uploads.read(uow, CIPHER, 1, key, "user:7", NOW)


@pytest.mark.parametrize(
    ("firm_id", "user", "note"),
    [(1, "user:8", "another user"), (2, "user:7", "the same label in another firm")],
)
def test_another_users_upload_is_not_found_and_stays_for_its_owner(
    firm_id: int, user: str, note: str
) -> None:
    uow = memory_uow()
    key = uploads.keep(uow, CIPHER, 1, "user:7", FILE, NOW)
    with pytest.raises(NotFoundError):
        uploads.read(uow, CIPHER, firm_id, key, user, NOW)
    with pytest.raises(NotFoundError):
        uploads.take(uow, CIPHER, firm_id, key, user, NOW)
    assert uploads.take(uow, CIPHER, 1, key, "user:7", NOW) == FILE, note


def test_an_expired_upload_is_refused_with_a_clear_message_and_purged() -> None:
    uow = memory_uow()
    key = uploads.keep(uow, CIPHER, 1, "user:7", FILE, NOW)
    late = NOW + timedelta(seconds=KEEP_S + 1)
    with pytest.raises(NotFoundError, match="expired"):
        uploads.read(uow, CIPHER, 1, key, "user:7", late)
    with pytest.raises(NotFoundError, match="expired"):
        uploads.take(uow, CIPHER, 1, key, "user:7", late)
    assert uploads.purge_expired(uow, late) == 1
    assert uploads.purge_expired(uow, late) == 0


def test_a_new_upload_purges_everyones_expired_uploads() -> None:
    uow = memory_uow()
    uploads.keep(uow, CIPHER, 1, "user:8", FILE, NOW)
    uploads.keep(uow, CIPHER, 1, "user:7", FILE, NOW + timedelta(seconds=KEEP_S + 1))
    assert uow.inbox.uploads_of(1, "user:8") == []


def test_a_user_keeps_at_most_max_kept_uploads_and_never_pushes_out_anothers() -> None:
    uow = memory_uow()
    other = uploads.keep(uow, CIPHER, 1, "user:8", FILE, NOW)
    keys = [
        uploads.keep(uow, CIPHER, 1, "user:7", FILE, NOW + timedelta(seconds=i))
        for i in range(MAX_KEPT + 2)
    ]
    for gone in keys[:2]:
        with pytest.raises(NotFoundError):
            uploads.read(uow, CIPHER, 1, gone, "user:7", NOW)
    for key in keys[2:]:
        assert uploads.read(uow, CIPHER, 1, key, "user:7", NOW) == FILE
    assert uploads.read(uow, CIPHER, 1, other, "user:8", NOW) == FILE


def test_the_store_keeps_the_keys_hash_and_the_file_and_name_encrypted() -> None:
    uow = memory_uow()
    key = uploads.keep(uow, CIPHER, 1, "user:7", FILE, NOW)
    (kept,) = uow.inbox.uploads.values()
    assert kept.key_hash == uploads.key_hash(key) != key
    assert CIPHER.decrypt(kept.name_enc, context=uploads.NAME_CONTEXT) == "clients.csv"
    CIPHER.decrypt(kept.file_enc, context=uploads.FILE_CONTEXT)  # bound to its context
    assert b"Dana" not in kept.file_enc.encode() and "clients" not in kept.name_enc
