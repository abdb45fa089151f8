"""The processes the crash harness kills (run as a script, never imported by pytest).

    python crash_child.py setup N [FIRST]    N contacts with consent, one started campaign
    python crash_child.py campaign ID LEDGER BASE GEN   dial it; every placed call -> LEDGER
    python crash_child.py optouts N          opt N numbers out, one "ACK n" line per commit

The store comes from the environment exactly as for ``lexdial`` (LEXDIAL_DATA_DIR,
LEXDIAL_DATABASE_URL, LEXDIAL_SETTINGS): real keys, real audit chain, real registers.
This is a throw-away test store: the simulated carrier and clock are the test's own.

The carrier writes each call to LEDGER, fsynced, *before* placing it: the ledger plays
the part of the carrier's own records, outside the store, so the harness can count the
calls that reached the network whatever the store says.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.bootstrap import Store, make_dialer, open_store
from lexdial.config import load_settings
from lexdial.domain import telephony as tel
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import add_contacts, create_campaign, set_status
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR

#: the campaign's simulated day starts Wed 2 Dec 2026 10:00 in New York
START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
#: wall seconds per simulated second: a call lasts a few tenths of a second, a retry
#: delay of two minutes 1.2 s, so a run lasts a few seconds and a kill can fall anywhere
TIMESCALE = 0.01
MAX_ATTEMPTS = 2
FIRM = "Hartwell & Ruiz LLP"
TEXT = (
    "Hello, this is Hartwell and Ruiz with a reminder of your appointment on Friday. "
    "Please call us at 614-555-0199. To stop these calls, press 9 now."
)


def number(i: int) -> str:
    return f"+1614555{1000 + i:04d}"


def _store() -> Store:
    return open_store(load_settings(None))


def setup(n: int, first: int) -> None:
    store = _store()
    evidence = ConsentEvidence("signed engagement letter", "You agree we may call you.", "v1",
                               "intake", document_ref="DMS-1")  # fmt: skip
    given = START - timedelta(days=40)
    with store.db.begin() as conn:
        ids = []
        for i in range(first, first + n):
            new = NewContact(numbers=((number(i), "wireless"),),
                             address={"country": "US", "state": "OH"},
                             relationship="current_client")  # fmt: skip
            ids.append(add_contact(SqlUnitOfWork(conn), store.cipher, store.firm_id, new, given,
                                   audit=store.audit, caller=OPERATOR))  # fmt: skip
            consent = NewConsent(number(i), "express", ["reminder"], [FIRM], given, evidence)
            record_consent(SqlUnitOfWork(conn), store.cipher, store.audit, store.firm_id, consent,
                           OPERATOR,
                           given)  # fmt: skip
        spec = {
            "name": "Reminders", "purpose": "reminder", "mode": "broadcast",
            "caller_id": "+16145550199", "message": {"text": TEXT}, "channels": 4,
            "retry": {"max_attempts": MAX_ATTEMPTS, "delay_minutes": 2},
        }  # fmt: skip
        cid = create_campaign(
            SqlUnitOfWork(conn), store.audit, store.firm_id, spec, OPERATOR, START
        )
        add_contacts(SqlUnitOfWork(conn), store.audit, store.firm_id, cid, ids, OPERATOR, START)
    with store.db.begin() as conn:
        problems = lint_campaign(SqlUnitOfWork(conn), store.rules, store.cipher, store.registry,
                                 firm_id=store.firm_id, campaign_id=cid, at=START)  # fmt: skip
        set_status(SqlUnitOfWork(conn), store.audit, store.firm_id, cid, "start", OPERATOR, START,
                   problems)  # fmt: skip
    print(cid, flush=True)


class LedgerCarrier(SimulatedCarrier):
    """The simulated carrier, keeping its own record of every call it placed."""

    def __init__(self, ledger: Path, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.ledger = ledger

    async def dial(self, dial: tel.Dial) -> None:
        with self.ledger.open("a", encoding="utf-8") as fh:
            fh.write(f"{dial.call_id} {dial.to} {os.getpid()}\n")
            fh.flush()
            os.fsync(fh.fileno())
        await super().dial(dial)


def campaign(cid: int, ledger: Path, base_wall: float, generation: int) -> None:
    store = _store()
    # more people hang up on busy/no answer than in real life: more retries to get wrong
    profile = SimProfile(human=0.4, machine=0.2, busy=0.2, failed=0.05, opt_out=0.2)
    carrier = LedgerCarrier(ledger, profile=profile, seed=generation, timescale=TIMESCALE)

    def clock() -> datetime:
        # one simulated timeline across every restart: it never runs backwards
        return START + timedelta(seconds=(time.time() - base_wall) / TIMESCALE)

    dialer = make_dialer(store, carrier, clock)
    # a killed dialler's lease stands for LEASE_S wall seconds; each restart is, for the
    # lease, that much later (as if the operator had waited it out)
    dialer.wall = lambda: datetime.now(UTC) + timedelta(seconds=61 * generation)
    print("ready", flush=True)
    stats = asyncio.run(dialer.run(cid, until=START + timedelta(hours=6)))
    print(f"done dialled={stats.dialled} recovered={stats.recovered}", flush=True)


def optouts(n: int, offset: int) -> None:
    store = _store()
    print("ready", flush=True)
    for i in range(offset, offset + n):
        with store.db.begin() as conn:
            opt_out(SqlUnitOfWork(conn), store.cipher, store.audit, store.firm_id, number(i),
                    "staff",
                    "asked on the phone", OPERATOR, START)  # fmt: skip
        # printed only after the commit returned: this line is the acknowledgement
        print(f"ACK {i}", flush=True)


def main(argv: list[str]) -> None:
    what = argv[0]
    if what == "setup":
        setup(int(argv[1]), int(argv[2]) if len(argv) > 2 else 0)
    elif what == "campaign":
        campaign(int(argv[1]), Path(argv[2]), float(argv[3]), int(argv[4]))
    elif what == "optouts":
        optouts(int(argv[1]), int(argv[2]))
    else:
        raise SystemExit(f"unknown mode {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
