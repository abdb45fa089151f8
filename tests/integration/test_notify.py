"""Outgoing events follow the audit trail: an opt-out or a call outcome that commits is
queued for the firm's webhook in the same transaction; one that rolls back is not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.notify import NotifyingAudit
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR, SYSTEM

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def test_an_opt_out_is_queued_for_the_webhook_with_ids_only(store: Engine) -> None:
    cipher, audit = Reversible(), NotifyingAudit(SqlAudit(), wrap=SqlUnitOfWork)
    with store.begin() as conn:
        cid = add_contact(
            SqlUnitOfWork(conn),
            cipher,
            1,
            NewContact(numbers=(("+16145550101", None),)),
            NOW,
            audit=ListAudit(),
            caller=OPERATOR,
        )
        opt_out(SqlUnitOfWork(conn), cipher, audit, 1, "+16145550101", "sms", "STOP", SYSTEM, NOW)
    with store.connect() as conn:
        rows = conn.execute(select(t.outbox.c.event, t.outbox.c.payload)).all()
    assert [r[0] for r in rows] == ["optout.honoured"]
    payload = rows[0][1]
    assert payload["contact"] == cid and payload["channel"] == "sms" and "dnc" in payload
    assert "5550101" not in str(payload)


def test_nothing_is_queued_when_the_transaction_rolls_back(store: Engine) -> None:
    cipher, audit = Reversible(), NotifyingAudit(SqlAudit(), wrap=SqlUnitOfWork)
    with store.begin() as conn:
        add_contact(
            SqlUnitOfWork(conn),
            cipher,
            1,
            NewContact(numbers=(("+16145550102", None),)),
            NOW,
            audit=ListAudit(),
            caller=OPERATOR,
        )
    with pytest.raises(RuntimeError), store.begin() as conn:
        opt_out(SqlUnitOfWork(conn), cipher, audit, 1, "+16145550102", "sms", "STOP", SYSTEM, NOW)
        raise RuntimeError("the caller failed after the opt-out")
    with store.connect() as conn:
        assert conn.execute(select(t.outbox.c.id)).first() is None
