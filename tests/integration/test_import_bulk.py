"""A large import is written in bulk, on SQLite and PostgreSQL: the number of statements
does not grow with the rows, every contact and consent still has its own audit entry in an
intact chain, progress counts what has been written, and it stays all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from lexdial.adapters.audit.sql import SqlAudit, SqlAuditStore
from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.domain.audit_chain import verify
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
        uow = SqlUnitOfWork(conn)
        return imports.import_rows(uow, cipher, SqlAudit(), 1, table, mapping, OPERATOR, NOW, **kw)


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

        imports.import_rows(SqlUnitOfWork(conn), cipher, SqlAudit(), 1, table, mapping,
                            OPERATOR, NOW, on_progress=tick)  # fmt: skip
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


def _rows_as_stored(
    engine: Engine, table: Any, ids: range, skip: tuple[str, ...] = ()
) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them (no SQLAlchemy type conversion), id dropped."""
    names = ", ".join(c.name for c in table.columns if c.name not in ("id", *skip))
    sql = f"SELECT {names} FROM {table.name} WHERE id >= {ids.start} AND id < {ids.stop} " \
          "ORDER BY id"  # fmt: skip
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql).all()]


def test_a_bulk_insert_stores_exactly_what_sqlalchemy_stores(store: Engine) -> None:
    """``insert_many`` (on SQLite: one compiled statement, the columns' own converters,
    repeated values converted once) leaves the same bytes as ``conn.execute(insert())``."""
    from sqlalchemy import insert

    from lexdial.adapters.db.bulk import insert_many

    east = timezone(timedelta(hours=-5))
    at, given = NOW, NOW.astimezone(east)
    contacts = [
        {"firm_id": 1, "name_enc": n, "address_enc": None, "relationship": "none",
         "last_transaction_on": d, "inquiry_on": None, "subscriber": None,
         "matter_type": None, "lawful_basis": basis, "created_at": at}
        for n, d, basis in (("a", None, None), ("b", NOW.date(), {"reminder": "consent"}),
                            ("c", None, "consent"), ("d", None, None))
    ]  # fmt: skip
    consents = [
        {"firm_id": 1, "contact_id": cid, "number_bidx": "ab" * 32, "kind": "express",
         "scope": scope, "technologies": tech, "sellers": ["Firm", "Ünï"],
         "given_at": g, "method": "letter", "disclosure_text_enc": "x",
         "disclosure_version": "v3", "disclosure_sha256": "cd" * 32, "captured_by": "i",
         "source_ip_enc": None, "user_agent_enc": None, "document_ref": None,
         "evidence_sha256": f"{cid:064d}", "created_at": at}
        for cid, scope, tech, g in ((1, ["reminder"], None, given), (2, ["reminder"], None, at),
                                    (3, [1, True], ["autodialer"], given),
                                    (4, ["a", "b"], [], given))
    ]  # fmt: skip
    with store.begin() as conn:
        conn.execute(insert(t.contacts), [{"id": i + 1, **r} for i, r in enumerate(contacts)])
        insert_many(conn, t.contacts, [{"id": i + 11, **r} for i, r in enumerate(contacts)])
        conn.execute(insert(t.consents), [{"id": i + 1, **r} for i, r in enumerate(consents)])
        again = [{**r, "evidence_sha256": "e" + r["evidence_sha256"][1:]} for r in consents]
        insert_many(conn, t.consents, [{"id": i + 11, **r} for i, r in enumerate(again)])
    assert _rows_as_stored(store, t.contacts, range(1, 5)) == _rows_as_stored(
        store, t.contacts, range(11, 15)
    )
    skip = ("evidence_sha256",)  # made unique above
    ours = _rows_as_stored(store, t.consents, range(11, 15), skip)
    assert len(ours) == 4 and ours == _rows_as_stored(store, t.consents, range(1, 5), skip)


def test_checking_reports_rows_checked_before_any_person_is_written(store: Engine) -> None:
    table, seen = _table(4500), []
    mapping = imports.resolve_mapping(table.headers, {})
    with store.begin() as conn:
        imports.import_rows(SqlUnitOfWork(conn), Keyring.generate(), SqlAudit(), 1, table,
                            mapping, OPERATOR, NOW,
                            on_progress=lambda d, n: seen.append(("written", d, n)),
                            on_checked=lambda d, n: seen.append(("checked", d, n)))  # fmt: skip
    checked = [s for s in seen if s[0] == "checked"]
    assert checked == [("checked", d, 4500) for d in (0, 2000, 4000, 4500)]
    assert seen.index(checked[-1]) < seen.index(("written", 2000, 4500))


def test_an_import_leaves_the_connection_s_sqlite_cache_as_it_found_it(store: Engine) -> None:
    from lexdial.adapters.db.bulk import BULK_CACHE_KIB, large_cache

    with store.begin() as conn:
        if store.dialect.name != "sqlite":
            with large_cache(conn):  # nothing to do elsewhere
                return
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        with large_cache(conn):
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -BULK_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
        mapping = imports.resolve_mapping(_table(3).headers, {})
        imports.import_rows(SqlUnitOfWork(conn), Keyring.generate(), SqlAudit(), 1, _table(3),
                            mapping, OPERATOR, NOW)  # fmt: skip
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
