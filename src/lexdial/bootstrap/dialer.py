"""The dialler over a store, and the agents a live-agent campaign may seat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from lexdial.errors import CampaignError

if TYPE_CHECKING:
    from lexdial.bootstrap.store import Store
    from lexdial.service.dialer import Dialer, RunStats
    from lexdial.service.ports import Telephony


def seat_agents(store: Store, campaign_id: int, day: date, carrier: str) -> tuple[str, ...]:
    """The agents a live-agent campaign may seat (users with current training), or ()."""
    from lexdial.domain.campaign_spec import LIVE
    from lexdial.service.campaigns import load_campaign
    from lexdial.service.users import trained_agents

    with store.reading() as uow:
        spec = load_campaign(uow, store.firm_id, campaign_id).spec
        if spec.mode not in LIVE:
            return ()
        agents = tuple(f"user:{i}" for i in trained_agents(uow, store.firm_id, day))
    if not agents:
        raise CampaignError("no active agent has a current training attestation")
    if carrier != "simulated":
        # agents have no telephone endpoints in the store yet: a bridge could reach no one
        raise CampaignError("live-agent campaigns run on the simulated carrier only, for now")
    return agents


def make_dialer(
    store: Store,
    telephony: Telephony,
    clock: Callable[[], datetime],
    *,
    agents: tuple[str, ...] = (),
    on_progress: Callable[[RunStats, int], None] | None = None,
    offload: bool = True,
) -> Dialer:
    """A dialler over ``store``'s database, engine, keys, audit trail and registers.

    ``offload``: its transactions run on a worker thread, off the event loop; False only
    on a virtual-time loop (the demo), whose clock must not jump while a thread works."""
    from lexdial.service.dialer import Dialer

    return Dialer(
        transactions=store.unit_of_work,
        engine=store.rules,
        cipher=store.cipher,
        audit=store.audit,
        registry=store.registry,
        firm_id=store.firm_id,
        telephony=telephony,
        clock=clock,
        agents=agents,
        on_progress=on_progress,
        offload=offload,
    )
