"""The record check's claim in the store (``adapters.db.repos.record_checks``): one at a
time per firm across processes, lapsing, renewed and ended only by the run holding it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service import record_checks
from lexdial.service.record_sweep import RecordsCheck
from lexdial.service.repos.record_checks import Claim
from lexdial.service.users import OPERATOR

from .conftest import NOW

pytestmark = pytest.mark.integration
A, B = Claim("user:1", "a" * 32), Claim("user:2", "b" * 32)
UNTIL = NOW + record_checks.LEASE


def _claim(store: Engine, claim: Claim, at: object = NOW) -> bool:
    with store.begin() as conn:
        return SqlUnitOfWork(conn).record_checks.claim(1, claim, at, UNTIL)  # type: ignore[arg-type]


def test_a_second_claim_while_one_holds_is_refused_and_taken_once_it_lapses(
    store: Engine,
) -> None:
    assert _claim(store, A) and not _claim(store, B)
    assert not _claim(store, B, UNTIL - timedelta(seconds=1))
    assert _claim(store, B, UNTIL)  # A's process died: its claim lapsed
    with store.begin() as conn:  # A cannot renew or end B's claim
        repo = SqlUnitOfWork(conn).record_checks
        assert not repo.renew(1, A.token, UNTIL + timedelta(hours=1))
        repo.release(1, A.token)
        assert repo.stored(1).running_by == "user:2"  # type: ignore[union-attr]


def test_a_finished_check_is_kept_and_frees_the_claim(store: Engine) -> None:
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        claim = record_checks.start(uow, OPERATOR, 1, NOW)
        assert claim is not None and record_checks.start(uow, OPERATOR, 1, NOW) is None
        assert record_checks.renew(uow, 1, claim, NOW + timedelta(minutes=5))
        record_checks.finish(uow, 1, claim, NOW, NOW + timedelta(minutes=6), 42,
                             RecordsCheck(7, ()))  # fmt: skip
    with store.connect() as conn:
        shown = record_checks.status(SqlUnitOfWork(conn), 1, NOW + timedelta(minutes=7))
    assert shown.running_by is None and shown.ok is True and shown.last is not None
    assert (shown.last.head_seq, shown.last.numbers, shown.last.by) == (42, 7, "cli:operator")
    assert shown.last.finished_at == NOW + timedelta(minutes=6)
    assert _claim(store, A, NOW + timedelta(minutes=7))
