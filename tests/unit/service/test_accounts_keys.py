"""Key rotation on the in-memory unit of work (``service.keys``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from lexdial.errors import PermissionDeniedError
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.keys import ENCRYPTED, rotate_keys
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import OPERATOR, Caller

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


@dataclass(frozen=True)
class _Ring:
    """A keyring fake: a token is ``key:context:text``; reencrypt moves it to the current key."""

    current: str
    saved: list[str] = field(default_factory=list)

    def rotated(self) -> _Ring:
        return _Ring(f"k{int(self.current[1:]) + 1}", self.saved)

    def reencrypt(self, token: str, *, context: str) -> str:
        key, ctx, text = token.split(":", 2)
        assert ctx == context
        return token if key == self.current else f"{self.current}:{ctx}:{text}"


def _transactions(
    uow: MemoryUnitOfWork,
) -> tuple[list[str], Callable[[], AbstractContextManager[UnitOfWork]]]:
    opened: list[str] = []

    @contextmanager
    def transaction() -> Iterator[UnitOfWork]:
        opened.append("tx")
        yield uow

    return opened, transaction


def test_every_encrypted_value_moves_to_the_new_key_saved_before_the_store_is_touched() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.keys.values[("contacts", "name_enc")] = {1: "k1:contacts.name:Ada", 2: None}
    uow.keys.values[("users", "name_enc")] = {5: "k2:users.name:already current"}
    uow.keys.values[("dnc_entries", "evidence_enc")] = {3: "k1:dnc_entries.evidence:sms STOP"}
    ring = _Ring("k1")
    seen_when_saved: list[dict[int, str | None]] = []

    def save(new: _Ring) -> None:
        ring.saved.append(new.current)
        seen_when_saved.append(dict(uow.keys.values[("contacts", "name_enc")]))

    opened, transaction = _transactions(uow)
    new, changed = rotate_keys(transaction, ring, save, audit, NOW, OPERATOR)
    assert (new.current, changed, ring.saved) == ("k2", 2, ["k2"])
    assert seen_when_saved == [{1: "k1:contacts.name:Ada", 2: None}]  # Rule 1
    assert uow.keys.values[("contacts", "name_enc")] == {1: "k2:contacts.name:Ada", 2: None}
    assert uow.keys.values[("users", "name_enc")] == {5: "k2:users.name:already current"}
    assert opened == ["tx", "tx"]
    assert audit.entries[0]["action"] == "keys.rotated"
    assert audit.entries[0]["subject"] == "key:k2" and audit.entries[0]["data"] == {"values": 2}


def test_only_an_admin_rotates_keys_and_a_refusal_saves_no_keyring() -> None:
    uow = MemoryUnitOfWork()
    manager = Caller.user(uow.users.seed(1, "manager"))
    ring = _Ring("k1")
    _, transaction = _transactions(uow)
    with pytest.raises(PermissionDeniedError):
        rotate_keys(transaction, ring, lambda r: ring.saved.append(r.current), ListAudit(), NOW,
                    manager)  # fmt: skip
    assert ring.saved == []


def test_the_encrypted_columns_have_distinct_contexts() -> None:
    assert len({context for _, _, context in ENCRYPTED}) == len(ENCRYPTED)
