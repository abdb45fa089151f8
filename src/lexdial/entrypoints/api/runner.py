"""Runs started campaigns inside the web process (the embedded mode's worker).

Rule: starting a campaign from the web or the API checks that it can be seated (``seat``:
trained agents for a live-agent campaign) before its status commits, then a task dials it
with the carrier from the settings; the task ends when nothing is due within the horizon,
and a paused or stopped campaign stops dialling at its next turn (the status is read from
the store on every turn, so a restart loses nothing).
Rule 2: the simulated carrier's calls never happen, so it dials only a sandbox store (the
demo's, a training store); over a live store a started campaign waits for a real carrier
and the log says how to rehearse it (``lexdial campaign run ID``, on a throw-away copy).
Rule 3: the store is never read on the event loop: seating reads it in a worker thread
(inside the dialling task when the caller did not seat it already), and the dialler runs
its transactions on its own store thread.
Rule 4: the agents of a live-agent campaign take its calls at the desk (``desk=True``):
the dialler opens the leg of each seat of an agent ``seat`` allowed, and hands calls to
those the desk makes ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from lexdial.bootstrap import (
    Store,
    is_sandbox,
    is_simulated,
    make_dialer,
    open_telephony,
    seat_agents,
)
from lexdial.service.dialer import RunStats
from lexdial.service.ports import Telephony

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
        #: campaigns not dialled because the carrier is simulated and the store is live
        self.refused: set[int] = set()

    def running(self, campaign_id: int) -> bool:
        task = self.tasks.get(campaign_id)
        return task is not None and not task.done()

    def seat(self, campaign_id: int) -> tuple[str, ...]:
        """The agents the campaign's dialler would seat; a ``CampaignError`` when it cannot
        be dialled (no trained agent, a carrier that cannot bridge)."""
        carrier_name = self.store.settings.telephony.carrier
        day = self.clock().date()
        return seat_agents(self.store, campaign_id, day, carrier_name, desk=True)

    def start(self, campaign_id: int, agents: tuple[str, ...] | None = None) -> None:
        """Dial ``campaign_id`` in the background (no-op if it is already dialling);
        ``agents``: those ``seat`` gave (None: seated in the task, off the event loop)."""
        if self.running(campaign_id):
            return
        telephony = self.carrier()
        if is_simulated(telephony) and not is_sandbox(self.store):
            log.warning(
                "campaign %s: not dialled: the simulated carrier never writes into a live "
                "store; set a real [telephony] carrier, or rehearse with 'lexdial campaign "
                "run %s' (a throw-away copy)",
                campaign_id,
                campaign_id,
            )
            self.refused.add(campaign_id)
            return
        self.carriers[campaign_id] = telephony
        self.stats[campaign_id] = stats = RunStats()
        task = asyncio.get_running_loop().create_task(
            self._dial(campaign_id, telephony, agents, stats)
        )
        task.add_done_callback(lambda t: self._done(campaign_id, t))
        self.tasks[campaign_id] = task

    async def _dial(
        self,
        campaign_id: int,
        telephony: Telephony,
        agents: tuple[str, ...] | None,
        stats: RunStats,
    ) -> RunStats:
        if agents is None:
            agents = await asyncio.to_thread(self.seat, campaign_id)
        # off the loop too: with $LEXDIAL_REDIS_URL it connects to the shared CPS
        dialer = await asyncio.to_thread(
            make_dialer, self.store, telephony, self.clock, agents=agents, desk=True
        )
        dialer.stats = stats
        return await dialer.run(campaign_id, until=self.clock() + self.horizon)

    def _done(self, campaign_id: int, task: asyncio.Task[RunStats]) -> None:
        self.carriers.pop(campaign_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("campaign %s: the dialler stopped: %r", campaign_id, task.exception())

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
