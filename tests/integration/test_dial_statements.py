"""The dialler's per-call statements, run on the driver's cursor (``dial_statements``,
``queries``), store and read exactly what the Core expressions they replaced stored and
read: each is checked against that expression, kept here as the reference, on twin rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Text, cast, insert, select, update
from sqlalchemy.exc import NoResultFound

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.repos.calls import SqlAttemptRepository
from lexdial.service.repos.calls import NewOutcome

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 15, 0, 0, 123456, tzinfo=UTC)
LATER = datetime(2026, 11, 3, 9, 30, tzinfo=timezone(timedelta(hours=-6)))


def _seed(conn: Connection) -> None:
    conn.execute(
        insert(t.campaigns).values(
            id=1, firm_id=1, name="c", purpose="reminder", technology="prerecorded",
            mode="predictive", subject=None, ring_timeout_s=17.5, caller_id="+15550100",
            safe_harbor_message=True, script={"steps": ["a", None]}, status="running",
            settings={"x": 1}, created_at=T0,
        )
    )  # fmt: skip
    for i in (1, 2):
        conn.execute(insert(t.contacts).values(id=i, firm_id=1, created_at=T0))
    for i in (1, 2):
        conn.execute(
            insert(t.call_attempts).values(
                id=i, firm_id=1, contact_id=i, campaign_id=1, number_bidx="b", at=T0,
                purpose="reminder", technology="prerecorded", status="allowed", created_at=T0,
            )
        )  # fmt: skip


def _twin_queue_rows(conn: Connection, **values: Any) -> None:
    """Queue rows 1 (moved by Core) and 2 (moved by the repository), alike but for contact."""
    conn.execute(t.campaign_contacts.delete())
    for i in (1, 2):
        row = {"id": i, "campaign_id": 1, "contact_id": i, **values}
        conn.execute(insert(t.campaign_contacts).values(**row))


def _stored(conn: Connection, table: Any, key: Any, ident: int, skip: set[str]) -> dict[str, Any]:
    """The row's columns as the database holds them (cast to text: JSON 'null' and SQL NULL,
    an instant's stored form, all tell apart)."""
    cols = [c for c in table.c if c.name not in skip]
    row = conn.execute(select(*(cast(c, Text) for c in cols)).where(key == ident)).one()
    return dict(zip((c.name for c in cols), row, strict=True))


# the Core expressions the repository ran before (the reference)
def _core_queue(conn: Connection, qid: int, **values: object) -> int:
    q = t.campaign_contacts
    return conn.execute(q.update().where(q.c.id == qid).values(**values)).rowcount


def _core_claim(conn: Connection, qid: int, statuses: tuple[str, ...]) -> int:
    q = t.campaign_contacts.c
    stmt = update(t.campaign_contacts).where(q.id == qid, q.status.in_(statuses))
    return conn.execute(stmt.values(status="dialing")).rowcount


def _core_close(conn: Connection, qid: int, status: str, outcome: str, nxt: object) -> int:
    q = t.campaign_contacts.c
    stmt = update(t.campaign_contacts).where(q.id == qid, q.status == "dialing")
    return conn.execute(stmt.values(status=status, last_outcome=outcome, next_at=nxt)).rowcount


Move = Callable[[Connection, int], object]
RepoMove = Callable[[SqlAttemptRepository, int], object]
QueueMove = tuple[Move, RepoMove]
MOVES: dict[str, tuple[dict[str, Any], QueueMove]] = {
    "block": (
        {"status": "dialing", "next_at": LATER},
        (lambda c, q: _core_queue(c, q, status="blocked", codes=["DNC", "X"], last_attempt_id=1),
         lambda r, q: r.block(q, codes=["DNC", "X"], attempt_id=1)),
    ),
    "block, clearing next_at": (
        {"status": "dialing", "next_at": LATER},
        (lambda c, q: _core_queue(c, q, status="blocked", next_at=None, codes=["S"],
                                  last_attempt_id=2),
         lambda r, q: r.block(q, codes=["S"], attempt_id=2, clear_next_at=True)),
    ),
    "defer until an instant": (
        {"status": "dialing", "codes": ["old"]},
        (lambda c, q: _core_queue(c, q, status="deferred", next_at=LATER, codes=[],
                                  last_attempt_id=1),
         lambda r, q: r.defer(q, until=LATER, codes=[], attempt_id=1)),
    ),
    "defer with no instant": (
        {"status": "dialing", "next_at": LATER},
        (lambda c, q: _core_queue(c, q, status="deferred", next_at=None, codes=["H"],
                                  last_attempt_id=1),
         lambda r, q: r.defer(q, until=None, codes=["H"], attempt_id=1)),
    ),
    "start dialing (codes to None)": (
        {"status": "dialing", "codes": ["old"], "attempts": 2},
        (lambda c, q: _core_queue(c, q, status="dialing", attempts=3, codes=None,
                                  last_attempt_id=2),
         lambda r, q: r.start_dialing(q, attempts=3, attempt_id=2)),
    ),
    "claim, matched": (
        {"status": "retry"},
        (lambda c, q: _core_claim(c, q, ("pending", "retry")),
         lambda r, q: r.claim(q, ("pending", "retry"))),
    ),
    "claim, taken since": (
        {"status": "cancelled"},
        (lambda c, q: _core_claim(c, q, ("pending", "retry")),
         lambda r, q: r.claim(q, ("pending", "retry"))),
    ),
    "claim, no statuses": (
        {"status": "pending"},
        (lambda c, q: _core_claim(c, q, ()), lambda r, q: r.claim(q, ())),
    ),
    "close a dialling row": (
        {"status": "dialing"},
        (lambda c, q: _core_close(c, q, "retry", "busy", LATER),
         lambda r, q: r.close_call(q, status="retry", outcome="busy", next_at=LATER)),
    ),
    "close a row no longer dialling": (
        {"status": "cancelled"},
        (lambda c, q: _core_close(c, q, "done", "human", None),
         lambda r, q: r.close_call(q, status="done", outcome="human", next_at=None)),
    ),
}  # fmt: skip


@pytest.mark.parametrize("move", list(MOVES), ids=list(MOVES))
def test_a_queue_row_moved_on_the_cursor_is_stored_as_core_stored_it(
    store: Engine, move: str
) -> None:
    before, (by_core, by_repo) = MOVES[move]
    with store.begin() as conn:
        _seed(conn)
        _twin_queue_rows(conn, **before)
        repo = SqlAttemptRepository(conn)
        core_said = by_core(conn, 1)
        repo_said = by_repo(repo, 2)
    with store.connect() as conn:
        skip = {"id", "contact_id"}
        q = t.campaign_contacts
        core_row = _stored(conn, q, q.c.id, 1, skip)
        repo_row = _stored(conn, q, q.c.id, 2, skip)
    assert repo_row == core_row
    if move.startswith("claim"):  # the claim answers whether its UPDATE matched the row
        assert repo_said is (core_said == 1)


def test_an_attempts_status_and_outcome_written_on_the_cursor_are_stored_as_core_stored_them(
    store: Engine,
) -> None:
    with store.begin() as conn:
        _seed(conn)
        repo = SqlAttemptRepository(conn)
        a = t.call_attempts
        conn.execute(update(a).where(a.c.id == 1).values(status="dialled"))
        repo.set_status(2, "dialled")
        fields: dict[str, Any] = {
            "outcome": "human", "at": T0 + timedelta(seconds=7), "ring_s": 4.25, "talk_s": None,
            "live_answered": True, "abandoned": False, "opted_out": False, "agent_id": None,
            "detail": None,
        }  # fmt: skip
        by_core = {"attempt_id": 1, "created_at": fields["at"], **fields}
        conn.execute(insert(t.call_outcomes).values(**by_core))
        repo.record_outcome(NewOutcome(attempt_id=2, **fields))
    with store.connect() as conn:
        skip = {"id", "contact_id", "attempt_id"}
        assert _stored(conn, a, a.c.id, 2, skip) == _stored(conn, a, a.c.id, 1, skip)
        o = t.call_outcomes
        core = _stored(conn, o, o.c.attempt_id, 1, skip)
        assert _stored(conn, o, o.c.attempt_id, 2, skip) == core
        assert core["talk_s"] is None and core["detail"] is None


def test_a_campaign_read_on_the_cursor_is_what_core_reads(store: Engine) -> None:
    with store.begin() as conn:
        _seed(conn)
    with store.connect() as conn:
        repo = SqlAttemptRepository(conn)
        core = conn.execute(select(t.campaigns).where(t.campaigns.c.id == 1)).mappings().one()
        gate = repo.campaign_for_gate(1)
        status = repo.campaign_status(1)
        assert repo.campaign_for_gate(99) is None
        with pytest.raises(NoResultFound):  # as Core's scalar_one()
            repo.campaign_status(99)
    assert gate is not None and status == core["status"] == "running"
    assert gate.ring_timeout_s == core["ring_timeout_s"] == 17.5
    assert type(gate.ring_timeout_s) is type(core["ring_timeout_s"]) is float
    assert gate.script == core["script"] == {"steps": ["a", None]}
    assert (gate.firm_id, gate.purpose, gate.technology, gate.mode, gate.subject) == (
        core["firm_id"], core["purpose"], core["technology"], core["mode"], core["subject"]
    )  # fmt: skip
    assert (gate.caller_id, gate.safe_harbor_message) == (core["caller_id"], True)
