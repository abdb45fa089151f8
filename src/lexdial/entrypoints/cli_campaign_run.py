"""``lexdial campaign run``: dial a running campaign. On the simulated carrier the calls
never happen, so the run is a rehearsal on a throw-away copy of the store (unless the store
is a sandbox), on a simulated clock that ``--at`` may start at another time."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lexdial.entrypoints import cli_common as common
from lexdial.entrypoints.progress import Bar
from lexdial.errors import RequestError, TelephonyError

if TYPE_CHECKING:
    from lexdial.bootstrap import Store
    from lexdial.config import Settings
    from lexdial.service.dialer import RunStats


#: a rehearsal's simulated clock, unless --timescale says otherwise: an hour in 3.6 s
REHEARSAL_TIMESCALE = 0.001


def cmd_run(args: argparse.Namespace) -> None:
    """Dial a running campaign. On the simulated carrier the calls never happen, so the run
    is a rehearsal on a throw-away copy of the store (unless the store is a sandbox)."""
    from lexdial.bootstrap import is_sandbox, rehearsal_store
    from lexdial.config import load_settings

    settings = load_settings(args.settings)
    carrier_name = args.carrier or settings.telephony.carrier
    simulated = carrier_name == "simulated"
    if args.at and not simulated:
        raise RequestError("--at", "a run as of another time is a rehearsal: simulated carrier")
    if args.timescale is not None and not simulated:
        raise RequestError("--timescale", "only the simulated carrier's clock can be scaled")
    timescale = args.timescale if args.timescale is not None else REHEARSAL_TIMESCALE
    if timescale <= 0:
        raise RequestError("--timescale", "must be a positive number (0.01 = 100x faster)")
    live = common.store(args)
    if not simulated or is_sandbox(live):
        if simulated:
            _say(args, f"sandbox store {live.data_dir}: simulated calls are recorded in it")
        _run(args, live, settings, carrier_name, timescale if simulated else 1.0)
        return
    with rehearsal_store(live) as copy:
        _say(
            args,
            "rehearsal on the simulated carrier: dialling a throw-away copy of the store; "
            f"nothing is written to the live store in {live.data_dir}",
        )
        begin = common.now(args) if args.at else datetime.now(UTC)
        default = "" if args.timescale is not None else f" (--timescale {timescale:g}, default)"
        _say(args, f"simulated clock from {begin:%Y-%m-%d %H:%M} UTC, {1 / timescale:g}x{default}")
        _run(args, copy, settings, carrier_name, timescale, rehearsal=True)
        _say(args, "rehearsal over: its copy of the store is deleted")


def _start(args: argparse.Namespace, store: Store) -> datetime:
    """A simulated run's start: ``--at``, else the store's clock (a sandbox's may be
    simulated: ``lexdial sandbox --start``).  # (for dist-clock)"""
    from lexdial.bootstrap.sandbox_clock import store_clock

    return common.now(args) if args.at else store_clock(store, "simulated")()


def _say(args: argparse.Namespace, line: str) -> None:
    """What kind of run this is, on standard error (standard output keeps the report)."""
    print(f"lexdial: {line}", file=sys.stderr, flush=True)


def _run(
    args: argparse.Namespace,
    store: Store,
    settings: Settings,
    carrier_name: str,
    timescale: float,
    *,
    rehearsal: bool = False,
) -> None:
    import asyncio

    from lexdial.bootstrap import make_dialer, open_telephony, seat_agents
    from lexdial.entrypoints.render import campaign_report as render_report
    from lexdial.service.campaign_report import campaign_report
    from lexdial.service.campaigns import queue_counts, status_reason

    with store.reading() as uow:
        total = sum(queue_counts(uow, args.id).values())
    start = _start(args, store) if carrier_name == "simulated" else None
    # training must be current on the (simulated) day of the calls
    # on a real carrier the agents take calls at the desk; a rehearsal seats them all
    desk = carrier_name != "simulated"
    day = (start or datetime.now(UTC)).date()
    agents = seat_agents(store, args.id, day, carrier_name, desk=desk)
    carrier = open_telephony(
        settings, carrier=carrier_name, seed=args.seed, timescale=timescale, serve_webhooks=True
    )
    if carrier_name == "twilio":  # Twilio calls this process back: say where it listens
        host, port = settings.telephony.webhook_listen
        _say(args, f"Twilio webhooks: {settings.telephony.webhook_base_url} -> {host}:{port}")
    bar = Bar(f"Dialling campaign #{args.id}", total)

    async def go() -> RunStats:
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        def clock() -> datetime:
            if start is None:
                return datetime.now(UTC)
            return start + timedelta(seconds=(loop.time() - t0) / timescale)

        def progress(stats: RunStats, in_flight: int) -> None:
            bar.update(stats.finished, f"{in_flight} on the line, {clock():%H:%M} UTC")

        dialer = make_dialer(store, carrier, clock, agents=agents, on_progress=progress, desk=desk)
        return await dialer.run(args.id, until=clock() + timedelta(minutes=args.minutes))

    stats = asyncio.run(go())
    bar.close(stats.finished)
    with store.reading() as uow:
        report = campaign_report(uow, store.firm_id, args.id, start or datetime.now(UTC))
        report["status_reason"] = status_reason(uow, args.id)
    if rehearsal:  # a machine reading --json must not take it for what happened either
        report["rehearsal"] = True
    common.show(args, report, render_report(report))
    if stats.paused:  # the report is out; the exit status (6: the carrier) says why it ended
        raise TelephonyError(f"campaign #{args.id} paused: {stats.paused}")
