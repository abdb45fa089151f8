"""The dialler's pause of a campaign whose carrier keeps failing.

Rule 1: at the campaign's ``pacing.max_carrier_failures`` carrier faults in a row
(``carrier_faults``), the campaign is paused through ``campaigns.set_status`` (audited,
actor system) with the reason stored for the faces; the calls still up end normally, each
with its outcome, and the run ends saying why (``RunStats.paused``, or ``halted`` when the
store could not take the pause).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from lexdial.errors import CampaignError
from lexdial.service.call_driver import Transactions
from lexdial.service.campaigns import set_status
from lexdial.service.dialer_stats import RunStats
from lexdial.service.ports import Audit
from lexdial.service.store_thread import StoreThread
from lexdial.service.users import SYSTEM

log = logging.getLogger(__name__)


async def pause_for_carrier(
    store: StoreThread,
    transactions: Transactions,
    audit: Audit,
    firm_id: int,
    campaign_id: int,
    reason: str,
    stats: RunStats,
    clock: Callable[[], datetime],
) -> None:
    """Too many carrier faults in a row: pause the campaign, saying why (rule 1)."""
    stats.paused = reason
    log.warning("campaign #%s: %s", campaign_id, reason)
    at = clock()

    def pause() -> None:
        with transactions() as uow:
            set_status(
                uow, audit, firm_id, campaign_id, "pause", SYSTEM, at,
                reason=reason,
            )  # fmt: skip

    try:
        await store.run(pause)
    except CampaignError:
        pass  # no longer running (a user paused or stopped it): dialling stops anyway
    except Exception as exc:  # the store failed: dialling stops all the same, say so
        stats.halted = f"the campaign could not be paused ({type(exc).__name__})"
