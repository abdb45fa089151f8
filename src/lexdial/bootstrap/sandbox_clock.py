"""A sandbox's simulated clock: the instant every process on the store dials and decides by.

Rule 1: a sandbox made with ``lexdial sandbox --start INSTANT`` carries its clock in the
store (the ``store.sandboxed`` audit entry: the start, and the wall instant it was set at);
every process on it — ``lexdial worker`` and ``lexdial serve`` alike — reads the same
clock: the start plus the real time elapsed since, so rates, leases and timeouts stay real
and only the date and hour are simulated. It is the rehearsals' ``SimulatedClock``
following the wall clock instead of a virtual-time loop.
Rule 2: a store that is not a sandbox never runs on a simulated clock: one recorded in it
(a SQLite sandbox whose ``SANDBOX`` file was removed) is refused with a ``ConfigError``;
so is a simulated clock on a carrier that can ring a real phone (it would ring by a made-up
hour): only the simulated carrier, or Twilio's API replaced by a stand-in on this machine
(``$LEXDIAL_TWILIO_API_URL`` on loopback, as the tests do), may run on one.
Rule 3: a store without a recorded clock runs on the wall clock (UTC).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from lexdial.bootstrap.sandbox import CLOCK_ANCHOR, CLOCK_START, SANDBOX_ACTION, is_sandbox
from lexdial.bootstrap.store import Store
from lexdial.errors import ConfigError


def wall_clock() -> datetime:
    return datetime.now(UTC)


def recorded_clock(store: Store) -> tuple[datetime, datetime] | None:
    """The store's simulated clock as recorded (its start, the wall instant it starts
    from), or None."""
    import json

    from sqlalchemy import select

    from lexdial.adapters.db import tables

    log = tables.audit_log.c
    with store.db.connect() as conn:
        row = conn.execute(
            select(log.data).where(log.action == SANDBOX_ACTION).order_by(log.seq.desc()).limit(1)
        ).first()
    if row is None:
        return None
    data = json.loads(row[0])
    if CLOCK_START not in data:
        return None
    return datetime.fromisoformat(data[CLOCK_START]), datetime.fromisoformat(data[CLOCK_ANCHOR])


def store_clock(
    store: Store, carrier: str | None = None, environ: Mapping[str, str] | None = None
) -> Callable[[], datetime]:
    """The clock every process on ``store`` uses (rules 1-3); ``carrier`` the one that will
    dial (default the settings')."""
    from lexdial.bootstrap.telephony import simulated_clock

    recorded = recorded_clock(store)
    if recorded is None:
        return wall_clock
    start, anchor = recorded
    if not is_sandbox(store):
        raise ConfigError(
            f"this store records a simulated clock (sandbox --start {start:%Y-%m-%dT%H:%MZ}) "
            "but is not a sandbox: a live store runs on the real clock only"
        )
    used = carrier or store.settings.telephony.carrier
    if _rings_phones(used, os.environ if environ is None else environ):
        raise ConfigError(
            f"this sandbox runs on a simulated clock (sandbox --start): telephony.carrier "
            f"{used!r} would place real calls by it; use the simulated carrier"
        )
    from lexdial.adapters.virtual_time import WallSeconds

    clock = simulated_clock(start, 1.0)
    clock.attach(WallSeconds(anchor))
    return clock


def _rings_phones(carrier: str, environ: Mapping[str, str]) -> bool:
    """Whether ``carrier`` can reach a real phone (rule 2)."""
    if carrier == "simulated":
        return False
    if carrier == "twilio":
        base = environ.get("LEXDIAL_TWILIO_API_URL")
        return (urlsplit(base).hostname if base else None) not in ("127.0.0.1", "localhost", "::1")
    return True
