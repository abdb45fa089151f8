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
Rule 4: Twilio's webhooks are not yet routed from the web processes to the worker that
owns the call, so a Twilio campaign is refused by the workers (the embedded mode runs it).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lexdial.errors import CampaignError, ConfigError

if TYPE_CHECKING:
    from celery import Celery  # type: ignore[import-untyped]

    from lexdial.bootstrap.store import Store
    from lexdial.config import Settings

log = logging.getLogger(__name__)

RUN_TASK = "lexdial.run_campaign"
#: how long one task may dial before it hands the campaign back (the supervisor re-enqueues
#: it at once): a worker's thread is never held for ever by one campaign
HORIZON = timedelta(hours=12)


def enabled(settings: Settings) -> bool:
    """Whether these settings run the distributed mode (a broker is named)."""
    return settings.distributed.enabled


def celery_app(settings: Settings, store: Callable[[], Store] | None = None) -> Celery:
    """The Celery app over the settings' broker, with the ``run_campaign`` task.

    ``store``: how a worker opens its store (default: ``open_store(settings)``, once per
    process, on the first task). No result backend: the store holds every result.
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
            the_store(), campaign_id, timescale=app.conf.get("lexdial_timescale", 1.0)
        )

    return app


def run_campaign(
    store: Store,
    campaign_id: int,
    *,
    timescale: float = 1.0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Dial ``campaign_id`` while this process holds its lease (rule 1); what happened.

    ``timescale`` (< 1 runs the simulated carrier's calls faster) is for sandboxes only.
    """
    from lexdial.bootstrap.dialer import make_dialer, seat_agents
    from lexdial.bootstrap.sandbox import is_sandbox
    from lexdial.bootstrap.telephony import is_simulated, open_telephony

    settings = store.settings
    if settings.telephony.carrier == "twilio":
        # Twilio calls back over HTTP: a callback reaching another process than this worker
        # is not routed here yet, so such a call would go unheard: refused, never half-wired
        why = "Twilio campaigns cannot run on dial workers yet (webhooks are not routed)"
        log.warning("campaign %s: refused: %s", campaign_id, why)
        return {"campaign": campaign_id, "refused": why}
    telephony = open_telephony(settings, timescale=timescale)
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
    try:
        agents = seat_agents(store, campaign_id, clock().date(), settings.telephony.carrier)
        dialer = make_dialer(store, telephony, clock, agents=agents)
        dialer.lease_s = settings.distributed.lease_s
        with _keeping_lease(store, campaign_id, dialer._owner, dialer.lease_s):
            stats = asyncio.run(dialer.run(campaign_id, until=clock() + HORIZON))
    except CampaignError as exc:  # the lease is held elsewhere, or the campaign cannot run
        log.info("campaign %s: not dialled here: %s", campaign_id, exc)
        return {"campaign": campaign_id, "refused": str(exc)}
    return {
        "campaign": campaign_id,
        "gated": stats.gated,
        "recovered": stats.recovered,
        "paused": stats.paused,
        "halted": stats.halted,
    }


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


def claimable(store: Store, now: datetime) -> list[int]:
    """Running campaigns with work (a contact due, or a call a dead holder left open) and
    no live lease: those a worker should take (rule 2)."""
    from sqlalchemy import exists, or_, select

    from lexdial.adapters.db import tables as t
    from lexdial.domain.states import OPEN_QUEUE, CampaignStatus, QueueStatus

    c, q = t.campaigns.c, t.campaign_contacts.c
    due = q.status.in_([s.value for s in OPEN_QUEUE]) & (q.next_at.is_(None) | (q.next_at <= now))
    work = exists().where(q.campaign_id == c.id, or_(due, q.status == QueueStatus.DIALING.value))
    free = c.lease_owner.is_(None) | c.lease_until.is_(None) | (c.lease_until < now)
    query = select(c.id).where(c.status == CampaignStatus.RUNNING.value, free, work)
    if store.firm_id is not None:
        query = query.where(c.firm_id == store.firm_id)
    with store.db.connect() as conn:
        return [int(r[0]) for r in conn.execute(query.order_by(c.id))]


def supervise(store: Store, app: Celery, now: datetime | None = None) -> list[int]:
    """Enqueue ``run_campaign`` for every claimable campaign; the ids enqueued (none on
    Twilio: rule 4)."""
    if store.settings.telephony.carrier == "twilio":
        return []
    ids = claimable(store, now or datetime.now(UTC))
    for campaign_id in ids:
        enqueue(app, campaign_id)
    return ids


def enqueue(app: Celery, campaign_id: int) -> None:
    """Ask some worker to dial ``campaign_id`` (a duplicate is harmless: rule 1)."""
    app.send_task(RUN_TASK, args=(campaign_id,))
