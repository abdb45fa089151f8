"""Statements run on the driver's cursor (``adapters.db.fast``) write and read exactly what
Core writes and reads, inside the caller's transaction, and fail as Core fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.fast import Fast

pytestmark = pytest.mark.integration

LOCAL = datetime(2026, 6, 1, 9, 0, 30, 250, tzinfo=timezone(timedelta(hours=-5)))
_FIRM = Fast(insert(t.firms).returning(t.firms.c.id))
_READ = Fast(select(t.firms.c.id, t.firms.c.created_at).where(t.firms.c.id == 7))


def _outbox_row(payload: object) -> dict[str, object]:
    return {"event": "e", "payload": payload, "created_at": LOCAL, "next_attempt_at": LOCAL}


def test_a_row_written_on_the_cursor_reads_back_through_core_as_core_wrote_it(
    store: Engine,
) -> None:
    with store.begin() as conn:
        new = _FIRM.rows(conn, {"id": 7, "name": "Fast LLP", "created_at": LOCAL})
        conn.execute(insert(t.firms).values(id=8, name="Core LLP", created_at=LOCAL))
        fast = Fast(insert(t.outbox))
        fast.run(conn, _outbox_row({"a": [1, None]}))
        fast.run(conn, _outbox_row(None))
        conn.execute(insert(t.outbox).values(**_outbox_row({"a": [1, None]})))
        conn.execute(insert(t.outbox).values(**_outbox_row(None)))
    assert new == [{"id": 7}]
    with store.connect() as conn:
        firms = conn.execute(select(t.firms.c.id, t.firms.c.created_at).where(t.firms.c.id > 6))
        by_core = {r.id: r.created_at for r in firms}
        payloads = [r.payload for r in conn.execute(select(t.outbox).order_by(t.outbox.c.id))]
        read = _READ.rows(conn, {})
    assert by_core[7] == by_core[8] == LOCAL and by_core[7].tzinfo is UTC
    assert payloads[:2] == payloads[2:] == [{"a": [1, None]}, None]
    assert read == [{"id": 7, "created_at": LOCAL}] and read[0]["created_at"].tzinfo is UTC


def test_a_statement_on_the_cursor_rolls_back_with_the_callers_transaction(
    store: Engine,
) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn:
        _FIRM.rows(conn, {"id": 7, "name": "Fast LLP", "created_at": LOCAL})
        raise RuntimeError("the use case failed after the write")
    with store.connect() as conn:
        assert _READ.rows(conn, {}) == []


def test_a_driver_error_on_the_cursor_is_raised_as_sqlalchemys_own_error(store: Engine) -> None:
    with store.begin() as conn:
        _FIRM.rows(conn, {"id": 7, "name": "Fast LLP", "created_at": datetime.now(UTC)})
    with pytest.raises(IntegrityError), store.begin() as conn:
        _FIRM.rows(conn, {"id": 7, "name": "Again LLP", "created_at": datetime.now(UTC)})


def test_a_statement_on_the_cursor_is_seen_by_the_engines_listeners(store: Engine) -> None:
    from sqlalchemy import event

    seen: list[str] = []

    def listen(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(store, "before_cursor_execute", listen)
    try:
        with store.connect() as conn:
            _READ.rows(conn, {})
    finally:
        event.remove(store, "before_cursor_execute", listen)
    assert any("FROM firms" in sql for sql in seen)


def test_instants_read_on_the_cursor_are_the_aware_utc_instants_core_reads(store: Engine) -> None:
    instants = [
        LOCAL,
        LOCAL.replace(microsecond=0),
        datetime(1999, 12, 31, 23, 59, 59, 999999, UTC),
    ]
    with store.begin() as conn:
        for i, at in enumerate(instants, start=20):
            conn.execute(insert(t.firms).values(id=i, name=f"F{i}", created_at=at))
        read = Fast(select(t.firms.c.id, t.firms.c.created_at).where(t.firms.c.id >= 20))
        fast = {r["id"]: r["created_at"] for r in read.rows(conn, {})}
        rows = conn.execute(select(t.firms.c.id, t.firms.c.created_at).where(t.firms.c.id >= 20))
        core = {r.id: r.created_at for r in rows}
    assert fast == core == dict(enumerate(instants, start=20))
    assert all(v.tzinfo == UTC and v.isoformat() == core[k].isoformat() for k, v in fast.items())


def test_count_is_the_rows_an_update_matched_as_core_reports_them(store: Engine) -> None:
    from sqlalchemy import bindparam, update

    f = t.firms
    # firms' names are unique: the region is the column set
    rename = update(f).where(f.c.id >= bindparam("from_id")).values(default_region=bindparam("r"))
    fast = Fast(rename)
    with store.begin() as conn:
        for i in (20, 21, 22):
            conn.execute(insert(f).values(id=i, name=f"F{i}", created_at=LOCAL))
        counted = [fast.count(conn, {"from_id": i, "r": "GB"}) for i in (23, 22, 20)]
        regions = conn.execute(select(f.c.default_region).where(f.c.id >= 20)).scalars().all()
        by_core = [conn.execute(rename, {"from_id": i, "r": "CA"}).rowcount for i in (23, 22, 20)]
    assert counted == by_core == [0, 1, 3]
    assert regions == ["GB"] * 3


def test_count_of_a_statement_that_returns_rows_is_refused(store: Engine) -> None:
    with store.connect() as conn, pytest.raises(TypeError, match="returns rows"):
        _READ.count(conn, {})


def test_a_float_column_read_on_the_cursor_is_what_core_reads(store: Engine) -> None:
    # PostgreSQL's numeric processors depend on the type the server sent (fast rule 8): a
    # float column, a float literal and a NUMERIC one all read as Core reads them
    from sqlalchemy import Float, Numeric, cast, literal

    c = t.campaigns.c
    read = select(
        c.ring_timeout_s, cast(literal("2.50"), Numeric(asdecimal=False)).label("n"),
        cast(literal(0.1), Float).label("f"),
    ).where(c.id == 1)  # fmt: skip
    with store.begin() as conn:
        conn.execute(
            insert(t.campaigns).values(
                id=1, firm_id=1, name="c", purpose="reminder", technology="prerecorded",
                mode="predictive", ring_timeout_s=17.5, created_at=LOCAL,
            )
        )  # fmt: skip
        fast = Fast(read).rows(conn, {})
        core = [dict(r) for r in conn.execute(read).mappings()]
    assert fast == core == [{"ring_timeout_s": 17.5, "n": 2.5, "f": 0.1}]
    assert [type(v) for v in fast[0].values()] == [type(v) for v in core[0].values()]
