"""Pipelined writes (``fast_pipe``, ``fast`` rule 9): inside ``pipelining`` a ``send`` on
PostgreSQL goes to the server without waiting for its answer, and the next read, Core
statement, commit or rollback collects it; an error surfaces there as SQLAlchemy's own; a
gate batch that meets one rolls back and runs its jobs alone. Elsewhere nothing waits
unanswered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import fast_pipe
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.fast import Fast
from lexdial.adapters.db.uow import transactions
from lexdial.service.gate_batch import GateBatcher

from .conftest import drop_backend

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
_FIRM = Fast(insert(t.firms))
_NAMES = Fast(select(t.firms.c.id, t.firms.c.name).order_by(t.firms.c.id))


def firm(i: int) -> dict[str, Any]:
    return {"id": i, "name": f"Firm {i} LLP", "created_at": NOW}


def ids(store: Engine) -> list[int]:
    with store.connect() as conn:
        return list(conn.execute(select(t.firms.c.id).order_by(t.firms.c.id)).scalars())


def test_writes_sent_in_a_pipelined_block_commit_with_its_transaction(store: Engine) -> None:
    with store.begin() as conn, fast_pipe.pipelining(conn):
        for i in range(2, 12):
            _FIRM.send(conn, firm(i))
    assert ids(store) == list(range(1, 12))


def test_on_postgresql_sent_writes_wait_unanswered_until_the_next_read(store: Engine) -> None:
    pg = store.dialect.name == "postgresql"
    with store.begin() as conn:
        with fast_pipe.pipelining(conn):
            _FIRM.send(conn, firm(2))
            _FIRM.send(conn, firm(3))
            assert fast_pipe.is_open(conn) is pg  # SQLite has no server to wait for
            names = _NAMES.rows(conn, {})
            assert not fast_pipe.is_open(conn)
        assert [r["id"] for r in names] == [1, 2, 3]
        _FIRM.send(conn, firm(4))  # outside the block: an ordinary statement
        assert not fast_pipe.is_open(conn)


def test_a_read_sent_for_later_is_read_after_the_next_one(store: Engine) -> None:
    with store.begin() as conn, fast_pipe.pipelining(conn):
        _FIRM.send(conn, firm(2))
        first = _NAMES.later(conn, {})
        _FIRM.send(conn, firm(3))
        second = _NAMES.rows(conn, {})
        # each read its own answer: the later one sees only what was sent before it
        assert [r["id"] for r in first()] == [1, 2]
        assert [r["id"] for r in second] == [1, 2, 3]


def test_the_error_of_a_sent_write_is_raised_by_the_next_read_as_sqlalchemy_raises_it(
    store: Engine,
) -> None:
    with pytest.raises(IntegrityError), store.begin() as conn, fast_pipe.pipelining(conn):
        _FIRM.send(conn, firm(2))
        _FIRM.send(conn, firm(1))  # the firm already there
        _NAMES.rows(conn, {})
    assert ids(store) == [1]  # nothing of the transaction committed
    with store.begin() as conn:  # the pooled connection is usable again
        _FIRM.run(conn, firm(5))
    assert ids(store) == [1, 5]


def test_a_core_statement_and_the_commit_collect_what_was_sent_first(store: Engine) -> None:
    with store.begin() as conn, fast_pipe.pipelining(conn):
        _FIRM.send(conn, firm(2))
        assert conn.execute(select(func.count()).select_from(t.firms)).scalar() == 2
        _FIRM.send(conn, firm(3))  # collected by the block's end, then the commit
    assert ids(store) == [1, 2, 3]


def test_an_error_in_the_block_rolls_back_what_was_sent(store: Engine) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn, fast_pipe.pipelining(conn):
        _FIRM.send(conn, firm(2))
        raise RuntimeError("a bug in a job")
    assert ids(store) == [1]
    with store.begin() as conn:
        assert [r["id"] for r in _NAMES.rows(conn, {})] == [1]


def test_a_batch_whose_sent_write_fails_runs_its_jobs_alone_and_only_that_one_fails(
    store: Engine,
) -> None:
    batcher = GateBatcher(transactions(store), SqlAudit())

    def job(i: int) -> Any:
        def run(uow: Any, _audit: Any) -> int:
            _FIRM.send(uow.connection, firm(i))
            return i

        return run

    # firm 1 exists: its write fails, reported only at a later statement of the batch
    outcomes = batcher.run_batch([job(2), job(1), job(3)])
    assert [o.error is None for o in outcomes] == [True, False, True]
    assert isinstance(outcomes[1].error, IntegrityError)
    assert (batcher.batches, batcher.alone) == (0, 3)
    assert ids(store) == [1, 2, 3]


def test_a_server_lost_while_writes_wait_unanswered_is_an_error_and_the_connection_is_replaced(
    store: Engine,
) -> None:
    if store.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    with pytest.raises(DBAPIError) as lost, store.begin() as conn, fast_pipe.pipelining(conn):
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        _FIRM.send(conn, firm(2))
        drop_backend(store, pid)
        _FIRM.send(conn, firm(3))
        _NAMES.rows(conn, {})
    assert lost.value.connection_invalidated
    assert ids(store) == [1]  # nothing of it committed
    with store.connect() as conn:  # a new connection serves the next transaction
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid
