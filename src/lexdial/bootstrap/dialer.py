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
    """The agents a live-agent campaign may seat (users with current training and, unless
    the carrier is simulated, an endpoint the carrier can reach), or ()."""
    from lexdial.domain.campaign_spec import LIVE
    from lexdial.service.agent_endpoints import missing_endpoints
    from lexdial.service.campaigns import load_campaign
    from lexdial.service.users import trained_agents

    with store.reading() as uow:
        spec = load_campaign(uow, store.firm_id, campaign_id).spec
        if spec.mode not in LIVE:
            return ()
        trained = trained_agents(uow, store.firm_id, day)
        lacking = missing_endpoints(uow, trained, carrier)
    if not trained:
        raise CampaignError("no active agent has a current training attestation")
    seated = tuple(f"user:{i}" for i in trained if i not in lacking)
    if not seated:
        named = "; ".join(f"user #{i} lacks {what}" for i, what in sorted(lacking.items()))
        raise CampaignError(
            f"no trained agent can be reached on the {carrier} carrier ({named}): "
            "add one with `lexdial users endpoint add`"
        )
    if carrier != "simulated":
        # the agents can be reached, but bridging a call to an endpoint is not built yet
        # (issue 12): refused here, before the campaign is marked running, never mid-run
        raise CampaignError(
            f"live-agent campaigns cannot run on the {carrier} carrier yet: bridging a call "
            "to an agent's endpoint is not built (rehearse on the simulated carrier)"
        )
    return seated


def make_dialer(
    store: Store,
    telephony: Telephony,
    clock: Callable[[], datetime],
    *,
    agents: tuple[str, ...] = (),
    on_progress: Callable[[RunStats, int], None] | None = None,
) -> Dialer:
    """A dialler over ``store``'s database, engine, keys, audit trail and registers."""
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
    )
