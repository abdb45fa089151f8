"""Runs started campaigns inside the web process (the embedded mode's worker).

Rule: starting a campaign from the web or the API commits its status first, then a task
dials it with the carrier from the settings; the task ends when nothing is due within the
horizon, and a paused or stopped campaign stops dialling at its next turn (the status is
read from the store on every turn, so a restart loses nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from lexdial.bootstrap import Store, open_telephony
from lexdial.errors import CampaignError
from lexdial.service.campaign_spec import LIVE
from lexdial.service.campaigns import load_campaign
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.ports import Telephony
from lexdial.service.users import trained_agents

log = logging.getLogger(__name__)


class CampaignRunner:
    """One dialling task per running campaign; ``carrier`` makes the telephony adapter."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        carrier: Callable[[], Telephony] | None = None,
        horizon: timedelta = timedelta(hours=12),
    ) -> None:
        self.store, self.clock, self.horizon = store, clock, horizon
        self.carrier = carrier or (lambda: open_telephony(store.settings))
        self.tasks: dict[int, asyncio.Task[RunStats]] = {}
        #: the carrier of each dialling campaign (provider webhooks are routed to them)
        self.carriers: dict[int, Telephony] = {}
        self.stats: dict[int, RunStats] = {}

    def running(self, campaign_id: int) -> bool:
        task = self.tasks.get(campaign_id)
        return task is not None and not task.done()

    def start(self, campaign_id: int) -> None:
        """Dial ``campaign_id`` in the background (no-op if it is already dialling)."""
        if self.running(campaign_id):
            return
        with self.store.db.connect() as conn:
            spec = load_campaign(conn, self.store.firm_id, campaign_id).spec
            agents = (
                tuple(f"user:{i}" for i in trained_agents(conn, self.clock().date()))
                if spec.mode in LIVE
                else ()
            )
        if spec.mode in LIVE and self.store.settings.telephony.carrier != "simulated":
            # agents have no telephone endpoints in the store yet: a bridge could reach no one
            raise CampaignError("live-agent campaigns run on the simulated carrier only, for now")
        telephony = self.carrier()
        self.carriers[campaign_id] = telephony
        dialer = Dialer(
            db=self.store.db,
            engine=self.store.rules,
            cipher=self.store.cipher,
            audit=self.store.audit,
            registry=self.store.registry,
            firm_id=self.store.firm_id,
            telephony=telephony,
            clock=self.clock,
            agents=agents,
        )
        self.stats[campaign_id] = dialer.stats
        task = asyncio.get_running_loop().create_task(
            dialer.run(campaign_id, until=self.clock() + self.horizon)
        )
        task.add_done_callback(lambda t: self._done(campaign_id, t))
        self.tasks[campaign_id] = task

    def _done(self, campaign_id: int, task: asyncio.Task[RunStats]) -> None:
        self.carriers.pop(campaign_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("campaign %s: the dialler stopped: %r", campaign_id, task.exception())

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
