"""The main job: a whole reminder campaign on the embedded default, end to end.

A fresh store (SQLite, own key) under ``--dir``; sample contacts with consent records and
a few that must be blocked; a broadcast reminder campaign linted and started; the dialer
over the simulated carrier on a virtual clock (a discrete-event simulation: the same seed
gives the same run), people pressing 9 during calls; at the demo's end the clock stops and
the campaign is left finished (completed, or stopped with its waiting contacts cancelled,
and why); then the report, read back from the store, and the audit chain verified.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lexdial.bootstrap import (
    Store,
    init_store,
    make_dialer,
    mark_sandbox,
    simulated_carrier,
    simulated_clock,
    virtual_time_runner,
)
from lexdial.config import DEFAULT_FIRM, Settings
from lexdial.entrypoints.demo_server import serve_dashboard
from lexdial.entrypoints.progress import Bar
from lexdial.errors import RequestError
from lexdial.service.campaign_control import apply_action
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import (
    OPEN,
    add_contacts,
    create_campaign,
    queue_counts,
    set_status,
)
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent, revoke_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.dialer import RunStats
from lexdial.service.optout import opt_out
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import OPERATOR

if TYPE_CHECKING:  # the simulated carrier and clock are built by bootstrap
    from lexdial.bootstrap import SimulatedCarrier, SimulatedClock

#: loop seconds per simulated second: the dialler polls its queue every 0.05 loop seconds,
#: so every 100 simulated seconds (at ``pace`` 1.0, six simulated hours take ~11 s)
TIMESCALE = 0.0005
#: a file that marks a directory as the demo's own, so ``--dir`` never empties anything else
MARKER = ".lexdial-demo"


@dataclass(frozen=True, slots=True)
class Serve:
    """Serve the web app over the demo store while it runs (and after, with ``linger``)."""

    port: int = 8000
    linger: bool = False
    announce: Callable[[str], None] = print


def run_demo(
    directory: Path,
    settings: Settings,
    serve: Serve | None = None,
    on_report: Callable[[dict[str, Any]], None] | None = None,
    pace: float = 0.0,
    seed: int | None = None,
) -> dict[str, Any]:
    """Build the sample store in ``directory`` (emptied first), run the campaign, report.

    The campaign runs on a virtual clock (``VirtualTimeLoop``): the same sample and seed
    give the same report, however fast the machine. ``pace`` > 0 only slows it down to
    about ``pace`` wall seconds per ``1 / TIMESCALE`` simulated seconds (to be watched).
    ``seed`` replaces the sample's seed of the simulated carrier.
    """
    sample = json.loads(
        resources.files("lexdial").joinpath("samples", "campaign_demo.json").read_text("utf-8")
    )
    if seed is not None:
        sample["seed"] = seed
    _fresh(directory)
    # the demo's store is its own: the sample firm (its message names it) in ``directory``
    # with its own key, whatever firm, store or key file the settings name; the firm's
    # policy and rule pack still apply
    settings = replace(
        settings, firm_name=DEFAULT_FIRM, firm_id=None, data_dir=directory, key_file=None
    )
    start = datetime.fromisoformat(sample["start"])
    store = init_store(settings, {"LEXDIAL_DATA_DIR": str(directory)}, now=start)
    mark_sandbox(store)  # the demo owns a throw-away store: every record in it is simulated
    campaign_id, blocked_why, deferred_why = _populate(store, sample, start - timedelta(days=30))
    apply_action(  # the very start the CLI, the API and the web pages make
        store.reading,
        store.unit_of_work,
        store.rules,
        store.cipher,
        store.registry,
        store.audit,
        firm_id=store.firm_id,
        campaign_id=campaign_id,
        action="start",
        caller=OPERATOR,
        at=start,
    )
    with store.reading() as uow:
        total = sum(queue_counts(uow, campaign_id).values())
    carrier = simulated_carrier(
        opt_out=0.15,
        seed=int(sample["seed"]),
        channels=200,
        cps=5,
        timescale=TIMESCALE,
    )
    end = start + timedelta(hours=sample["hours"])
    clock = simulated_clock(start, TIMESCALE)
    server = serve_dashboard(store, serve, clock, start) if serve else None
    try:
        with virtual_time_runner(pace) as runner:
            stats = runner.run(_dial(store, carrier, clock, campaign_id, end, total))
        ended = _end_campaign(store, campaign_id, clock, end)
        with store.reading() as uow:
            report = campaign_report(uow, store.firm_id, campaign_id, clock())
        report.update(
            firm=settings.firm_name,
            seed=int(sample["seed"]),
            simulated_start=start.isoformat(),
            simulated_hours=sample["hours"],
            simulated_end=clock().isoformat(),
            ended=ended,
            contacts=total,
            why_blocked=blocked_why,
            why_deferred=deferred_why,
            carrier_peak_concurrent=carrier.peak_concurrent,
            carrier_errors=stats.carrier_errors,
            data_dir=str(directory),
        )
        if on_report is not None:
            on_report(report)
        if server is not None and serve is not None and serve.linger:
            serve.announce(
                "still serving the dashboard (its clock stopped with the campaign); "
                "press Ctrl-C to stop"
            )
            server.wait()
        return report
    finally:
        if server is not None:
            server.stop()


def _end_campaign(
    store: Store, campaign_id: int, clock: SimulatedClock, end: datetime
) -> dict[str, Any]:
    """Stop the clock at the demo's end (or the last call's, if later) and leave the
    campaign finished: completed when nobody is left to dial, else stopped — its contacts
    still waiting (a retry or a window after the demo's end) are cancelled — and say why."""
    at = max(clock(), end)
    clock.stop(at)
    with store.unit_of_work() as uow:
        now = campaign_report(uow, store.firm_id, campaign_id, at, verify_chain=False)
        waiting = {k: n for k, n in now["queue"].items() if k in OPEN and n}
        nxt = datetime.fromisoformat(now["next_due"]) if now["next_due"] else None
        if not waiting:
            set_status(uow, store.audit, store.firm_id, campaign_id, "complete", OPERATOR, at)
            return {
                "status": "completed",
                "at": at.isoformat(),
                "why": "every contact on the list was dialled or blocked",
            }
        set_status(uow, store.audit, store.firm_id, campaign_id, "stop", OPERATOR, at)
    n = sum(waiting.values())
    due = f", the first due {nxt:%Y-%m-%d %H:%M} UTC" if nxt else ""
    return {
        "status": "stopped",
        "at": at.isoformat(),
        "why": (
            f"the demo ends at {at:%Y-%m-%d %H:%M} UTC; {n} contact(s) were still waiting "
            f"({', '.join(f'{k} {v}' for k, v in sorted(waiting.items()))}{due}), so the demo "
            "stopped the campaign and they were cancelled, not dialled"
        ),
        "cancelled": n,
    }


def _fresh(directory: Path) -> None:
    """Empty ``directory`` for a new demo, but only if it is the demo's own (or empty)."""
    if directory.exists():
        if any(directory.iterdir()) and not (directory / MARKER).exists():
            raise RequestError("--dir", f"{directory} is not empty and not a lexdial demo folder")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("made by 'lexdial demo'; emptied on its next run\n")


async def _dial(
    store: Store,
    carrier: SimulatedCarrier,
    clock: SimulatedClock,
    campaign_id: int,
    until: datetime,
    total: int,
) -> RunStats:
    clock.attach(asyncio.get_running_loop())  # a VirtualTimeLoop: its time 0 is the start
    bar = Bar("Dialling campaign", total)

    def progress(stats: RunStats, in_flight: int) -> None:
        bar.update(stats.finished, f"{in_flight} on the line, {clock():%H:%M} UTC (simulated)")

    # offload=False: a worker thread would let the virtual clock jump while it works
    dialer = make_dialer(store, carrier, clock, on_progress=progress, offload=False)
    stats = await dialer.run(campaign_id, until=until)
    bar.close(stats.finished)
    return stats


def _populate(
    store: Store, sample: dict[str, Any], at: datetime
) -> tuple[int, dict[str, str], dict[str, str]]:
    """The sample contacts and campaign; why some are blocked, and why others wait (a
    deferred contact is dialled later, so it must not be listed among the blocked)."""
    firm = store.settings.firm_name
    ids: list[int] = []
    why: dict[str, str] = {}
    wait: dict[str, str] = {}
    with store.unit_of_work() as uow:
        for group in sample["contacts"]:
            for _ in range(group["n"]):
                number = f"+1{group['area']}555{len(ids) + 100:04d}"
                contact = NewContact(
                    numbers=((number, "wireless"),),
                    name=f"Sample Client {len(ids) + 1}",
                    address={"country": "US", "state": group["state"]},
                    relationship="current_client",
                    subscriber="consumer",
                )
                ids.append(
                    add_contact(
                        uow,
                        store.cipher,
                        store.firm_id,
                        contact,
                        at,
                        audit=store.audit,
                        caller=OPERATOR,
                    )
                )
                _consent(store, uow, number, group, firm, sample["consent_text"], at)
                if group.get("why"):
                    kind = wait if group.get("deferred") else why
                    kind[f"{group['state']} ({group['area']})"] = group["why"]
        campaign_id = create_campaign(
            uow, store.audit, store.firm_id, sample["campaign"], OPERATOR, at
        )
        add_contacts(uow, store.audit, store.firm_id, campaign_id, ids, OPERATOR, at)
    return campaign_id, why, wait


def _consent(
    store: Store,
    uow: UnitOfWork,
    number: str,
    group: dict[str, Any],
    firm: str,
    text: str,
    at: datetime,
) -> None:
    if group["consent"]:
        evidence = ConsentEvidence(
            method="signed engagement letter",
            disclosure_text=text,
            disclosure_version="2026-06",
            captured_by="intake desk",
            document_ref=f"engagement/{number[-4:]}",
        )
        consent = NewConsent(number, "express", [group["consent"]], [firm], at, evidence)
        cid = record_consent(uow, store.cipher, store.audit, store.firm_id, consent, OPERATOR, at)
        if group.get("revoked"):
            when = at + timedelta(days=2)
            revoke_consent(
                uow,
                store.cipher,
                store.audit,
                store.firm_id,
                cid,
                "sms",
                when,
                "STOP",
                OPERATOR,
                when,
            )
    if group.get("dnc"):
        opt_out(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            number,
            "staff",
            "asked by telephone",
            OPERATOR,
            at + timedelta(days=3),
        )
