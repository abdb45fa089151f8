"""A preview campaign at the desk and manual click-to-call, on SQLite and PostgreSQL, with
the simulated carrier in a sandbox store (issue 12): the dialler offers each READY seat one
contact, dials it only on the agent's Call (gated again, recorded), joins the agent at the
answer; a skip puts the contact back later; a manual call is gated and recorded with the
campaign and no queue row.

The agents' side is played by ``_desk``, through the desk's own use cases (``desk_preview``).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from tests.integration.test_dialer import SPEC, START, TEXT, _campaign, _people

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.domain.states import AgentState
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service import desk_preview
from lexdial.service.campaigns import set_status
from lexdial.service.channels import TrunkLines
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.channels import MemoryChannels
from lexdial.service.repos.desk import DeskSession
from lexdial.service.users import OPERATOR, Caller

pytestmark = pytest.mark.integration


def _stranger(store: Engine, cipher: Reversible, number: str) -> int:
    """A contact of the firm with no consent on record (the gate denies a call to it)."""
    with store.begin() as conn:
        return add_contact(
            SqlUnitOfWork(conn), cipher, 1,
            NewContact(numbers=((number, "wireless"),), address={"country": "US", "state": "OH"},
                       relationship="prospect"),
            START - timedelta(days=40), audit=ListAudit(), caller=OPERATOR,
        )  # fmt: skip


def _desk(store: Engine, a: int, b: int, manual: list[int], stop: threading.Event) -> None:
    """Agent ``b`` makes the manual calls of ``manual`` in turn while ``a`` is on a break
    (the queue stays due, so the run cannot end first); then both take offers: ``a`` skips
    the first contact offered to it, every other offer is called. Wrap-up ends with the
    seat READY (the disposition is the desk's test, not this one)."""
    skipped, audit = False, SqlAudit()
    todo = list(manual)
    while not stop.wait(0.02):
        with store.begin() as conn:
            uow = SqlUnitOfWork(conn)
            for s in uow.desk.for_campaign(1, 1):
                me = Caller.user(s.user_id)
                if s.state == AgentState.WRAP_UP.value:
                    uow.desk.save(replace(s, state=AgentState.READY.value, attempt_id=None))
                elif s.state == AgentState.PREVIEW.value and s.dial_contact_id is None:
                    if s.user_id == a and not skipped:
                        skipped = True
                        desk_preview.preview_skip(uow, audit, me, START)
                    else:
                        desk_preview.preview_call(uow, audit, me, START)
                elif s.user_id == b and s.state == AgentState.PAUSED.value and s.leg_up:
                    if s.dial_contact_id is not None:
                        continue  # waiting for the dialler
                    if s.attempt_id is not None:  # the last manual call, refused: noted
                        uow.desk.save(replace(s, attempt_id=None))
                    elif todo:
                        desk_preview.click_to_call(uow, audit, me, todo.pop(0), START)
                    else:  # done with manual calls: takes offers from now on
                        uow.desk.save(replace(s, state=AgentState.READY.value, reason=None))
                elif s.user_id == a and s.state == AgentState.PAUSED.value and not todo:
                    other = uow.desk.session(1, b)
                    if other is not None and other.state != AgentState.PAUSED.value:
                        # b is past the manual calls: a's break is over
                        uow.desk.save(replace(s, state=AgentState.READY.value, reason=None))


# (for shared-channels) and with the trunk's one channel shared: a click waits for it
@pytest.mark.parametrize("shared", [False, True], ids=["own-lines", "one-shared-channel"])
def test_a_preview_campaign_dials_each_contact_on_its_agents_call_and_manual_calls_are_gated(
    store: Engine, rules: RulesEngine, shared: bool
) -> None:
    cipher = Reversible()
    people = _people(store, cipher, 5)
    queued, allowed = people[:4], people[4]  # the last: consented, not in the queue
    spec = {**SPEC, "mode": "preview", "retry": {"max_attempts": 1}, "message": {"text": TEXT}}
    cid = _campaign(store, queued, spec)
    stranger = _stranger(store, cipher, "+16145559999")  # no consent: denied
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        a = uow.users.add(1, "a@example.test", "enc", "agent", START)
        b = uow.users.add(1, "b@example.test", "enc", "agent", START)
        uow.desk.save(DeskSession(a, 1, cid, AgentState.PAUSED.value, "break", START))
        uow.desk.save(DeskSession(b, 1, cid, AgentState.PAUSED.value, "break", START))
        set_status(uow, SqlAudit(), 1, cid, "start", OPERATOR, START)
    carrier = SimulatedCarrier(
        SimProfile(agent_talk_s=(5, 10)), seed=3, timescale=0.02,
        fates={f"a{i}": "human" for i in range(40)},
    )  # fmt: skip
    channels = MemoryChannels()  # (for shared-channels)
    lines = TrunkLines(channels, "channels:sim:main", 1) if shared else None
    stop = threading.Event()
    desk = threading.Thread(
        target=_desk, args=(store, a, b, [stranger, allowed], stop), daemon=True
    )

    async def go() -> RunStats:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        return await Dialer(
            transactions=transactions(store), engine=rules, cipher=cipher, audit=SqlAudit(),
            registry=MemoryRegistry(), firm_id=1, telephony=carrier,
            clock=lambda: START + timedelta(seconds=(loop.time() - t0) / carrier.timescale),
            agents=(f"user:{a}", f"user:{b}"), desk=True, endpointless=True, lines=lines,
        ).run(cid, until=START + timedelta(minutes=30))  # fmt: skip

    desk.start()
    try:
        stats = asyncio.run(asyncio.wait_for(go(), 120))
    finally:
        stop.set()
        desk.join()
    at, oc, q = t.call_attempts.c, t.call_outcomes.c, t.campaign_contacts.c
    with store.connect() as conn:
        attempts = list(conn.execute(select(at.id, at.contact_id, at.campaign_id, at.verdict)))
        outcomes = {r.attempt_id: r for r in conn.execute(select(t.call_outcomes))}
        queue = {r.contact_id: r for r in conn.execute(select(t.campaign_contacts))}
        assigned = conn.scalar(
            select(t.audit_log.c.seq).where(t.audit_log.c.action == "desk.call_assigned").limit(1)
        )
    by_contact: dict[int, list[int]] = {}
    for r in attempts:
        by_contact.setdefault(r.contact_id, []).append(r.id)
        assert r.campaign_id == cid  # manual calls too: recorded with the campaign
    # the skipped contact was not called and waits an hour; the three others were called once
    skipped = [c for c in queued if c not in by_contact]
    assert len(skipped) == 1, by_contact
    row = queue[skipped[0]]
    assert row.status == "pending" and row.next_at is not None
    assert row.next_at.replace(tzinfo=None) >= (START + timedelta(minutes=59)).replace(tzinfo=None)
    for c in queued:
        if c != skipped[0]:
            (aid,) = by_contact[c]
            assert outcomes[aid].outcome == "bridged" and outcomes[aid].agent_id in (a, b)
            assert queue[c].status == "done"
    # the manual calls: the stranger's refused by the gate (recorded, never dialled), the
    # other dialled and bridged to agent b; neither has a queue row
    (denied,) = by_contact[stranger]
    assert denied not in outcomes
    assert next(r.verdict for r in attempts if r.id == denied) == "deny"
    (manual,) = by_contact[allowed]
    assert outcomes[manual].outcome == "bridged" and outcomes[manual].agent_id == b
    assert stranger not in queue and allowed not in queue
    assert not any(o.abandoned for o in outcomes.values())
    assert stats.dialled == 4 and stats.carrier_errors == 0 and stats.halted is None
    assert assigned is not None
    assert channels.held("channels:sim:main", 0.0) == 0  # (for shared-channels) all back
    assert oc.attempt_id is not None and q.status is not None
