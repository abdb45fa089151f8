"""A failing carrier end to end on SQLite and PostgreSQL: the campaign pauses with the
reason stored, and no call is left without its outcome."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.fakes import Reversible
from lexdial.service.users import SYSTEM

from .test_dialer import SPEC, _campaign, _people, _run, _start

pytestmark = pytest.mark.integration

#: every call refused by the carrier with 503 Service Unavailable
FAILING = SimProfile(human=0.0, machine=0.0, busy=0.0, failed=1.0)


def _no_call_left_open(store: Engine) -> None:
    """Every placed call has its outcome, and no contact is left "dialing"."""
    with store.connect() as conn:
        dialing = conn.execute(
            select(func.count()).where(t.campaign_contacts.c.status == "dialing")
        ).scalar_one()
        placed = conn.execute(
            select(func.count()).where(t.call_attempts.c.status.in_(("dialled", "completed")))
        ).scalar_one()
        outcomes = conn.execute(select(func.count()).select_from(t.call_outcomes)).scalar_one()
    assert dialing == 0 and placed == outcomes > 0


def test_a_campaign_on_a_failing_carrier_pauses_with_the_reason_and_every_call_ends(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    spec = {**SPEC, "channels": 2, "pacing": {"max_carrier_failures": 4}}
    cid = _campaign(store, _people(store, cipher, 20), spec)
    _start(store, rules, cipher, cid)
    stats = _run(store, rules, cipher, cid, SimulatedCarrier(FAILING, seed=1, timescale=0.0005))
    assert stats.paused and "calls in a row failed at the carrier" in stats.paused
    assert "503 Service Unavailable" in stats.paused
    assert 4 <= stats.dialled < 20 and stats.carrier_failures == stats.dialled
    _no_call_left_open(store)
    with store.connect() as conn:
        status, reason = conn.execute(
            select(t.campaigns.c.status, t.campaigns.c.status_reason).where(t.campaigns.c.id == cid)
        ).one()
        pause = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.data).where(
                t.audit_log.c.action == "campaign.pause"
            )
        ).one()
    assert (status, reason) == ("paused", stats.paused)
    data = json.loads(pause.data) if isinstance(pause.data, str) else pause.data
    assert pause.actor == SYSTEM.label and data["reason"] == stats.paused


class UnreachableCarrier(SimulatedCarrier):
    """The trunk cannot be reached: every dial raises, as Twilio's 5xx and timeouts do."""

    async def dial(self, dial: tel.Dial) -> None:
        raise TelephonyError("Twilio unreachable: ConnectTimeout")


def test_an_unreachable_carrier_pauses_the_campaign_and_each_refused_dial_has_its_outcome(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 14), {**SPEC, "channels": 3})
    _start(store, rules, cipher, cid)
    stats = _run(store, rules, cipher, cid, UnreachableCarrier(seed=1, timescale=0.0005))
    assert stats.paused and "Twilio unreachable: ConnectTimeout" in stats.paused
    assert stats.paused.startswith("carrier failing: 10 calls in a row")  # the default N
    assert stats.outcomes == {"failed": stats.dialled}
    _no_call_left_open(store)


def test_a_carrier_that_fails_now_and_then_does_not_pause_the_campaign(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    spec = {**SPEC, "pacing": {"max_carrier_failures": 3}}
    cid = _campaign(store, _people(store, cipher, 10), spec)
    _start(store, rules, cipher, cid)
    profile = SimProfile(human=0.5, machine=0.0, busy=0.0, failed=0.3, opt_out=0.0)
    carrier = SimulatedCarrier(profile, seed=4, channels=1, timescale=0.0005)
    stats = _run(store, rules, cipher, cid, carrier)
    assert stats.paused is None and stats.carrier_failures > 0
    with store.connect() as conn:
        status = conn.execute(select(t.campaigns.c.status)).scalar_one()
    assert status == "running"
