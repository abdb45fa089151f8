"""The dialler over a store, and the agents a live-agent campaign may seat.

A live-agent dialler on a real carrier (and from the web) takes its agents from the desk
(``desk=True``): the seats of the agents ``seat_agents`` allows (current training, an
endpoint the carrier reaches); a browser softphone's address comes from
``bootstrap.webrtc.browser_leg_address`` when that wiring is present.

With ``$LEXDIAL_REDIS_URL`` set, a dialler on a real carrier takes each call start from a
token bucket in Redis keyed by the carrier and trunk (``shared_cps``), so every process
dialling on one trunk keeps to its calls per second together, and holds one of the
trunk's channels in Redis for each call it has up (``shared_channels``), so together they
never have more calls up than the trunk's channels.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

from lexdial.errors import CampaignError

if TYPE_CHECKING:
    from lexdial.bootstrap.store import Store
    from lexdial.service.channels import TrunkLines
    from lexdial.service.dialer import Dialer, RunStats
    from lexdial.service.limits import Limits
    from lexdial.service.ports import Telephony


def seat_agents(
    store: Store, campaign_id: int, day: date, carrier: str, *, desk: bool = False
) -> tuple[str, ...]:
    """The agents a live-agent campaign may seat (users with current training and, unless
    the carrier is simulated, an endpoint the carrier can reach), or (). ``desk``: the
    agents take calls at the desk (a preview campaign: each on the agent's Call)."""
    from lexdial.domain.campaign_spec import LIVE
    from lexdial.service.agent_endpoints import missing_endpoints
    from lexdial.service.campaigns import load_campaign
    from lexdial.service.users import trained_agents

    with store.reading() as uow:
        spec = load_campaign(uow, store.firm_id, campaign_id).spec
        if spec.mode not in LIVE:
            return ()
        trained = trained_agents(uow, store.firm_id, day)
        lacking = missing_endpoints(uow, trained, carrier, softphones=store.settings.desk.webrtc)
    if not trained:
        raise CampaignError("no active agent has a current training attestation")
    seated = tuple(f"user:{i}" for i in trained if i not in lacking)
    if not seated:
        named = "; ".join(f"user #{i} lacks {what}" for i, what in sorted(lacking.items()))
        raise CampaignError(
            f"no trained agent can be reached on the {carrier} carrier ({named}): "
            "add one with `lexdial users endpoint add`"
        )
    return seated


def make_dialer(
    store: Store,
    telephony: Telephony,
    clock: Callable[[], datetime],
    *,
    agents: tuple[str, ...] = (),
    on_progress: Callable[[RunStats, int], None] | None = None,
    offload: bool = True,
    environ: Mapping[str, str] | None = None,
    desk: bool = False,
) -> Dialer:
    """A dialler over ``store``'s database, engine, keys, audit trail and registers.

    ``offload``: its transactions run on a worker thread, off the event loop; False only
    on a virtual-time loop (the demo), whose clock must not jump while a thread works.
    ``desk``: the agents are the desk's seats of ``agents`` (issue 12), not a static pool."""
    from lexdial.bootstrap.limits import REDIS_URL_ENV, open_limits
    from lexdial.bootstrap.telephony import is_simulated
    from lexdial.service.dialer import Dialer

    env = os.environ if environ is None else environ
    gate = None
    lines = None  # (for shared-channels)
    # the simulated carrier places no real call (and the demo's clock is virtual): no trunk
    if env.get(REDIS_URL_ENV) and offload and not is_simulated(telephony):
        cfg = store.settings.telephony
        trunk = f"{cfg.carrier}:{cfg.trunk or 'default'}"
        limits = open_limits(environ=env)
        gate = shared_cps(limits, trunk, telephony.cps)
        lines = shared_channels(limits, trunk, telephony.channels)  # (for shared-channels)
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
        cps_gate=gate,
        desk=desk,
        browser_address=_browser_address(store),
        endpointless=is_simulated(telephony),
        lines=lines,  # (for shared-channels)
    )


def _browser_address(store: Store) -> Callable[[int], str] | None:
    """The browser softphone's SIP address for a user, when the WebRTC gateway's wiring
    (``bootstrap.webrtc.browser_leg_address``, issue 12) is part of this build; None otherwise:
    a browser seat then gets no leg rather than a made-up address."""
    try:
        wiring = importlib.import_module("lexdial.bootstrap.webrtc")
    except ModuleNotFoundError:
        return None
    resolve = getattr(wiring, "browser_leg_address", None)
    if resolve is None:
        return None
    settings = store.settings

    def address(user_id: int) -> str:
        return str(resolve(settings, user_id))

    return address


def shared_cps(
    limits: Limits, trunk: str, cps: float, now: Callable[[], float] = time.time
) -> Callable[[], float]:
    """A CPS gate over ``limits`` for ``trunk``: each call takes one token, returns 0.0 or
    the wall seconds to wait. A bucket of one token refilled every 1/cps s: any one-second
    window holds at most ``cps`` starts, whichever process took them."""
    refill_s = 1.0 / max(cps, 1e-6)
    key = f"cps:{trunk}"

    def take() -> float:
        return limits.take(key, 1, refill_s, now())

    return take


# (for shared-channels)
def shared_channels(limits: Limits, trunk: str, channels: int) -> TrunkLines | None:
    """The trunk's ``channels`` shared by every process dialling on it, in the Redis that
    holds ``limits`` (key ``channels:<trunk>`` beside the CPS bucket's ``cps:<trunk>``);
    None when the limits are this process's own (no Redis): the run's own bound holds."""
    from lexdial.adapters.limits_redis import RedisChannels, RedisLimits
    from lexdial.service.channels import TrunkLines

    if not isinstance(limits, RedisLimits):
        return None
    shared = RedisChannels(limits.client, limits.prefix)
    return TrunkLines(shared, f"channels:{trunk}", max(1, int(channels)))
