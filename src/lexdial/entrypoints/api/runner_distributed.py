"""The web process's runner in the distributed mode: started campaigns go to the workers.

Rule 1: ``lexdial serve`` never dials in the distributed mode: starting a campaign commits
its status (as in the embedded mode) and enqueues ``run_campaign`` for the Celery workers;
the campaign's lease decides which one dials (``bootstrap.distributed``). A lost message
is harmless: every worker's supervisor enqueues running campaigns whose lease is free.
Rule 2: the simulated carrier never dials a live store: the refusal is the embedded
runner's, made here before anything is enqueued.
Rule 3: nothing touches the store or the broker on the event loop.
Rule 4: on Twilio (any broker), ``carriers`` lists a relay whose webhooks check
Twilio's signature here and hand each callback to the worker that owns the call, returning
its TwiML (``adapters.webhook_relay``); a callback no worker owns is hung up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from lexdial.bootstrap import Store, is_sandbox
from lexdial.bootstrap import distributed as dist
from lexdial.entrypoints.api.runner import CampaignRunner
from lexdial.service.campaigns import lease_until
from lexdial.service.ports import Telephony

log = logging.getLogger(__name__)


class DistributedRunner(CampaignRunner):
    """``CampaignRunner`` whose ``start`` enqueues the campaign for the dial workers."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        carrier: Callable[[], Telephony] | None = None,
    ) -> None:
        super().__init__(store, clock, carrier)
        self.app = dist.celery_app(store.settings)
        self.pending: set[asyncio.Future[None]] = set()
        relay = dist.relay_carrier(store.settings)
        if relay is not None:
            # not a Telephony: only its ``webhooks`` are read (routes_webhooks); key -1 is
            # no campaign's, and this runner never dials, so no campaign key comes next to it
            self.carriers[-1] = cast(Telephony, relay)

    def running(self, campaign_id: int) -> bool:
        """Whether some process holds the campaign's lease now (read from the store)."""
        with self.store.reading() as uow:
            until = lease_until(uow, campaign_id)
        return until is not None and until > datetime.now(UTC)

    def start(self, campaign_id: int, agents: tuple[str, ...] | None = None) -> None:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, self._enqueue, campaign_id)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)

    def _enqueue(self, campaign_id: int) -> None:
        # the settings' carrier, not one built here: this process places no call
        simulated = self.store.settings.telephony.carrier == "simulated"
        if simulated and not is_sandbox(self.store):
            log.warning(
                "campaign %s: not dialled: the simulated carrier never writes into a live "
                "store; set a real [telephony] carrier",
                campaign_id,
            )
            self.refused.add(campaign_id)
            return
        try:
            dist.enqueue(self.app, campaign_id)
        except Exception as exc:  # broker down: the workers' supervisors still find it
            log.error("campaign %s: not enqueued (%s): a worker's supervisor will take it",
                      campaign_id, type(exc).__name__)  # fmt: skip

    async def close(self) -> None:
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)


def make_runner(
    store: Store, clock: Callable[[], datetime], carrier: Callable[[], Telephony] | None = None
) -> CampaignRunner:
    """The distributed runner when a broker is set, else the embedded one."""
    if dist.enabled(store.settings):
        return DistributedRunner(store, clock, carrier)
    return CampaignRunner(store, clock, carrier)
