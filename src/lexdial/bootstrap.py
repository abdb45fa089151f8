"""The one place where lexdial is wired: settings -> pack + geography + policy -> engine.

Nothing is built at import time; ``default_engine`` builds once per process on first
use (reading the bundled pack and the geography file: a few tens of milliseconds).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lexdial.adapters.geodata import load_geography
from lexdial.adapters.private_files import open_data_dir
from lexdial.adapters.rulepack import load_pack
from lexdial.config import Settings, load_settings
from lexdial.errors import CampaignError, ConfigError
from lexdial.rules.engine import Engine

_T = TypeVar("_T")

# the store's modules (SQLAlchemy, Alembic, cryptography, the dialler) are imported by the
# functions that build them: `lexdial decide` needs only the engine, and starts faster
if TYPE_CHECKING:
    from sqlalchemy import Engine as SAEngine

    from lexdial.adapters.audit.checkpoint import Checkpoint, CheckpointSigner
    from lexdial.adapters.crypto import Keyring
    from lexdial.adapters.registry.index import Manifest, RegistryIndex
    from lexdial.adapters.registry.scrub import Summary as ScrubSummary
    from lexdial.adapters.sms_twilio import TwilioSmsSender
    from lexdial.adapters.telephony.simulated import SimulatedCarrier as SimulatedCarrier
    from lexdial.adapters.telephony.sip_check import Verdict as TrunkVerdict
    from lexdial.adapters.telephony.sip_trunk import Trunk as SipTrunk
    from lexdial.adapters.virtual_time import SimulatedClock as SimulatedClock
    from lexdial.domain.directory import RegistryList
    from lexdial.rules.model import RulePack
    from lexdial.service.audit_reads import AuditCheck
    from lexdial.service.dialer import Dialer, RunStats
    from lexdial.service.ports import Audit, Registry, Telephony
    from lexdial.service.public_codes import CodeSender
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller


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
        from sqlalchemy import make_url

        if self.url.startswith("sqlite:///"):
            return str(Path(self.url.removeprefix("sqlite:///")).resolve())
        return make_url(self.url).render_as_string(hide_password=True)

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


def _database_exists(place: StorePlace) -> bool:
    """Whether the database holds a lexdial schema (SQLite: whether its file exists)."""
    from sqlalchemy import inspect

    from lexdial.adapters.db.database import make_engine

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
    migrate(db)
    key_path = place.key_file or default_key_path(root)
    cipher = load_keyring(key_path, env)
    created = now or datetime.now(UTC)
    # with a webhook configured, the published audit actions also go to the outbox
    hooks = env.get("LEXDIAL_WEBHOOK_URL")
    audit = NotifyingAudit(SqlAudit(), wrap=SqlUnitOfWork) if hooks else SqlAudit()
    with db.begin() as conn:
        # consent text stored in plain before migration 0004 is encrypted now (needs the key)
        encrypt_plain_evidence(SqlUnitOfWork(conn), cipher)
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


def rotate_store_keys(store: Store, at: datetime, caller: Caller) -> int:
    """Rotate the store's data key and re-encrypt everything (``service.keys``), saving the
    new keyring in the data folder; returns how many values changed. Keys given in
    $LEXDIAL_MASTER_KEY are refused: that variable is replaced by whoever set it."""
    from lexdial.adapters.crypto import ENV_VAR, default_key_path
    from lexdial.service.keys import rotate_keys

    if os.environ.get(ENV_VAR):
        raise ConfigError(
            f"keys come from ${ENV_VAR}; rotate by replacing its value with "
            "a keyring that holds the old and the new key"
        )

    def save(keyring: Keyring) -> None:
        keyring.save(default_key_path(store.data_dir))

    store.cipher, changed = rotate_keys(
        store.unit_of_work, store.cipher, save, store.audit, at, caller
    )
    return changed


def open_telephony(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    carrier: str | None = None,
    seed: int = 0,
    timescale: float = 1.0,
    serve_webhooks: bool = False,
) -> Telephony:
    """The carrier the settings name (``carrier`` overrides); built here, never at import.

    The simulated carrier runs on the wall clock unless ``timescale`` says otherwise; SIP
    runs every call in this process (``media_plane``) where the trunk allows it, else
    starts baresip processes (``[telephony] media``); Twilio reads its credentials from
    the environment only (``$LEXDIAL_TWILIO_API_URL`` replaces https://api.twilio.com: a
    stand-in for tests). ``serve_webhooks``: a process without the web app (``campaign
    run``) serves Twilio's webhooks itself on ``[telephony] webhook_listen`` while it dials.
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
        from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony, supports
        from lexdial.adapters.telephony.sip import SipTelephony

        trunk = sip_trunk(settings)
        if t.media == "plane" and not supports(trunk):
            raise ConfigError(
                "[telephony] media = plane speaks SIP over UDP without REGISTER; "
                'this trunk needs media = "baresip" (or "auto")'
            )
        if t.media != "baresip" and supports(trunk):
            return MediaPlaneTelephony(trunk=trunk, channels=t.channels, cps=t.cps_for("sip"))
        return SipTelephony(trunk=trunk, channels=t.channels, cps=t.cps_for("sip"))
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
            base_url=env.get("LEXDIAL_TWILIO_API_URL") or None,
            channels=t.channels,
            cps=t.cps_for("twilio"),
            listen=t.webhook_listen if serve_webhooks else None,
        )
    raise ConfigError(f"unknown carrier {name!r}: simulated, sip or twilio")


def sip_trunk(settings: Settings) -> SipTrunk:
    """The ``[telephony]`` SIP settings as the adapter's ``Trunk``."""
    from lexdial.adapters.telephony.sip_trunk import Trunk

    t = settings.telephony
    if not t.trunk:
        raise ConfigError('the sip carrier needs [telephony] trunk = "host" or "host:port"')
    s = t.sip
    if s.password_problem:
        raise ConfigError(s.password_problem)
    return Trunk(
        address=t.trunk,
        transport=s.transport,
        bind_address=s.bind_address,
        sip_port=s.sip_port,
        public_address=s.public_address,
        outbound_proxy=s.outbound_proxy,
        auth_username=s.auth_username,
        auth_password=s.auth_password,
        register=s.register,
        register_interval=s.register_interval,
        domain=s.domain,
        number_format=s.number_format,
        dial_prefix=s.dial_prefix,
        caller_name=s.caller_name,
        dns_server=s.dns_server,
    )


def seat_agents(store: Store, campaign_id: int, day: date, carrier: str) -> tuple[str, ...]:
    """The agents a live-agent campaign may seat (users with current training), or ()."""
    from lexdial.domain.campaign_spec import LIVE
    from lexdial.service.campaigns import load_campaign
    from lexdial.service.users import trained_agents

    with store.reading() as uow:
        spec = load_campaign(uow, store.firm_id, campaign_id).spec
        if spec.mode not in LIVE:
            return ()
        agents = tuple(f"user:{i}" for i in trained_agents(uow, store.firm_id, day))
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
    from lexdial.service.dialer import Dialer

    return Dialer(
        transactions=store.unit_of_work,
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


# --- rehearsals: the simulated carrier never writes into a live store ---------------------

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


def twilio_unknown_call_webhooks(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> Any | None:
    """Twilio's webhooks for calls no carrier of this process placed (``lexdial serve``
    while the campaign runs elsewhere, or after a restart): signature checked, answered
    with ``<Hangup/>``, a call still up ended through the API. None without Twilio's
    credentials and ``webhook_base_url`` (then the web app answers 404)."""
    try:
        carrier = open_telephony(settings, environ, carrier="twilio")
    except ConfigError:
        return None
    return getattr(carrier, "webhooks", None)


def is_simulated(telephony: Telephony) -> bool:
    """True for the simulated carrier (its calls and their outcomes never happened)."""
    from lexdial.adapters.telephony.simulated import SimulatedCarrier

    return isinstance(telephony, SimulatedCarrier)


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


# --- signed checkpoints of the audit chain ------------------------------------------------


def publish_checkpoint(store: Store, at: datetime | None = None) -> Checkpoint | None:
    """Sign and publish the store's audit head if it moved (file; webhook when configured)."""
    from lexdial.adapters.audit.checkpoint import CheckpointMismatchError
    from lexdial.service.checkpoints import publish_checkpoint as publish
    from lexdial.service.notify import NotifyingAudit

    if store.checkpoints is None:
        return None
    return publish(
        store.unit_of_work,
        store.checkpoints,
        at or datetime.now(UTC),
        notify=isinstance(store.audit, NotifyingAudit),
        mismatch=CheckpointMismatchError,
    )


def checkpoint_for_report(store: Store) -> dict[str, Any] | None:
    """Publish the head if it moved, then the latest signed checkpoint, for a PDF to print
    (None before the first one). A chain that contradicts the last checkpoint is not signed:
    the PDF then prints the last good checkpoint, and its own verification says BROKEN."""
    from lexdial.adapters.audit.checkpoint import PUBLIC_KEY_FILE, CheckpointMismatchError

    if store.checkpoints is None:
        return None
    with suppress(CheckpointMismatchError, OSError):  # the PDF still prints the last good one
        publish_checkpoint(store)
    last = store.checkpoints.last()
    return None if last is None else {**last.to_dict(), "public_key_file": PUBLIC_KEY_FILE}


def verify_audit(store: Store, anchor: str | None = None, field: str = "anchor") -> AuditCheck:
    """Verify the store's audit chain: every entry chains, every signed checkpoint (and
    ``anchor``, a ``SEQ:HASH`` exported earlier) is still held, the checkpoint file's
    lines are signed. The one verification the CLI, the API and the web pages show."""
    from lexdial.adapters.audit.sql import SqlAuditStore
    from lexdial.domain.audit_chain import Anchor, verify
    from lexdial.errors import RequestError
    from lexdial.service.audit_reads import AuditCheck

    try:
        pinned = Anchor.parse(anchor) if anchor else None
    except ValueError as exc:  # the parser says how an anchor is written
        raise RequestError(field, str(exc)) from None
    good, bad_lines = store.checkpoints.checkpoints() if store.checkpoints else ([], [])
    with store.db.connect() as conn:
        result = verify(SqlAuditStore(conn), anchor=pinned, anchors=[c.anchor for c in good])
    return AuditCheck(
        chain_ok=result.ok,
        count=result.count,
        head_seq=result.head.seq,
        head_hash=result.head.hash,
        bad_seq=result.bad_seq,
        problem=result.problem,
        detail=result.detail,
        checkpoints=len(good),
        checkpoint_problems=tuple(bad_lines),
    )


def registry_lists(data_folder: Path, today: date) -> list[RegistryList]:
    """Every registry copy loaded under ``data_folder``/registry, with its age on ``today``
    (the CLI's ``registry status``, the API's /v1/registry, the compliance page)."""
    from lexdial.adapters.registry.index import freshness, list_names, open_index
    from lexdial.domain.directory import RegistryList

    root = data_folder / "registry"
    out = []
    for name in list_names(root):
        m = open_index(root / name).manifest
        fresh = freshness(name, m.snapshot_on, today)
        out.append(
            RegistryList(
                list=name,
                count=m.count,
                snapshot_on=m.snapshot_on,
                age_days=fresh.age_days,
                max_age_days=fresh.max_age_days,
                stale=fresh.stale,
                loaded_at=m.loaded_at,
                kind=m.kind,
                form=m.form,
            )
        )
    return out


def rule_pack(directory: Path | None = None) -> RulePack:
    """The bundled rule pack (None) or a reviewed pack directory, checked as the engine's."""
    return load_pack(directory)


def sms_code_sender(account_sid: str, auth_token: str, from_number: str) -> TwilioSmsSender:
    """The SMS sender of the public pages' confirmation codes, over Twilio."""
    from lexdial.adapters.sms_twilio import TwilioSmsSender

    return TwilioSmsSender(account_sid=account_sid, auth_token=auth_token, from_number=from_number)


# --- the web app's interfaces (for the API: webhooks, public pages, events out) ----------

_LOCAL = ("http://127.0.0.1", "http://localhost", "http://[::1]")


@dataclass(frozen=True, slots=True)
class InterfaceSettings:
    """The webhook and public-page settings (environment only: they are secrets)."""

    webhook_url: str | None = None
    webhook_secret: str | None = None
    crm_secret: str | None = None
    sms_token: str | None = None
    twilio_auth_token: str | None = None
    consent_double_opt_in: bool = True
    #: how the world reaches this app (LEXDIAL_PUBLIC_URL), for checking signed requests
    public_url: str | None = None
    #: Twilio account and sending number for the public pages' codes (LEXDIAL_SMS_FROM)
    twilio_account_sid: str | None = None
    sms_from: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> InterfaceSettings:
        env = os.environ if environ is None else environ
        url = env.get("LEXDIAL_WEBHOOK_URL") or None
        secret = env.get("LEXDIAL_WEBHOOK_SECRET") or None
        if url and not url.startswith(("https://", *_LOCAL)):
            raise ConfigError("$LEXDIAL_WEBHOOK_URL must be an https:// URL")
        if url and not secret:
            raise ConfigError("$LEXDIAL_WEBHOOK_URL needs $LEXDIAL_WEBHOOK_SECRET to sign events")
        return cls(
            webhook_url=url,
            webhook_secret=secret,
            crm_secret=env.get("LEXDIAL_CRM_SECRET") or None,
            sms_token=env.get("LEXDIAL_SMS_TOKEN") or None,
            twilio_auth_token=env.get("LEXDIAL_TWILIO_AUTH_TOKEN") or None,
            twilio_account_sid=env.get("LEXDIAL_TWILIO_ACCOUNT_SID") or None,
            sms_from=env.get("LEXDIAL_SMS_FROM") or None,
            public_url=env.get("LEXDIAL_PUBLIC_URL") or None,
            # on unless switched off: without a code anyone could consent for any number
            consent_double_opt_in=env.get("LEXDIAL_CONSENT_DOUBLE_OPT_IN", "1") != "0",
        )


def public_code_sender(hooks: InterfaceSettings) -> CodeSender | None:
    """The public pages' confirmation codes go out by Twilio SMS when its account, token
    and sending number are set; None otherwise (the pages then keep codes in memory)."""
    if hooks.twilio_account_sid and hooks.twilio_auth_token and hooks.sms_from:
        return sms_code_sender(hooks.twilio_account_sid, hooks.twilio_auth_token, hooks.sms_from)
    return None


def event_delivery(
    store: Store, hooks: InterfaceSettings, clock: Callable[[], datetime]
) -> Coroutine[Any, Any, None] | None:
    """The loop that delivers outgoing events (signed, retried) to $LEXDIAL_WEBHOOK_URL;
    None when no URL and secret are set."""
    if not (hooks.webhook_url and hooks.webhook_secret):
        return None
    from lexdial.service import outbox

    send = outbox.http_sender(hooks.webhook_url)
    return outbox.deliver_forever(store.unit_of_work, send, clock, hooks.webhook_secret)


def first_delivery(store: Store, work: Callable[[UnitOfWork], _T]) -> _T | None:
    """``work`` in one write transaction; None when a concurrent twin of the same request
    committed first (its receipt's key is taken: the database refuses the insert)."""
    from sqlalchemy.exc import IntegrityError

    try:
        with store.unit_of_work() as uow:
            return work(uow)
    except IntegrityError:
        return None


def twilio_signed(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """Whether Twilio signed this request (X-Twilio-Signature over ``url`` and the form)."""
    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


# --- for the command line and the demo: the adapters they use, wired here ---------------
# (entrypoints import no adapter; each function imports its adapter when first called, so
# `lexdial --help` stays fast)


def write_private_file(path: Path, data: bytes | str, field: str = "--out") -> Path:
    """Write ``data`` to ``path`` readable by its owner alone (it holds personal data); an
    unwritable place is a RequestError naming ``field``."""
    from lexdial.adapters.private_files import write_private

    return write_private(path, data, field)


def private_folder(path: Path, field: str = "--out") -> Path:
    """Make the folder ``path`` (owner-only) for files holding personal data."""
    from lexdial.adapters.private_files import private_dir

    return private_dir(path, field)


def read_given_file(path: Path, field: str) -> str:
    """The text of a file a user named; a missing or unreadable one names ``field``."""
    from lexdial.adapters.private_files import read_text

    return read_text(path, field)


def check_sip_trunk(trunk: SipTrunk, timeout: float) -> TrunkVerdict:
    """REGISTER with (``trunk.register``) or OPTIONS-ping the trunk from one baresip line;
    the answer in one sentence (``telephony check``)."""
    import asyncio

    from lexdial.adapters.telephony.sip_check import check_trunk

    return asyncio.run(check_trunk(trunk, timeout=timeout))


def simulated_carrier(
    *, seed: int, opt_out: float, channels: int, cps: float, timescale: float
) -> SimulatedCarrier:
    """The simulated carrier with seeded behaviour; ``opt_out``: the share of answered
    calls whose callee presses the opt-out key (the demo's sample)."""
    from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier

    return SimulatedCarrier(
        SimProfile(opt_out=opt_out), seed=seed, channels=channels, cps=cps, timescale=timescale
    )


def simulated_clock(start: datetime, timescale: float) -> SimulatedClock:
    """A clock starting at ``start`` that follows a virtual-time loop once attached."""
    from lexdial.adapters.virtual_time import SimulatedClock

    return SimulatedClock(start, timescale)


def virtual_time_runner(pace: float) -> Any:
    """An ``asyncio.Runner`` on a virtual-time loop: the same run gives the same result
    however fast the machine; ``pace`` > 0 only slows it down (to be watched)."""
    import asyncio

    from lexdial.adapters.virtual_time import VirtualTimeLoop

    return asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(pace))


def registry_list_name(name: str) -> str:
    """``name`` if it is a list lexdial knows (us-national, us-state-XX, uk-tps, uk-ctps)."""
    from lexdial.adapters.registry.index import check_list_name

    return check_list_name(name)


def load_registry(
    root: Path,
    name: str,
    paths: Sequence[Path],
    *,
    snapshot_on: date,
    loaded_at: datetime,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Manifest:
    """Load a whole registry list into ``root/name`` (replacing the snapshot there)."""
    from lexdial.adapters.registry.loader import load_full

    return load_full(
        root, name, paths, snapshot_on=snapshot_on, loaded_at=loaded_at, on_progress=on_progress
    )


def apply_registry_changes(
    root: Path,
    name: str,
    additions: Sequence[Path],
    deletions: Sequence[Path],
    *,
    snapshot_on: date,
    loaded_at: datetime,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Manifest:
    """Apply change lists to the snapshot in ``root/name``."""
    from lexdial.adapters.registry.loader import apply_changes

    return apply_changes(
        root,
        name,
        additions,
        deletions,
        snapshot_on=snapshot_on,
        loaded_at=loaded_at,
        on_progress=on_progress,
    )


def registry_index(list_dir: Path) -> RegistryIndex:
    """The current snapshot of the list stored in ``list_dir``, to check numbers against."""
    from lexdial.adapters.registry.index import open_index

    return open_index(list_dir)


def scrub_file(
    contacts: Path,
    out: Path,
    index: RegistryIndex,
    *,
    today: date,
    column: str | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> ScrubSummary:
    """Check every row of a contacts CSV against a list's ``index``; write the verdicts
    to ``out`` and return the summary."""
    from lexdial.adapters.registry.scrub import scrub_csv

    return scrub_csv(contacts, out, index, today=today, column=column, on_progress=on_progress)
