"""The distributed mode: Celery dial workers over one PostgreSQL, wired here.

Rule 1: the campaign's lease in the store IS the election. ``run_campaign`` runs the same
``Dialer.run`` as the embedded mode; a second delivery of the task (a broker redelivery, a
second worker, the supervisor's re-enqueue) finds the lease held and returns "held" without
dialling. The broker decides nothing: a contact is dialled only by the lease holder, after
the gate's transaction moved its queue row out of the open states, so a redelivered task
can never dial it again.
Rule 2: a killed holder's lease runs out after ``[distributed] lease_s``; the supervisor
(``supervise``, run by every ``lexdial worker`` every ``supervise_s``) enqueues
``run_campaign`` for each running campaign that has work and a free lease, and the next
holder's ``recover`` closes the calls the dead one left open as failed (interrupted),
never retried automatically.
Rule 3: the simulated carrier dials only a sandbox store (``bootstrap.sandbox``): a task
for a live store on the simulated carrier is refused, before any lease is taken.
Rule 4: Twilio calls back over HTTP to any ``lexdial serve``: each worker claims its
calls, agents' legs and rooms in the webhook relay and listens for the callbacks the web
processes relay to it (``adapters.webhook_relay``), whatever the broker: over Redis when
the broker is Redis or ``$LEXDIAL_REDIS_URL`` is set, else over the store's PostgreSQL.
A worker without a relay (a store that is not PostgreSQL) refuses Twilio campaigns.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lexdial.errors import CampaignError, ConfigError

if TYPE_CHECKING:
    from celery import Celery  # type: ignore[import-untyped]

    from lexdial.adapters.webhook_relay import Listener, Relay
    from lexdial.bootstrap.store import Store
    from lexdial.config import Settings
    from lexdial.service.dialer_stats import RunStats
    from lexdial.service.ports import Telephony

log = logging.getLogger(__name__)

RUN_TASK = "lexdial.run_campaign"
#: how long one task may dial before it hands the campaign back (the supervisor re-enqueues
#: it at once): a worker's thread is never held for ever by one campaign
HORIZON = timedelta(hours=12)


def enabled(settings: Settings) -> bool:
    """Whether these settings run the distributed mode (a broker is named)."""
    return settings.distributed.enabled


def celery_app(
    settings: Settings,
    store: Callable[[], Store] | None = None,
    listener: Listener | None = None,
) -> Celery:
    """The Celery app over the settings' broker, with the ``run_campaign`` task.

    ``store``: how a worker opens its store (default: ``open_store(settings)``, once per
    process, on the first task). No result backend: the store holds every result.
    ``listener``: this worker's relay of Twilio's callbacks (``start_listener``; rule 4).
    """
    from celery import Celery

    cfg = settings.distributed
    if not cfg.enabled or cfg.broker_url is None:
        raise ConfigError("the distributed mode needs a broker: set [distributed] broker_url")
    app = Celery("lexdial", broker=cfg.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=cfg.queue,
        task_acks_late=True,  # a killed worker's task is delivered again (rule 1 makes it safe)
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker takes one campaign per free slot, no more
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # a redelivery of an unacknowledged task on Redis waits this long: the supervisor
        # (rule 2) usually replaces a dead holder first, the redelivery is the backstop
        broker_transport_options={"visibility_timeout": max(60.0, 4 * cfg.lease_s)},
    )
    opened: list[Store] = []
    lock = threading.Lock()

    def the_store() -> Store:
        with lock:
            if not opened:
                if store is not None:
                    opened.append(store())
                else:
                    from lexdial.bootstrap.store import open_store

                    opened.append(open_store(settings))
            return opened[0]

    @app.task(name=RUN_TASK, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
    def run_campaign_task(campaign_id: int) -> dict[str, Any]:
        return run_campaign(
            the_store(),
            campaign_id,
            timescale=app.conf.get("lexdial_timescale", 1.0),
            listener=listener,
        )

    return app


def run_campaign(
    store: Store,
    campaign_id: int,
    *,
    timescale: float = 1.0,
    clock: Callable[[], datetime] | None = None,
    listener: Listener | None = None,
) -> dict[str, Any]:
    """Dial ``campaign_id`` while this process holds its lease (rule 1); what happened.

    ``timescale`` (< 1 runs the simulated carrier's calls faster) is for sandboxes only.
    ``clock``: default the store's (a sandbox's simulated clock, else the wall clock).
    ``listener``: this process's relay of Twilio's callbacks (none: Twilio is refused).
    """
    from lexdial.bootstrap.dialer import make_dialer, seat_agents
    from lexdial.bootstrap.sandbox import is_sandbox
    from lexdial.bootstrap.sandbox_clock import store_clock
    from lexdial.bootstrap.telephony import is_simulated, open_telephony

    settings = store.settings
    twilio = settings.telephony.carrier == "twilio"
    if twilio and listener is None:
        # Twilio calls back over HTTP: a callback reaching another process than this worker
        # would go unheard without the relay (rule 4): refused, never half-wired
        why = (
            "Twilio campaigns run on dial workers only with the webhook relay (a PostgreSQL "
            "store, or Redis), which hands Twilio's callbacks to the worker that owns the call"
        )
        log.warning("campaign %s: refused: %s", campaign_id, why)
        return {"campaign": campaign_id, "refused": why}
    if clock is None:
        try:
            clock = store_clock(store)
        except ConfigError as exc:  # a simulated clock where it may not be: never dialled
            log.warning("campaign %s: refused: %s", campaign_id, exc)
            return {"campaign": campaign_id, "refused": str(exc)}
    telephony = open_telephony(settings, timescale=timescale)
    if twilio and listener is not None:
        telephony = claiming(settings, telephony, listener)
    if is_simulated(telephony) and not is_sandbox(store):
        log.warning(
            "campaign %s: refused: the simulated carrier never dials a live store", campaign_id
        )
        return {
            "campaign": campaign_id,
            "refused": "the simulated carrier never dials a live store",
        }
    if timescale != 1.0 and not is_simulated(telephony):
        raise ConfigError("a timescale is for the simulated carrier only")
    said: list[int] = []

    def taken(stats: RunStats, _up: int) -> None:
        # the first turn: the lease is held and the calls a stopped process left open are
        # closed; whoever restarted a worker reads here what this one took over
        if not said:
            said.append(stats.recovered)
            log.info("campaign %s: dialling here (lease taken)%s", campaign_id, _closed(stats))

    try:
        agents = seat_agents(store, campaign_id, clock().date(), settings.telephony.carrier)
        dialer = make_dialer(store, telephony, clock, agents=agents, on_progress=taken)
        dialer.lease_s = settings.distributed.lease_s
        with _keeping_lease(store, campaign_id, dialer._owner, dialer.lease_s):
            stats = asyncio.run(dialer.run(campaign_id, until=clock() + HORIZON))
    except CampaignError as exc:  # the lease is held elsewhere, or the campaign cannot run
        log.info("campaign %s: not dialled here: %s", campaign_id, exc)
        return {"campaign": campaign_id, "refused": str(exc)}
    log.info(
        "campaign %s: stopped dialling here: %d gated, %d dialled%s%s",
        campaign_id,
        stats.gated,
        stats.dialled,
        "" if said else _closed(stats),
        f"; {stats.halted or stats.paused}" if stats.halted or stats.paused else "",
    )
    return {
        "campaign": campaign_id,
        "gated": stats.gated,
        "recovered": stats.recovered,
        "paused": stats.paused,
        "halted": stats.halted,
    }


def _closed(stats: RunStats) -> str:
    if not stats.recovered:
        return ""
    return (
        f"; {stats.recovered} call(s) a stopped process left open closed as failed "
        "(interrupted: never retried automatically)"
    )


@contextmanager
def _keeping_lease(store: Store, campaign_id: int, owner: str, lease_s: float) -> Iterator[None]:
    """Renew ``owner``'s lease every third of ``lease_s`` while this process lives.

    The dialler renews it every turn, but one turn may gate a whole batch (hundreds of
    transactions): longer than a short lease on a loaded machine, and another worker
    would then take over (and close this one's calls as interrupted) while this one still
    dials. Renewed here only while ``owner`` holds it (never taken back once released or
    lost); a killed process stops renewing, so its lease still runs out (rule 2).
    """
    from sqlalchemy import update

    from lexdial.adapters.db import tables as t

    c = t.campaigns.c
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_s / 3):
            until = datetime.now(UTC) + timedelta(seconds=lease_s)
            try:
                with store.db.begin() as conn:
                    conn.execute(
                        update(t.campaigns)
                        .where(c.id == campaign_id, c.lease_owner == owner)
                        .values(lease_until=until)
                    )
            except Exception as exc:  # the store is down: the dialler's own turn says so
                log.warning("campaign %s: lease not renewed (%s)", campaign_id, type(exc).__name__)

    keeper = threading.Thread(target=renew, name=f"lease-{campaign_id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()


def claimable(store: Store, now: datetime, wall: datetime | None = None) -> list[int]:
    """Running campaigns with work (a contact due, or a call a dead holder left open) and
    no live lease: those a worker should take (rule 2).

    ``now``: the store's clock (contacts are due by it; a sandbox's may be simulated);
    ``wall``: the wall clock (default now), which leases run by."""
    from sqlalchemy import exists, or_, select

    from lexdial.adapters.db import tables as t
    from lexdial.domain.states import OPEN_QUEUE, CampaignStatus, QueueStatus

    c, q = t.campaigns.c, t.campaign_contacts.c
    due = q.status.in_([s.value for s in OPEN_QUEUE]) & (q.next_at.is_(None) | (q.next_at <= now))
    work = exists().where(q.campaign_id == c.id, or_(due, q.status == QueueStatus.DIALING.value))
    wall = wall or datetime.now(UTC)
    free = c.lease_owner.is_(None) | c.lease_until.is_(None) | (c.lease_until < wall)
    query = select(c.id).where(c.status == CampaignStatus.RUNNING.value, free, work)
    if store.firm_id is not None:
        query = query.where(c.firm_id == store.firm_id)
    with store.db.connect() as conn:
        return [int(r[0]) for r in conn.execute(query.order_by(c.id))]


def supervise(store: Store, app: Celery, now: datetime | None = None) -> list[int]:
    """Enqueue ``run_campaign`` for every claimable campaign; the ids enqueued (none on
    Twilio without a webhook relay: rule 4). ``now``: the store's clock (default the wall's)."""
    if store.settings.telephony.carrier == "twilio" and relay_choice(store.settings) is None:
        return []
    ids = claimable(store, now or datetime.now(UTC))
    for campaign_id in ids:
        enqueue(app, campaign_id)
    return ids


def enqueue(app: Celery, campaign_id: int) -> None:
    """Ask some worker to dial ``campaign_id`` (a duplicate is harmless: rule 1)."""
    app.send_task(RUN_TASK, args=(campaign_id,))


# --- Twilio's callbacks relayed to the worker that owns the call (rule 4) ---------------

#: how long a claim lives unless refreshed (a killed worker's claims run out after it)
CLAIM_TTL_S = 90.0
#: how long a web process waits for the owner's answer before the unknown-call handler
RELAY_WAIT_S = 5.0


def relay_choice(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """What the relay runs over: ("redis", url) when the broker is Redis (its URL) or
    ``$LEXDIAL_REDIS_URL`` is set, else ("postgresql", the store's URL); None outside the
    distributed mode, or on a store that is not PostgreSQL."""
    import os

    from lexdial.bootstrap.limits import REDIS_URL_ENV
    from lexdial.bootstrap.store import store_place

    if not settings.distributed.enabled:
        return None
    env = os.environ if environ is None else environ
    broker = settings.distributed.broker_url or ""
    if broker.startswith(("redis://", "rediss://")):
        return ("redis", broker)
    if env.get(REDIS_URL_ENV):
        return ("redis", env[REDIS_URL_ENV])
    url = store_place(settings, env).url
    if url.startswith("postgresql"):
        return ("postgresql", url)
    return None


def open_relay(choice: tuple[str, str]) -> Relay:
    """The relay ``relay_choice`` named."""
    kind, url = choice
    if kind == "redis":
        from lexdial.adapters.webhook_relay_redis import RedisRelay

        return RedisRelay(url, CLAIM_TTL_S)
    from lexdial.adapters.webhook_relay_pg import PgRelay

    return PgRelay(url, CLAIM_TTL_S)


def start_listener(settings: Settings, environ: Mapping[str, str] | None = None) -> Listener | None:
    """This worker's relay listener, started (None when there is nothing to relay: not
    Twilio, or no relay: see ``relay_choice``)."""
    choice = relay_choice(settings, environ)
    if settings.telephony.carrier != "twilio" or choice is None:
        return None
    from lexdial.adapters.webhook_relay import Listener

    listener = Listener(open_relay(choice))
    listener.start()
    return listener


def claiming(settings: Settings, telephony: Telephony, listener: Listener) -> Telephony:
    """``telephony`` claiming its calls, legs and rooms for ``listener``'s worker, in the
    relay its callbacks arrive over."""
    from lexdial.adapters.webhook_relay_claims import ClaimingTelephony

    return ClaimingTelephony(telephony, listener.relay, listener)


def relay_carrier(settings: Settings, environ: Mapping[str, str] | None = None) -> Any | None:
    """For ``lexdial serve``: a carrier whose ``webhooks`` relay Twilio's callbacks to the
    worker that owns the call (None when the firm's carrier is not Twilio, or there is no
    relay). Without Twilio's auth token it is None too (the web app answers 404)."""
    import os

    choice = relay_choice(settings, environ)
    env = os.environ if environ is None else environ
    token = env.get("LEXDIAL_TWILIO_AUTH_TOKEN")
    if settings.telephony.carrier != "twilio" or choice is None or not token:
        return None
    from lexdial.adapters.webhook_relay import RelayCarrier, RelayWebhooks
    from lexdial.bootstrap.telephony import twilio_unknown_call_webhooks

    unknown = twilio_unknown_call_webhooks(settings, environ)
    hooks = RelayWebhooks(open_relay(choice), token, unknown, wait_s=RELAY_WAIT_S)
    return RelayCarrier(hooks)
