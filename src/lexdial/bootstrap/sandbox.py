"""Rehearsals: the simulated carrier never writes into a live store.

A sandbox may be dialled by the simulated carrier; any other store is rehearsed on a
throw-away copy (``rehearsal_store``). A SQLite sandbox is a data folder marked ``SANDBOX``;
a PostgreSQL sandbox (the distributed mode's tests and rehearsals) carries its mark IN the
database: a ``store.sandboxed`` entry in its audit trail, which only a store holding no
evidence may receive and which no one can remove without breaking the chain.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from lexdial.bootstrap.store import Store
from lexdial.errors import ConfigError

#: a data directory holding this file is a sandbox (demo, training, tests): everything in
#: its SQLite store may be simulated, so the simulated carrier may dial against it
SANDBOX_MARK = "SANDBOX"
#: audit actions written by setting a store up, before it holds any evidence
STORE_SETUP_ACTIONS = ("firm.created",)
#: the audit action that makes a database (not a SQLite file) a sandbox
SANDBOX_ACTION = "store.sandboxed"
#: the sandbox mark's data: its simulated clock's start, and the wall instant it starts from
CLOCK_START, CLOCK_ANCHOR = "simulated_start", "clock_anchor"


def is_sandbox(store: Store) -> bool:
    """True for a sandbox: the SQLite store inside a data directory marked ``SANDBOX``, or
    a server database (PostgreSQL) whose audit trail holds the ``store.sandboxed`` entry.

    A file mark never makes a server database a sandbox: a database elsewhere cannot be
    tied to a folder, so its mark must live in the database itself.
    """
    url = store.db.url
    if url.get_backend_name() != "sqlite":
        return _marked_in_database(store)
    own_file = url.get_backend_name() == "sqlite" and url.database is not None
    return (
        own_file
        and Path(str(url.database)).resolve().parent == store.data_dir.resolve()
        and (store.data_dir / SANDBOX_MARK).is_file()
    )


def mark_sandbox(store: Store, start: datetime | None = None) -> None:
    """Make a new, empty store a sandbox; a store that holds any evidence is refused.

    Evidence is anything audited beyond the store's own creation (its firm): a new store
    records ``firm.created`` when it is made, and that alone does not make it real.
    ``start``: the sandbox's simulated clock starts at this instant and runs in real time
    (``bootstrap.sandbox_clock``); recorded in the store with the mark, so every process
    on it reads the same clock. Only when it is made: a clock set later would jump.
    """
    from sqlalchemy import select

    from lexdial.adapters.db import tables

    if start is not None and start.tzinfo is None:
        raise ConfigError("sandbox --start needs an offset ('Z' or '+hh:mm')")
    if is_sandbox(store):
        if start is not None:
            raise ConfigError(
                "this store is already a sandbox: its clock (sandbox --start) is set only "
                "when a new store is made one"
            )
        return  # marking twice changes nothing
    log = tables.audit_log.c
    server = store.db.url.get_backend_name() != "sqlite"
    where = store.db.url.render_as_string(hide_password=True) if server else store.data_dir
    with store.db.connect() as conn:
        # setting the store up (its firm) is not evidence; anything after it is
        entries = conn.execute(
            select(log.seq).where(log.action.not_in(STORE_SETUP_ACTIONS)).limit(1)
        ).first()
    if entries is not None:
        raise ConfigError(f"{where} holds evidence: only a new store can be a sandbox")
    # in the audit trail on every store, the SQLite one too: the services that make reports
    # read the mark there (``audit_reads.sandbox_marked``), so no face can forget to say
    # "simulated"; a SQLite sandbox's clock lives there as well
    _mark_in_database(store, start)
    if server:
        return
    (store.data_dir / SANDBOX_MARK).write_text(
        "made by lexdial: every record in this store may be simulated (demo, training, "
        "tests); never use it for real calls\n",
        "utf-8",
    )


def _marked_in_database(store: Store) -> bool:
    from sqlalchemy import select

    from lexdial.adapters.db import tables

    log = tables.audit_log.c
    with store.db.connect() as conn:
        row = conn.execute(select(log.seq).where(log.action == SANDBOX_ACTION).limit(1)).first()
    return row is not None


def _mark_in_database(store: Store, start: datetime | None) -> None:
    """The mark as an audit entry, in the same transaction as a re-check for evidence (a
    concurrent writer's first fact and the mark cannot both slip in unseen); with the
    simulated clock's start and the wall instant it starts from, when there is one."""
    from sqlalchemy import select

    from lexdial.adapters.db import tables
    from lexdial.adapters.db.uow import SqlUnitOfWork

    log = tables.audit_log.c
    with store.db.begin() as conn:
        wall = datetime.now(UTC)
        data = {"note": "every record in this database may be simulated; never dial for real"}
        if start is not None:
            data[CLOCK_START] = start.astimezone(UTC).isoformat()
            data[CLOCK_ANCHOR] = wall.isoformat()
        # the chain's own lock (taken by record) orders this against any other entry
        store.audit.record(
            SqlUnitOfWork(conn),
            at=wall,
            actor="system:lexdial",
            action=SANDBOX_ACTION,
            subject=f"firm:{store.firm_id}",
            data=dict(data),
        )
        others = conn.execute(
            select(log.seq).where(log.action.not_in((*STORE_SETUP_ACTIONS, SANDBOX_ACTION)))
        ).first()
        if others is not None:
            raise ConfigError("the database holds evidence: only a new store can be a sandbox")


@contextmanager
def rehearsal_store(store: Store) -> Iterator[Store]:
    """A throw-away copy of ``store`` (SQLite in a private temporary directory), deleted on
    exit: a rehearsal dials it, reads its report, and the live store is only read.

    The copy has no webhook (nothing simulated is announced), the same keys (in memory
    only, never written beside the copy) and the live registers (read-only).
    """
    from sqlalchemy import update

    from lexdial.adapters.audit.sql import SqlAudit
    from lexdial.adapters.db import tables
    from lexdial.adapters.db.database import make_engine, migrate
    from lexdial.adapters.db.snapshot import copy_rows

    with tempfile.TemporaryDirectory(prefix="lexdial-rehearsal-") as tmp:
        root = Path(tmp)
        db = make_engine(f"sqlite:///{root / 'rehearsal.sqlite3'}")
        try:
            migrate(db)
            copy_rows(store.db, db)
            with db.begin() as conn:  # a live dialler's lease must not hold up the rehearsal
                conn.execute(update(tables.campaigns).values(lease_owner=None, lease_until=None))
            yield Store(
                db=db,
                cipher=store.cipher,
                audit=SqlAudit(),
                registry=store.registry,
                _rules=store.rules,
                firm_id=store.firm_id,
                data_dir=root,
                settings=store.settings,
            )
        finally:
            db.dispose()
