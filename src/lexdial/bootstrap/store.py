"""The evidence store: where it lives, creating and opening it, and the ``Store`` every
service of the store is given (its database, keys, audit trail and registers).

The store's modules (SQLAlchemy, Alembic, cryptography) are imported by the functions
that build them: ``lexdial decide`` needs only the engine, and starts faster.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lexdial.adapters.private_files import open_data_dir
from lexdial.bootstrap.engine import build_engine
from lexdial.bootstrap.registry import open_registry
from lexdial.config import Settings
from lexdial.errors import ConfigError, CryptoError
from lexdial.rules.engine import Engine

if TYPE_CHECKING:
    from sqlalchemy import Engine as SAEngine

    from lexdial.adapters.audit.checkpoint import CheckpointSigner
    from lexdial.adapters.crypto import Keyring
    from lexdial.service.ports import Audit, Registry
    from lexdial.service.storage import UnitOfWork


@dataclass(slots=True)
class Store:
    """Everything the evidence-store services need, wired once."""

    db: SAEngine
    cipher: Keyring
    audit: Audit
    registry: Registry
    firm_id: int
    data_dir: Path
    settings: Settings
    _rules: Engine | None = None
    #: signs and keeps the audit chain's checkpoints (None: a throw-away copy publishes none)
    checkpoints: CheckpointSigner | None = None

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """One write transaction: commits when the block ends, rolls back on an exception."""
        from lexdial.adapters.db.uow import SqlUnitOfWork

        with self.db.begin() as conn:
            yield SqlUnitOfWork(conn)

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """A read-only look at the store (no write lock is taken; nothing is committed)."""
        from lexdial.adapters.db.uow import SqlUnitOfWork

        with self.db.connect() as conn:
            yield SqlUnitOfWork(conn)

    @property
    def rules(self) -> Engine:
        """The rule engine for the store's settings, built on first use: most store
        commands (audit verify, consent show, an opt-out...) decide nothing."""
        if self._rules is None:
            self._rules = build_engine(self.settings)
        return self._rules


def data_dir(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """$LEXDIAL_DATA_DIR, else the settings' [store] data_dir, else ./data."""
    env = os.environ if environ is None else environ
    named = env.get("LEXDIAL_DATA_DIR")
    if named:
        return Path(named)
    return settings.data_dir or Path("data")


@dataclass(frozen=True, slots=True)
class StorePlace:
    """Where a store lives: its data folder, database and key file, and why there."""

    data_dir: Path
    url: str
    key_file: Path | None  # None: the keys come from $LEXDIAL_MASTER_KEY
    chosen_by: str

    @property
    def database(self) -> str:
        """The database for people to read: a SQLite path, or the URL without password."""
        from lexdial.adapters.db.database import shown

        if self.url.startswith("sqlite:///"):
            return str(Path(self.url.removeprefix("sqlite:///")).resolve())
        return shown(self.url)

    def describe(self, firm: str) -> str:
        keys = "$LEXDIAL_MASTER_KEY" if self.key_file is None else str(self.key_file.resolve())
        return f'store {self.database} (firm "{firm}", keys {keys}; {self.chosen_by})'


def store_place(settings: Settings, environ: Mapping[str, str] | None = None) -> StorePlace:
    """The store these settings and this environment point at (nothing is touched)."""
    from lexdial.adapters.crypto import ENV_VAR, default_key_path
    from lexdial.adapters.db.database import database_url

    env = os.environ if environ is None else environ
    root = data_dir(settings, env)
    if env.get("LEXDIAL_DATA_DIR"):
        chosen_by = "data folder from $LEXDIAL_DATA_DIR"
    elif settings.data_dir is not None:
        chosen_by = f"data folder from {settings.source}"
    else:
        chosen_by = "default data folder ./data"
    if env.get("LEXDIAL_DATABASE_URL"):
        chosen_by = "database from $LEXDIAL_DATABASE_URL"
    key_file = None if env.get(ENV_VAR, "").strip() else settings.key_file
    if key_file is None and not env.get(ENV_VAR, "").strip():
        key_file = default_key_path(root)
    return StorePlace(root, database_url(root, dict(env)), key_file, chosen_by)


def _database_state(place: StorePlace, *, create: bool = False) -> str:
    """What the database holds: "none" (no lexdial schema; SQLite: no file), "empty" (the
    schema only, no firm and no audit entry: an init stopped before it made its keys and
    firm, which init may finish) or "data" (a store).

    The first connection to a PostgreSQL server: one it refuses is a ``ConfigError``
    naming the database and the server's reason; with ``create`` (``lexdial init``) a
    database the server does not have is created first (so: "none")."""
    from sqlalchemy import exc

    from lexdial.adapters.db.database import (
        create_database,
        make_engine,
        missing_database,
        stored,
        unreachable,
    )

    if place.url.startswith("sqlite:///") and not Path(place.url[10:]).is_file():
        return "none"
    db = make_engine(place.url)
    try:
        return stored(db)
    except exc.DBAPIError as e:
        if place.url.startswith("sqlite:///"):
            reason = " ".join(str(e.orig or e).split())
            raise ConfigError(
                f"the database file {place.database} cannot be read ({reason}): restore it "
                "from its backup, or point the settings at the store's data folder"
            ) from None
        if not isinstance(e, exc.OperationalError):
            raise
        if not (create and missing_database(place.url, e)):
            raise unreachable(place.url, e) from None
    finally:
        db.dispose()
    create_database(place.url)
    return "none"


def init_store(
    settings: Settings, environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> Store:
    """Create a new store (database, key file, the firm) where the settings point.

    Refuses when one is already there: a second ``init`` must never replace the keys of
    a store whose data they encrypt.
    """
    from lexdial.adapters.db.database import init_lock

    place = store_place(settings, environ)
    _database_state(place, create=True)  # the server reached; a missing database made
    with init_lock(place.url):  # a second init at once waits, then finds this one's store
        if _database_state(place) == "data":
            raise ConfigError(
                f"a lexdial store already exists at {place.database}; nothing changed"
            )
        if place.key_file is not None and place.key_file.exists():
            raise ConfigError(
                f"a key file already exists at {place.key_file}; it may encrypt another "
                "store's data, so lexdial init will not use or replace it"
            )
        open_data_dir(place.data_dir)  # 0700; a world-writable one is refused
        return open_store(settings, environ, now, create=True)


def open_store(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    *,
    create: bool = False,
) -> Store:
    """Connect (and migrate) the store, load keys and registers, make sure the firm exists.

    Only ``create`` (``lexdial init``, the demo) may make a new store: a command run from
    the wrong folder must not quietly start an empty one with new keys.
    """
    from lexdial.adapters.audit.checkpoint import CheckpointSigner
    from lexdial.adapters.audit.sql import SqlAudit
    from lexdial.adapters.crypto import default_key_path, load_keyring
    from lexdial.adapters.db.database import make_engine, migrate
    from lexdial.adapters.db.uow import SqlUnitOfWork
    from lexdial.service.consent import encrypt_plain_evidence
    from lexdial.service.firms import resolve_firm
    from lexdial.service.notify import NotifyingAudit

    env = dict(os.environ if environ is None else environ)
    place = store_place(settings, env)
    if not create:
        if place.data_dir.exists():  # a world-writable folder is refused before all else
            open_data_dir(place.data_dir)
        _refuse_missing(place)
    root = open_data_dir(place.data_dir)  # 0700; a world-writable one is refused
    db = make_engine(place.url)
    try:
        upgraded = migrate(db)
        if upgraded is not None:  # said once, by the process that upgraded it
            print(
                f"lexdial: the store at {place.database} was upgraded from schema "
                f"{upgraded[0]} to {upgraded[1]}",
                file=sys.stderr,
            )
        key_path = place.key_file or default_key_path(root)
        cipher = load_keyring(key_path, env)
        _check_keys(db, cipher, place)  # before anything is written under these keys
    except BaseException:
        db.dispose()  # a store refused gives its connections back
        raise
    created = now or datetime.now(UTC)
    # with a webhook configured, the published audit actions also go to the outbox
    hooks = env.get("LEXDIAL_WEBHOOK_URL")
    audit = NotifyingAudit(SqlAudit(), wrap=SqlUnitOfWork) if hooks else SqlAudit()
    with db.begin() as conn:
        # consent text stored in plain before migration 0004 is encrypted now (needs the key)
        encrypt_plain_evidence(SqlUnitOfWork(conn), cipher)
        # (for desk) contacts made before the directory's name index are indexed now
        _index_names(SqlUnitOfWork(conn), cipher)
        firm_id = resolve_firm(
            SqlUnitOfWork(conn),
            audit,
            name=settings.firm_name,
            firm_id=settings.firm_id,
            at=created,
            actor=f"settings:{settings.source or 'defaults'}",
        )
    return Store(
        db=db,
        cipher=cipher,
        audit=audit,
        registry=open_registry(root / "registry"),
        firm_id=int(firm_id),
        data_dir=root,
        settings=settings,
        checkpoints=CheckpointSigner.open(root),
    )


def _refuse_missing(place: StorePlace) -> None:
    state = _database_state(place)
    if state == "empty" and place.key_file is not None and not place.key_file.exists():
        raise ConfigError(
            f"the store at {place.database} was never finished (its tables are there, but "
            "no firm, no audit entry and no key file: a lexdial init stopped half-way). "
            "Run lexdial init again to finish it"
        )
    if state == "none":
        raise ConfigError(
            f"no lexdial store at {place.database} ({place.chosen_by}). Run this from the "
            "folder that holds your lexdial.toml (or pass --settings FILE), or create a "
            "store with: lexdial init --firm 'Your Firm LLP'"
        )
    if place.key_file is not None and not place.key_file.exists():
        raise ConfigError(
            f"the store at {place.database} has no key file at {place.key_file}: without "
            "it nothing stored can be read. Restore the key file from its backup (or set "
            "$LEXDIAL_MASTER_KEY); lexdial will not make new keys for an existing store"
        )


def _check_keys(db: SAEngine, cipher: Keyring, place: StorePlace) -> None:
    """Refuse keys that do not open the store's data: another store's key file, or one
    restored from before a key rotation. Without this check such a store opened: every
    number looked up was "not found" (an opt-out's number too) and new values were
    written under keys the rest of the data does not share. One sample decides: a stored
    number (decrypted, and its blind index recomputed), else the first encrypted value
    found. A store with nothing encrypted yet has nothing to check against."""
    from lexdial.adapters.db.database import first_value
    from lexdial.service.keys import ENCRYPTED

    why = None
    number = first_value(db, "contact_numbers", "number_enc", "number_bidx")
    try:
        if number is not None:
            e164 = cipher.decrypt(str(number[0]), context="contact_numbers.number")
            if cipher.blind_index(e164, kind="number") != number[1]:
                why = "a stored number decrypts, but its blind index is made with another index key"
        else:
            for table, column, context in ENCRYPTED:
                value = first_value(db, table, column)
                if value is not None:
                    cipher.decrypt(str(value[0]), context=context)
                    break
    except CryptoError as e:
        why = str(e)
    if why is None:
        return
    keys = "$LEXDIAL_MASTER_KEY" if place.key_file is None else f"the key file {place.key_file}"
    raise ConfigError(
        f"{keys} does not open the data of the store at {place.database} ({why}): it is "
        "another store's, or older than a key rotation (lexdial keys rotate writes a new "
        "key file; a backup made before it lacks the new key). Nothing was changed. "
        "Restore this store's own key file, or set $LEXDIAL_MASTER_KEY to its keys"
    )


# (for desk)
def _index_names(uow: UnitOfWork, cipher: Keyring) -> None:
    """Give every contact without directory tokens its tokens (``service.name_index``)."""
    from lexdial.service.name_index import backfill

    backfill(uow, cipher, sorted(uow.firms.names()))
