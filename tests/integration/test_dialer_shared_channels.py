"""Two dialler runs on one trunk share its channels through Redis (issue 15, item 3):
counted at the carrier's side, they never have more calls up than the trunk's channels."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from tests.integration.test_dialer import SPEC, START, _campaign, _people, _start
from tests.integration.test_limits_redis import redis_or_skip

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import transactions
from lexdial.adapters.limits_redis import RedisChannels, RedisLimits
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.domain import telephony as tel
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.channels import TrunkLines
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.fakes import MemoryRegistry, Reversible

pytestmark = pytest.mark.integration

#: the trunk's channels: each process's carrier alone would take this many calls at once
TRUNK = 3
PEOPLE = 12
#: no retries: the runs end with their last call, not half an hour (of carrier time) later
ONCE = {"retry": {"max_attempts": 1, "delay_minutes": 30}}


class Trunk:
    """The calls up on one trunk, whichever process's carrier placed them."""

    def __init__(self) -> None:
        self.carriers: list[SimulatedCarrier] = []
        self.peak = 0

    def carrier(self) -> SimulatedCarrier:
        trunk = self

        class Watched(SimulatedCarrier):
            async def dial(self, dial: tel.Dial) -> None:
                await super().dial(dial)
                # the most calls up at once is always reached right after a dial
                trunk.peak = max(trunk.peak, sum(c.active for c in trunk.carriers))

        carrier = Watched(SimProfile(human=0.6), seed=len(self.carriers), channels=TRUNK)
        carrier.timescale = 0.005  # calls of 0.05-0.5 s: far longer than a gate
        self.carriers.append(carrier)
        return carrier


@pytest.fixture
def prefix() -> Iterator[str]:
    url, name = redis_or_skip(), f"lexdial-test:{uuid.uuid4().hex}:"
    yield name
    client = RedisLimits.connect(url).client
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)


def _two_runs(
    store: Engine, rules: RulesEngine, prefix: str | None
) -> tuple[list[RunStats], int, list[int]]:
    """Two campaigns dialled at once by two diallers on one trunk: their stats, the peak of
    calls up on the trunk, and the campaigns; shared channels in Redis unless ``prefix``
    is None."""
    cipher = Reversible()
    people = _people(store, cipher, 2 * PEOPLE)
    cids = [
        _campaign(
            store, people[n * PEOPLE : (n + 1) * PEOPLE], {**SPEC, "name": f"Calls {n}", **ONCE}
        )
        for n in range(2)
    ]
    for cid in cids:
        _start(store, rules, cipher, cid)
    trunk = Trunk()

    async def one(cid: int, t0: float) -> RunStats:
        carrier = trunk.carrier()
        loop = asyncio.get_running_loop()

        def clock() -> datetime:
            return START + timedelta(seconds=(loop.time() - t0) / carrier.timescale)

        lines = None
        if prefix is not None:  # a Redis connection of its own: another process's view
            channels = RedisChannels(RedisLimits.connect(redis_or_skip()).client, prefix)
            lines = TrunkLines(channels, "channels:sip:main", TRUNK)
        dialer = Dialer(
            transactions=transactions(store), engine=rules, cipher=cipher, audit=SqlAudit(),
            registry=MemoryRegistry(), firm_id=1, telephony=carrier, clock=clock, lines=lines,
        )  # fmt: skip
        return await dialer.run(cid, until=START + timedelta(hours=3))

    async def both() -> list[RunStats]:
        t0 = asyncio.get_running_loop().time()
        return list(await asyncio.gather(*(one(cid, t0) for cid in cids)))

    stats = asyncio.run(both())
    return stats, trunk.peak, cids


def _dialling_left(store: Engine, cids: list[int]) -> int:
    with store.connect() as conn:
        return conn.execute(
            select(func.count()).where(
                t.campaign_contacts.c.campaign_id.in_(cids),
                t.campaign_contacts.c.status == "dialing",
            )
        ).scalar_one()


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_two_diallers_on_one_trunk_never_have_more_calls_up_than_its_channels(
    store: Engine, rules: RulesEngine, prefix: str
) -> None:
    stats, peak, cids = _two_runs(store, rules, prefix)
    assert peak <= TRUNK
    assert peak == TRUNK  # and the trunk was used to the full
    assert all(s.dialled > 0 for s in stats)  # both diallers got channels
    assert sum(s.finished for s in stats) == 2 * PEOPLE
    assert _dialling_left(store, cids) == 0
    leftover = RedisLimits.connect(redis_or_skip()).client.zcard(prefix + "channels:sip:main")
    assert leftover == 0  # every channel given back at the calls' ends


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_without_shared_channels_the_same_two_runs_go_over_the_trunk(
    store: Engine, rules: RulesEngine
) -> None:
    # the measurement above can fail: each process's own bound alone lets both fill it
    _, peak, _ = _two_runs(store, rules, None)
    assert peak > TRUNK
