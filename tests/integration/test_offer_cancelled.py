"""A contact offered to an agent in preview is not dialled yet: an opt-out and a stopped
campaign cancel it like any other undialled place in the queue."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update
from tests.integration.test_dialer import START, _campaign, _people

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service.campaigns import set_status
from lexdial.service.fakes import Reversible
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR

pytestmark = pytest.mark.integration


def _offer_all(store: Engine, cid: int) -> None:
    with store.begin() as conn:
        q = t.campaign_contacts
        conn.execute(update(q).where(q.c.campaign_id == cid).values(status="offered"))


def _statuses(store: Engine, cid: int) -> list[str]:
    q = t.campaign_contacts
    with store.connect() as conn:
        rows = conn.execute(select(q.c.status).where(q.c.campaign_id == cid).order_by(q.c.id))
        return [r[0] for r in rows]


def test_an_opt_out_cancels_the_persons_preview_offer(store: Engine) -> None:
    cipher = Reversible()
    ids = _people(store, cipher, 2)
    cid = _campaign(store, ids)
    _offer_all(store, cid)
    with store.begin() as conn:
        opt_out(SqlUnitOfWork(conn), cipher, SqlAudit(), 1, "+16145551000", "voice", "asked",
                OPERATOR, START)  # fmt: skip
    assert _statuses(store, cid) == ["cancelled", "offered"]


def test_stopping_a_campaign_cancels_its_preview_offers(store: Engine) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 2))
    _offer_all(store, cid)
    with store.begin() as conn:
        set_status(SqlUnitOfWork(conn), SqlAudit(), 1, cid, "stop", OPERATOR, START)
    assert _statuses(store, cid) == ["cancelled", "cancelled"]
