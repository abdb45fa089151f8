"""A trunk that answers 503 to every INVITE, played by SIPp: the campaign pauses.

The real dialler, store and SIP media plane dial a campaign whose trunk refuses every call
with 503 Service Unavailable (``scenarios/trunk_invite_503.xml``). After the campaign's
``pacing.max_carrier_failures`` refusals in a row it is paused with the reason stored, each
refused call has its outcome, and SIPp saw exactly those calls (its exit status 0: every
scenario step matched). A trunk that never answers at all (nothing listening) is a
carrier failure at the ring timeout. Needs sipp (``scripts/telephony.sh``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.integration.test_dialer import SPEC, START, _campaign, _people, _start

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import transactions
from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel
from lexdial.domain.carrier_faults import carrier_fault
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.fakes import MemoryRegistry, Reversible

from .test_sip_trunk_sipp import Sipp, fill, free_port, one_call, sipps

pytestmark = pytest.mark.integration
__all__ = ["sipps"]  # the fixture, imported to be used here

N = 3  # the campaign's pacing.max_carrier_failures


@pytest.fixture(autouse=True, scope="module")
def _tools() -> None:
    if shutil.which("sipp") is None:
        if os.environ.get("CI"):
            pytest.fail("sipp missing; scripts/telephony.sh installs it")
        pytest.skip("sipp missing; run scripts/telephony.sh")


def _dial(store: Engine, rules: RulesEngine, tmp_path: Path, trunk: Trunk, **spec: object
          ) -> tuple[int, RunStats]:  # fmt: skip
    """Start a campaign of six people and dial it over ``trunk`` until the run ends."""
    cipher = Reversible()
    data = {**SPEC, "channels": 1, "retry": {"max_attempts": 1}, **spec}
    cid = _campaign(store, _people(store, cipher, 6), data)
    _start(store, rules, cipher, cid)
    carrier = MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)

    async def go() -> RunStats:
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        def clock() -> datetime:
            return START + timedelta(seconds=loop.time() - t0)

        dialer = Dialer(
            transactions=transactions(store), engine=rules, cipher=cipher, audit=SqlAudit(),
            registry=MemoryRegistry(), firm_id=1, telephony=carrier, clock=clock,
        )  # fmt: skip
        return await asyncio.wait_for(dialer.run(cid, until=START + timedelta(hours=1)), 60)

    return cid, asyncio.run(go())


def _paused_with_every_outcome(store: Engine, cid: int, stats: RunStats) -> list[str | None]:
    """The campaign is paused with the run's reason, no contact is left "dialing"; the
    outcomes' details."""
    with store.connect() as conn:
        status, reason = conn.execute(
            select(t.campaigns.c.status, t.campaigns.c.status_reason).where(t.campaigns.c.id == cid)
        ).one()
        details = list(conn.execute(select(t.call_outcomes.c.detail)).scalars())
        dialing = conn.execute(
            select(func.count()).where(t.campaign_contacts.c.status == "dialing")
        ).scalar_one()
    assert (status, reason, dialing) == ("paused", stats.paused, 0)
    return details


#: the SQL is the same as in ``test_dialer_carrier_faults`` (both databases); here the trunk is
#: what is tested, so SQLite alone
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_trunk_answering_503_to_every_invite_pauses_the_campaign(
    store: Engine, rules: RulesEngine, tmp_path: Path, sipps: list[Sipp]
) -> None:
    sipp = Sipp(fill(tmp_path, "trunk_invite_503.xml"), tmp_path, calls=N).start()
    sipps.append(sipp)
    trunk = Trunk(address=sipp.address, transport="udp", bind_address="127.0.0.1")
    cid, stats = _dial(store, rules, tmp_path, trunk, pacing={"max_carrier_failures": N})
    assert sipp.finish() == 0, sipp.report()
    assert stats.paused, stats
    assert stats.paused.startswith(f"carrier failing: {N} calls in a row failed at the carrier")
    assert "503 Service Unavailable" in stats.paused
    assert stats.dialled == N and stats.outcomes == {"failed": N}
    assert _paused_with_every_outcome(store, cid, stats) == ["sip 503"] * N


def test_a_trunk_that_never_answers_is_a_carrier_failure_at_the_ring_timeout(
    tmp_path: Path,
) -> None:
    """Nothing listens at the trunk's address: not even 100 Trying in the ring time is the
    carrier's fault (not a callee's no-answer), and the call ends at its ring timeout rather
    than at the transaction's 32 s."""
    trunk = Trunk(address=f"127.0.0.1:{free_port()}", transport="udp", bind_address="127.0.0.1")
    carrier = MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)
    dial = tel.Dial("a1", "+16145550101", "+16145550100", ring_timeout_s=1.0, detect_machine=False)
    events = asyncio.run(one_call(carrier, dial, hang_up=False))
    assert [e.kind for e in events] == [tel.FAILED] and events[0].t < 3.0
    assert events[0].detail == "no response from the trunk"
    assert carrier_fault(events[0].detail) == "no response from the trunk"
