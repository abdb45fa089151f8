"""``lexdial worker`` (a Celery dial worker of the distributed mode) and ``lexdial sandbox``.

Rule: a worker dials only campaigns whose lease it holds (``bootstrap.distributed``, rule
1); besides the Celery tasks it runs the supervisor every ``[distributed] supervise_s``,
which enqueues each running campaign whose lease is free, so a killed worker's campaign is
taken over by another without the broker's help. On Twilio it also listens for the
callbacks the web processes relay to it (the calls it owns), over Redis or PostgreSQL.
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from lexdial.entrypoints import cli_common as common
from lexdial.errors import ConfigError, RequestError

WORKER_EPILOG = """examples:
  lexdial worker --concurrency 4
      one dial worker (one per machine), with [distributed] broker_url or
      $LEXDIAL_BROKER_URL set (redis:// or amqp://) and PostgreSQL as the store;
      campaigns started from any `lexdial serve` are dialled by the worker that
      holds their lease (README: "Distributed mode")
"""
SANDBOX_EPILOG = """examples:
  lexdial sandbox
      a new store only: a store holding evidence is refused
  lexdial sandbox --start 2026-03-04T15:00Z
      and every process on the store (workers, serve) runs on a simulated clock
      from that instant, in real time (README: "Distributed mode")
"""


def cmd_worker(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import distributed
    from lexdial.bootstrap.sandbox_clock import store_clock, wall_clock

    if args.concurrency < 1:
        raise RequestError("--concurrency", "must be a whole number from 1")
    if not 0.0001 <= args.simulated_timescale <= 1.0:
        raise RequestError("--simulated-timescale", "must be from 0.0001 to 1")
    store = common.store(args)
    settings = store.settings
    if not distributed.enabled(settings):
        raise ConfigError(
            "the distributed mode is off: set [distributed] broker_url in the settings or "
            "$LEXDIAL_BROKER_URL (redis:// or amqp://)"
        )
    if args.simulated_timescale != 1.0 and settings.telephony.carrier != "simulated":
        raise RequestError("--simulated-timescale", "is for the simulated carrier only")
    # Twilio's callbacks reach this worker through the relay (bootstrap.distributed, rule 4)
    clock = store_clock(store)  # a sandbox's simulated clock, refused on a live store
    listener = distributed.start_listener(settings)
    app = distributed.celery_app(settings, store=lambda: store, listener=listener)
    app.conf.lexdial_timescale = args.simulated_timescale
    stop = threading.Event()
    every = settings.distributed.supervise_s

    def supervise_forever() -> None:
        while not stop.wait(every):
            try:
                distributed.supervise(store, app, clock())
            except Exception as exc:  # the broker or the store is down: try again next time
                print(f"lexdial worker: supervisor: {type(exc).__name__}", file=sys.stderr)

    if not args.no_supervisor:
        threading.Thread(target=supervise_forever, name="supervisor", daemon=True).start()
    _say_campaigns()
    queues = [q.strip() for q in (args.queues or settings.distributed.queue).split(",")]
    print(
        f"lexdial: worker on queue(s) {', '.join(queues)} ({args.concurrency} campaign(s) at "
        "once); stop with Ctrl-C",
        flush=True,
    )
    if clock is not wall_clock:
        print(f"lexdial: sandbox clock: simulated, now {clock():%Y-%m-%d %H:%M} UTC", flush=True)
    try:
        app.Worker(
            pool="threads",  # the dialler is asyncio, run with asyncio.run inside each task
            concurrency=args.concurrency,
            queues=queues,
            loglevel="WARNING",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        ).start()
    finally:
        stop.set()
        if listener is not None:
            listener.stop()


def _say_campaigns() -> None:
    """The worker's own lines on stderr: which campaign it takes, what it closed that a
    stopped worker left open, when it stops (Celery's log stays at WARNING)."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("lexdial worker: %(message)s"))
    log = logging.getLogger("lexdial.bootstrap.distributed")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def cmd_sandbox(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import mark_sandbox

    start = _instant("--start", args.start) if args.start else None
    store = common.store(args)
    mark_sandbox(store, start)
    said = (
        "lexdial: this store is now a sandbox: the simulated carrier may dial it; never "
        "use it for real calls"
    )
    shown: dict[str, Any] = {"sandbox": True}
    if start is not None:
        shown["clock_start"] = start.isoformat().replace("+00:00", "Z")
        said += (
            f"\nits clock starts at {start:%Y-%m-%d %H:%M} UTC and runs in real time, for "
            "every process on the store"
        )
    common.show(args, shown, said)


def _instant(option: str, text: str) -> datetime:
    """An ISO 8601 instant with its offset, in UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RequestError(option, "is not an ISO 8601 date-time (2026-03-04T15:00Z)") from None
    if value.tzinfo is None:
        raise RequestError(option, "needs an offset ('Z' or '+hh:mm')")
    return value.astimezone(UTC)


def add_commands(sub: Any) -> None:
    """Register ``worker`` and ``sandbox``."""
    p = sub.add_parser(
        "worker",
        help="run a Celery dial worker (distributed mode: PostgreSQL and a broker)",
        epilog=WORKER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--concurrency", type=int, default=4, help="campaigns dialled at once")
    p.add_argument("--queues", help="comma-separated queues (default [distributed] queue)")
    p.add_argument(
        "--simulated-timescale",
        type=float,
        default=1.0,
        help="sandboxes only: run the simulated carrier's calls this much faster (0.01: 100 times)",
    )
    p.add_argument(
        "--no-supervisor", action="store_true", help="do not re-enqueue campaigns (tests)"
    )
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser(
        "sandbox",
        help="make this new store a sandbox the simulated carrier may dial",
        epilog=SANDBOX_EPILOG,
        parents=common.options(json=True),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--start",
        metavar="INSTANT",
        help="a simulated clock for every process on the store, from this instant "
        "(ISO 8601 with offset), running in real time",
    )
    p.set_defaults(func=cmd_sandbox)
