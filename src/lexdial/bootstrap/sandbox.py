"""Rehearsals: the simulated carrier never writes into a live store.

A sandbox (a data folder marked ``SANDBOX``) may be dialled by the simulated carrier; any
other store is rehearsed on a throw-away copy (``rehearsal_store``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lexdial.bootstrap.store import Store
from lexdial.errors import ConfigError

#: a data directory holding this file is a sandbox (demo, training, tests): everything in
#: its SQLite store may be simulated, so the simulated carrier may dial against it
SANDBOX_MARK = "SANDBOX"
#: audit actions written by setting a store up, before it holds any evidence
STORE_SETUP_ACTIONS = ("firm.created",)


def is_sandbox(store: Store) -> bool:
    """True for a sandbox: the SQLite store inside a data directory marked ``SANDBOX``.

    A PostgreSQL store is never a sandbox: the mark lives beside the key file, and a
    database elsewhere cannot be tied to it.
    """
    url = store.db.url
    own_file = url.get_backend_name() == "sqlite" and url.database is not None
    return (
        own_file
        and Path(str(url.database)).resolve().parent == store.data_dir.resolve()
        and (store.data_dir / SANDBOX_MARK).is_file()
    )


def mark_sandbox(store: Store) -> None:
    """Make a new, empty store a sandbox; a store that holds any evidence is refused.

    Evidence is anything audited beyond the store's own creation (its firm): a new store
    records ``firm.created`` when it is made, and that alone does not make it real.
    """
    from sqlalchemy import select

    from lexdial.adapters.db import tables

    log = tables.audit_log.c
    with store.db.connect() as conn:
        # setting the store up (its firm) is not evidence; anything after it is
        entries = conn.execute(
            select(log.seq).where(log.action.not_in(STORE_SETUP_ACTIONS)).limit(1)
        ).first()
    if entries is not None:
        raise ConfigError(f"{store.data_dir} holds evidence: only a new store can be a sandbox")
    (store.data_dir / SANDBOX_MARK).write_text(
        "made by lexdial: every record in this store may be simulated (demo, training, "
        "tests); never use it for real calls\n",
        "utf-8",
    )


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
