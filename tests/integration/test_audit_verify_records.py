"""``audit verify`` compares every record of the store with the audit trail, not only the
records of a number someone exports evidence for (``service.record_sweep``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service import record_sweep
from lexdial.service.fakes import Reversible
from lexdial.service.privacy import erase_person, purge
from lexdial.service.record_sweep import RecordsCheck, check_store
from lexdial.service.users import OPERATOR

from .test_dialer import START
from .test_evidence_for_one_call import _called

pytestmark = pytest.mark.integration


def _check(store: Engine, cipher: Reversible, **kw: Any) -> RecordsCheck:
    with store.connect() as conn:
        return check_store(SqlUnitOfWork(conn), cipher, **kw)


def _named(found: RecordsCheck) -> list[tuple[str, Any, str | None]]:
    return [(p.table, p.to_json()["id"], p.problem.field) for p in found.problems]


def _ids(store: Engine, table: Any) -> list[int]:
    with store.connect() as conn:
        return [int(i) for i in conn.execute(select(table.c.id).order_by(table.c.id)).scalars()]


def test_a_store_whose_records_were_all_written_by_lexdial_agrees_with_its_trail(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    _called(store, rules, cipher)
    seen: list[tuple[int, int]] = []
    found = _check(store, cipher, progress=lambda done, total: seen.append((done, total)))
    assert found.ok, found.problems
    assert found.numbers == 2 and seen[-1] == (2, 2)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("verdict", ("call_attempts", "verdict")),
        ("outcome", ("call_outcomes", "outcome")),
        ("scope", ("consents", "scope")),
        ("channel", ("dnc_entries", "channel")),
        ("revocation deleted", ("revocations", "revoked at")),
        ("opt-out deleted", ("dnc_entries", None)),
        ("attempt deleted", ("call_attempts", None)),
    ],
)
def test_a_row_changed_for_any_number_is_named_by_table_id_and_field(
    store: Engine, rules: RulesEngine, change: str, named: tuple[str, str | None]
) -> None:
    cipher = Reversible()
    _called(store, rules, cipher)
    attempt = _ids(store, t.call_attempts)[-1]  # the second number: no bundle asked for it
    dnc = _ids(store, t.dnc_entries)[-1]
    a, o, c, d = t.call_attempts, t.call_outcomes, t.consents, t.dnc_entries
    with store.begin() as conn:
        if change == "verdict":
            conn.execute(update(a).where(a.c.id == attempt).values(verdict="deny"))
        elif change == "outcome":
            conn.execute(update(o).where(o.c.attempt_id == attempt).values(outcome="human"))
        elif change == "scope":
            conn.execute(update(c).values(scope=["marketing", "reminder"]))
        elif change == "channel":
            conn.execute(update(d).where(d.c.id == dnc).values(channel="staff"))
        elif change == "revocation deleted":
            conn.execute(delete(t.revocations))
        elif change == "opt-out deleted":
            conn.execute(delete(d).where(d.c.id == dnc))
        else:
            conn.execute(delete(o).where(o.c.attempt_id == attempt))
            conn.execute(
                delete(t.call_dispositions).where(t.call_dispositions.c.attempt_id == attempt)
            )
            conn.execute(
                update(t.campaign_contacts)
                .where(t.campaign_contacts.c.last_attempt_id == attempt)
                .values(last_attempt_id=None)
            )
            conn.execute(delete(a).where(a.c.id == attempt))
    found = _check(store, cipher)
    assert not found.ok
    table, field = named
    assert any(n[0] == table and n[2] == field for n in _named(found)), _named(found)
    for p in found.problems:  # named by id, firm and field: never a number or a name
        text = str(p.to_json())
        assert "+1614" not in text and "Client" not in text
        assert p.firm_id == 1


def test_an_erased_persons_records_are_still_compared(store: Engine, rules: RulesEngine) -> None:
    cipher = Reversible()
    number, _ = _called(store, rules, cipher)
    with store.begin() as conn:
        erase_person(SqlUnitOfWork(conn), cipher, SqlAudit(), 1, number, OPERATOR, START)
    assert _check(store, cipher).ok
    attempts = _ids(store, t.call_attempts)
    with store.begin() as conn:  # no contact holds the number now: only the sweep sees it
        conn.execute(
            update(t.call_attempts).where(t.call_attempts.c.id.in_(attempts)).values(verdict="deny")
        )
    assert {n[0] for n in _named(_check(store, cipher))} == {"call_attempts"}


def test_rows_deleted_by_a_retention_purge_are_no_tampering(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    _called(store, rules, cipher)
    with store.begin() as conn:
        purge(SqlUnitOfWork(conn), SqlAudit(), START + timedelta(days=11 * 366), {}, OPERATOR)
    assert _ids(store, t.call_attempts) == []
    assert _check(store, cipher).ok


def test_each_deleted_row_is_named_once_however_the_entries_are_paged(
    store: Engine, rules: RulesEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cipher = Reversible()
    _called(store, rules, cipher)
    with store.begin() as conn:
        conn.execute(delete(t.dnc_entries))
    monkeypatch.setattr(record_sweep, "ENTRIES_PER_READ", 1)
    monkeypatch.setattr(record_sweep, "NUMBERS_PER_READ", 1)
    found = _check(store, cipher)
    assert sorted(n for n in _named(found) if n[0] == "dnc_entries") == [
        ("dnc_entries", 1, None),
        ("dnc_entries", 2, None),
    ]
