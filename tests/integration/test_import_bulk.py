"""A large import is written in bulk, on SQLite and PostgreSQL: the number of statements
does not grow with the rows, every contact and consent still has its own audit entry in an
intact chain, progress counts what has been written, and it stays all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from lexdial.adapters.audit.chain import verify
from lexdial.adapters.audit.sql import SqlAudit, SqlAuditStore
from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.service import imports
from lexdial.service.users import OPERATOR

from .conftest import NOW

HEADER = "Phone,Name,State,Consent kind,Consent scope,Consent given at,Consent method," \
         "Disclosure text,Disclosure version,Captured by,Seller"  # fmt: skip
CONSENT = 'express,"reminder,notification",2026-06-01T12:00:00Z,letter,You agree.,v3,intake,Firm'


def _table(n: int, extra: list[str] = ()) -> imports.Table:  # type: ignore[assignment]
    lines = [HEADER] + [
        f"+1 614 {200 + i // 10_000:03d} {i % 10_000:04d},Client {i},OH,{CONSENT}" for i in range(n)
    ]
    return imports.read_csv(("\n".join([*lines, *extra]) + "\n").encode())


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def statements(store: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    event.listen(store, "before_cursor_execute", count)
    yield seen
    event.remove(store, "before_cursor_execute", count)


def _import(store: Engine, cipher: Keyring, table: imports.Table, **kw: Any) -> Any:
    mapping = imports.resolve_mapping(table.headers, {})
    with store.begin() as conn:
        return imports.import_rows(conn, cipher, SqlAudit(), 1, table, mapping, OPERATOR, NOW, **kw)


def test_the_statements_of_an_import_do_not_grow_with_its_rows(
    store: Engine, statements: list[str]
) -> None:
    report = _import(store, Keyring.generate(), _table(3000))
    assert (report.created, report.consents_added) == (3000, 3000)
    assert len(statements) < 60, f"{len(statements)} statements for 3000 rows"


def test_every_contact_and_consent_is_audited_in_an_intact_chain(store: Engine) -> None:
    _import(store, Keyring.generate(), _table(2500))
    with store.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.action, func.count()).group_by(t.audit_log.c.action)
        ).all()
        result = verify(SqlAuditStore(conn))
    assert dict(rows) == {"contact.created": 2500, "consent.recorded": 2500,
                          "contacts.imported": 1}  # fmt: skip
    assert result.ok and result.count == 5001


def test_progress_counts_people_already_written(store: Engine) -> None:
    cipher, seen = Keyring.generate(), []
    table = _table(4500)
    mapping = imports.resolve_mapping(table.headers, {})
    with store.begin() as conn:

        def tick(done: int, total: int) -> None:
            written = conn.execute(select(func.count()).select_from(t.contacts)).scalar_one()
            seen.append((done, total, written))

        imports.import_rows(conn, cipher, SqlAudit(), 1, table, mapping, OPERATOR, NOW,
                            on_progress=tick)  # fmt: skip
    assert [s[0] for s in seen] == sorted(s[0] for s in seen) and seen[-1][:2] == (4500, 4500)
    assert all(done == written for done, _, written in seen)


def test_a_reimport_and_a_repeated_consent_are_counted_as_existing(store: Engine) -> None:
    cipher = Keyring.generate()
    twice = f"+1 614 200 0001,Client 1,OH,{CONSENT}"
    first = _import(store, cipher, _table(3, [twice]))
    assert (first.created, first.consents_added, first.consents_existing) == (3, 3, 1)
    again = _import(store, cipher, _table(3))
    assert (again.created, again.existing, again.consents_existing) == (0, 3, 3)
    assert _count(store, t.consents) == 3 and _count(store, t.contacts) == 3


def test_one_bad_row_among_thousands_imports_nothing(store: Engine) -> None:
    report = _import(store, Keyring.generate(), _table(3000, [f"not a number,X,OH,{CONSENT}"]))
    assert [(e.row, e.field) for e in report.errors] == [(3002, "number")]
    assert _count(store, t.contacts) == 0 and _count(store, t.audit_log) == 0
