"""The one place where lexdial is wired: settings -> pack + geography + policy -> engine.

Nothing is built at import time; ``default_engine`` builds once per process on first
use (reading the bundled pack and the ZIP dataset takes about a second).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import Engine as SAEngine
from sqlalchemy import insert, inspect, make_url, select

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.crypto import ENV_VAR, Keyring, default_key_path, load_keyring
from lexdial.adapters.db import tables
from lexdial.adapters.db.database import database_url, make_engine, migrate
from lexdial.adapters.geodata import load_geography
from lexdial.adapters.rulepack import load_pack
from lexdial.config import Settings, load_settings
from lexdial.errors import CampaignError, ConfigError
from lexdial.rules.engine import Engine
from lexdial.service.campaign_spec import LIVE
from lexdial.service.campaigns import load_campaign
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.notify import NotifyingAudit
from lexdial.service.ports import Audit, Registry, Telephony
from lexdial.service.users import trained_agents


def build_engine(settings: Settings) -> Engine:
    """An engine for the given settings (a reviewed pack dir, a firm policy)."""
    return Engine(pack=load_pack(settings.pack_dir), geo=load_geography(), policy=settings.policy)


@cache
def default_engine(settings_path: Path | None = None) -> Engine:
    """The engine for this process's settings (cached)."""
    return build_engine(load_settings(settings_path))


@dataclass(slots=True)
class Store:
    """Everything the evidence-store services need, wired once."""

    db: SAEngine
    cipher: Keyring
    audit: Audit
    registry: Registry
    rules: Engine
    firm_id: int
    data_dir: Path
    settings: Settings


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
        if self.url.startswith("sqlite:///"):
            return str(Path(self.url.removeprefix("sqlite:///")).resolve())
        return make_url(self.url).render_as_string(hide_password=True)

    def describe(self, firm: str) -> str:
        keys = "$LEXDIAL_MASTER_KEY" if self.key_file is None else str(self.key_file.resolve())
        return f'store {self.database} (firm "{firm}", keys {keys}; {self.chosen_by})'


def store_place(settings: Settings, environ: Mapping[str, str] | None = None) -> StorePlace:
    """The store these settings and this environment point at (nothing is touched)."""
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


def _database_exists(place: StorePlace) -> bool:
    """Whether the database holds a lexdial schema (SQLite: whether its file exists)."""
    if place.url.startswith("sqlite:///"):
        return Path(place.url.removeprefix("sqlite:///")).is_file()
    db = make_engine(place.url)
    try:
        return inspect(db).has_table("alembic_version")
    finally:
        db.dispose()


def init_store(
    settings: Settings, environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> Store:
    """Create a new store (database, key file, the firm) where the settings point.

    Refuses when one is already there: a second ``init`` must never replace the keys of
    a store whose data they encrypt.
    """
    place = store_place(settings, environ)
    if _database_exists(place):
        raise ConfigError(f"a lexdial store already exists at {place.database}; nothing changed")
    if place.key_file is not None and place.key_file.exists():
        raise ConfigError(
            f"a key file already exists at {place.key_file}; it may encrypt another store's "
            "data, so lexdial init will not use or replace it"
        )
    place.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
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
    env = dict(os.environ if environ is None else environ)
    place = store_place(settings, env)
    root = place.data_dir
    if not create:
        _refuse_missing(place)
    root.mkdir(parents=True, exist_ok=True)
    db = make_engine(place.url)
    migrate(db)
    key_path = place.key_file or default_key_path(root)
    cipher = load_keyring(key_path, env)
    created = now or datetime.now(UTC)
    with db.begin() as conn:
        firm_id = conn.execute(
            select(tables.firms.c.id).where(tables.firms.c.name == settings.firm_name)
        ).scalar()
        if firm_id is None:
            firm_id = tables.new_id(
                conn.execute(
                    insert(tables.firms).values(name=settings.firm_name, created_at=created)
                )
            )
    return Store(
        db=db,
        cipher=cipher,
        # with a webhook configured, the published audit actions also go to the outbox
        audit=NotifyingAudit(SqlAudit()) if env.get("LEXDIAL_WEBHOOK_URL") else SqlAudit(),
        registry=open_registry(root / "registry"),
        rules=build_engine(settings),
        firm_id=int(firm_id),
        data_dir=root,
        settings=settings,
    )


def _refuse_missing(place: StorePlace) -> None:
    if not _database_exists(place):
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


def open_telephony(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    carrier: str | None = None,
    seed: int = 0,
    timescale: float = 1.0,
) -> Telephony:
    """The carrier the settings name (``carrier`` overrides); built here, never at import.

    The simulated carrier runs on the wall clock unless ``timescale`` says otherwise; SIP
    starts baresip on first use; Twilio reads its credentials from the environment only.
    """
    env = os.environ if environ is None else environ
    t = settings.telephony
    name = carrier or t.carrier
    if name == "simulated":
        from lexdial.adapters.telephony.simulated import SimulatedCarrier

        return SimulatedCarrier(
            seed=seed, channels=max(t.channels, 1000), cps=max(t.cps, 100), timescale=timescale
        )
    if name == "sip":
        from lexdial.adapters.telephony.sip import SipTelephony

        if not t.trunk:
            raise ConfigError('the sip carrier needs [telephony] trunk = "host:port"')
        return SipTelephony(trunk=t.trunk, channels=t.channels, cps=t.cps)
    if name == "twilio":
        from lexdial.adapters.telephony.twilio import TwilioTelephony

        sid, token = env.get("LEXDIAL_TWILIO_ACCOUNT_SID"), env.get("LEXDIAL_TWILIO_AUTH_TOKEN")
        if not sid or not token or not t.webhook_base_url:
            raise ConfigError(
                "the twilio carrier needs $LEXDIAL_TWILIO_ACCOUNT_SID, "
                "$LEXDIAL_TWILIO_AUTH_TOKEN and [telephony] webhook_base_url"
            )
        return TwilioTelephony(
            account_sid=sid,
            auth_token=token,
            webhook_base_url=t.webhook_base_url,
            channels=t.channels,
            cps=t.cps,
        )
    raise ConfigError(f"unknown carrier {name!r}: simulated, sip or twilio")


def seat_agents(store: Store, campaign_id: int, day: date, carrier: str) -> tuple[str, ...]:
    """The agents a live-agent campaign may seat (users with current training), or ()."""
    with store.db.connect() as conn:
        spec = load_campaign(conn, store.firm_id, campaign_id).spec
        if spec.mode not in LIVE:
            return ()
        agents = tuple(f"user:{i}" for i in trained_agents(conn, day))
    if not agents:
        raise CampaignError("no active agent has a current training attestation")
    if carrier != "simulated":
        # agents have no telephone endpoints in the store yet: a bridge could reach no one
        raise CampaignError("live-agent campaigns run on the simulated carrier only, for now")
    return agents


def make_dialer(
    store: Store,
    telephony: Telephony,
    clock: Callable[[], datetime],
    *,
    agents: tuple[str, ...] = (),
    on_progress: Callable[[RunStats, int], None] | None = None,
) -> Dialer:
    """A dialler over ``store``'s database, engine, keys, audit trail and registers."""
    return Dialer(
        db=store.db,
        engine=store.rules,
        cipher=store.cipher,
        audit=store.audit,
        registry=store.registry,
        firm_id=store.firm_id,
        telephony=telephony,
        clock=clock,
        agents=agents,
        on_progress=on_progress,
    )


def open_registry(directory: Path) -> Registry:
    """The do-not-call registers loaded under ``directory`` (none: every lookup unknown)."""
    from lexdial.adapters.registry_port import IndexRegistry

    return IndexRegistry(directory)
