"""The main job: a whole reminder campaign on the embedded default, end to end.

A fresh store (SQLite, own key) under ``--dir``; sample contacts with consent records and
a few that must be blocked; a broadcast reminder campaign linted and started; the dialer
over the simulated carrier on a simulated clock (hours pass in seconds), people pressing
9 during calls; then the report, read back from the store, and the audit chain verified.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.bootstrap import Store, open_store
from lexdial.config import Settings
from lexdial.entrypoints.progress import Bar
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import add_contacts, create_campaign, queue_counts, set_status
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent, revoke_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR


def run_demo(directory: Path, settings: Settings) -> dict[str, Any]:
    """Build the sample store in ``directory`` (emptied first), run the campaign, report."""
    sample = json.loads(
        resources.files("lexdial").joinpath("samples", "campaign_demo.json").read_text("utf-8")
    )
    if directory.exists():
        shutil.rmtree(directory)
    start = datetime.fromisoformat(sample["start"])
    store = open_store(settings, {"LEXDIAL_DATA_DIR": str(directory)}, now=start)
    campaign_id, blocked_why = _populate(store, sample, start - timedelta(days=30))
    with store.db.begin() as conn:
        problems = lint_campaign(
            conn,
            store.rules,
            store.cipher,
            store.registry,
            firm_id=store.firm_id,
            campaign_id=campaign_id,
            at=start,
        )
        set_status(conn, store.audit, store.firm_id, campaign_id, "start", OPERATOR, start,
                   problems)  # fmt: skip
        total = sum(queue_counts(conn, campaign_id).values())
    carrier = SimulatedCarrier(
        SimProfile(opt_out=0.15), seed=int(sample["seed"]), channels=200, cps=5, timescale=0.0005
    )
    stats = asyncio.run(_dial(store, carrier, campaign_id, start, sample["hours"], total))
    end = start + timedelta(hours=sample["hours"])
    with store.db.connect() as conn:
        report = campaign_report(conn, campaign_id, end)
    report.update(
        firm=settings.firm_name,
        simulated_start=start.isoformat(),
        simulated_hours=sample["hours"],
        contacts=total,
        why_blocked=blocked_why,
        carrier_peak_concurrent=carrier.peak_concurrent,
        carrier_errors=stats.carrier_errors,
        data_dir=str(directory),
    )
    return report


async def _dial(
    store: Store, carrier: SimulatedCarrier, campaign_id: int, start: datetime, hours: float,
    total: int,
) -> RunStats:  # fmt: skip
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    def clock() -> datetime:
        return start + timedelta(seconds=(loop.time() - t0) / carrier.timescale)

    bar = Bar("Dialling campaign", total)

    def progress(stats: RunStats, in_flight: int) -> None:
        bar.update(stats.finished, f"{in_flight} on the line, {clock():%H:%M} UTC (simulated)")

    dialer = Dialer(
        db=store.db,
        engine=store.rules,
        cipher=store.cipher,
        audit=store.audit,
        registry=store.registry,
        firm_id=store.firm_id,
        telephony=carrier,
        clock=clock,
        on_progress=progress,
    )
    stats = await dialer.run(campaign_id, until=start + timedelta(hours=hours))
    bar.close(stats.finished)
    return stats


def _populate(store: Store, sample: dict[str, Any], at: datetime) -> tuple[int, dict[str, str]]:
    firm = store.settings.firm_name
    ids: list[int] = []
    why: dict[str, str] = {}
    with store.db.begin() as conn:
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
                ids.append(add_contact(conn, store.cipher, store.firm_id, contact, at))
                _consent(store, conn, number, group, firm, sample["consent_text"], at)
                if group.get("why"):
                    why[f"{group['state']} ({group['area']})"] = group["why"]
        campaign_id = create_campaign(conn, store.audit, store.firm_id, sample["campaign"],
                                      OPERATOR, at)  # fmt: skip
        add_contacts(conn, store.audit, store.firm_id, campaign_id, ids, OPERATOR, at)
    return campaign_id, why


def _consent(
    store: Store, conn: Any, number: str, group: dict[str, Any], firm: str, text: str,
    at: datetime,
) -> None:  # fmt: skip
    if group["consent"]:
        evidence = ConsentEvidence(
            method="signed engagement letter",
            disclosure_text=text,
            disclosure_version="2026-06",
            captured_by="intake desk",
            document_ref=f"engagement/{number[-4:]}",
        )
        consent = NewConsent(number, "express", [group["consent"]], [firm], at, evidence)
        cid = record_consent(conn, store.cipher, store.audit, store.firm_id, consent, OPERATOR, at)
        if group.get("revoked"):
            when = at + timedelta(days=2)
            revoke_consent(
                conn, store.cipher, store.audit, cid, "sms", when, "STOP", OPERATOR, when
            )
    if group.get("dnc"):
        opt_out(conn, store.cipher, store.audit, store.firm_id, number, "staff",
                "asked by telephone", OPERATOR, at + timedelta(days=3))  # fmt: skip
