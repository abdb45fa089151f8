"""Settings: the firm's policy file and environment, read only by ``bootstrap``.

The settings file is TOML (``lexdial.toml`` in the working directory, or the path in
``LEXDIAL_SETTINGS``). Every key is optional; the defaults are the protective ones:

    [policy]
    default_region = "US"                 # numbers written without a country code
    all_calls_window = ["08:00", "21:00"] # every purpose; [] or false to switch off
    dialer_rules_all_purposes = true      # 15 s ring, 3 % abandonment for every campaign
    require_reassigned_check = false      # deny consented robocalls without an RND check
    require_ai_disclosure = true          # artificial voices say so at the start
    # which calls the settings above reach (contract v1.1): a call whose technology OR
    # purpose is listed, except a person's own manual call to the listed relationships
    scope_technologies = ["autodialed", "prerecorded", "artificial_voice", "interactive_voice"]
    scope_purposes = ["marketing", "debt_collection"]
    spare_manual_calls_to = ["current_client"]

    [rules]
    pack_dir = "path/to/pack"             # a reviewed pack instead of the bundled one

    [firm]
    name = "Hartwell & Ruiz LLP"          # the seller every consent must name; changing it
                                          # renames the store's firm (audited)
    id = 2                                # only for a store holding several firms: which one

    [store]
    data_dir = "data"                     # SQLite file, key file, registry indexes
                                          # ($LEXDIAL_DATA_DIR wins; PostgreSQL through
                                          #  $LEXDIAL_DATABASE_URL)
    key_file = "keys/lexdial-keys.json"   # default <data_dir>/keys.json; keep it apart
                                          # from the database's backups
    [retention]                           # days, per data category (privacy purge);
    call_records = 1830                   # call_records, revoked_consents, dnc_entries;
                                          # below the legal minimum (pack.yaml
                                          # retention_minimums, 5 years) is refused

    [telephony]
    carrier = "simulated"                 # simulated | sip | twilio
    channels = 100                        # simultaneous calls the trunk/account allows
    cps = 10                              # calls per second the carrier accepts (default:
                                          # 10 for sip, 1 for twilio: Twilio's account default)
    # sip: a typical registered trunk (see SIP_KEYS for every key; all but trunk optional)
    trunk = "sip.carrier.example"         # host (SRV/A lookup) or host:port
    transport = "udp"                     # udp | tcp | tls
    bind_address = "10.0.0.5"             # the local address SIP and SDP use (127.0.0.1)
    sip_port = 5060                       # first local SIP port (one per channel); 0: any
    public_address = "203.0.113.7"        # NAT: the address put in SDP (c=/o=) for RTP
    outbound_proxy = "edge.carrier.example:5060"  # every request goes through it
    auth_username = "lexdial-hr"          # digest authentication (401/407 challenges)
    auth_password_env = "LEXDIAL_SIP_PASSWORD"    # or auth_password_file = "sip.secret";
                                          # never in this file, never printed
    register = true                       # false for IP-authenticated trunks
    register_interval = 600               # seconds between re-REGISTERs
    domain = "carrier.example"            # host in From and the account (default: trunk)
    number_format = "e164"                # e164 (+16145550101) | e164_no_plus | national
    dial_prefix = ""                      # put before every dialled number
    caller_name = "Hartwell & Ruiz"       # display name in From
    dns_server = "10.0.0.2:53"            # default: the system's resolv.conf
    media = "auto"                        # auto | plane (every call in one process) |
                                          # baresip (a process per call)
    # (for sip-transport) tls_ca_file = "carrier-ca.pem": the CA of the trunk's TLS
    #   certificate (default: the system's); tls_verify = false checks nothing (warned);
    #   p_asserted_identity = true: the caller ID in P-Asserted-Identity (media plane)
    webhook_base_url = "https://dialer.example.com/webhooks/twilio"
                                          # twilio: the public https:// URL Twilio calls back;
                                          # lexdial appends /status, /amd, /gather, /played
                                          # and ?call=ID[&prompt=NAME]; signatures are checked
                                          # against exactly that URL (README: "Twilio")
    webhook_listen = "127.0.0.1:8088"     # twilio: where `campaign run` itself serves them
                                          # (put the https proxy for webhook_base_url here)
                                          # (credentials only from the environment:
                                          #  $LEXDIAL_TWILIO_ACCOUNT_SID, _AUTH_TOKEN)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lexdial.adapters.rulepack import load_retention_minimums
from lexdial.config.desk import DeskSettings, read_desk  # (for webrtc)
from lexdial.config.distributed import DistributedSettings, read_distributed  # (for celery)
from lexdial.config.names import did_you_mean, refuse_unknown
from lexdial.config.policy import read_policy
from lexdial.config.sip import NUMBER_FORMATS, SIP_KEYS, TRANSPORTS, SipSettings
from lexdial.config.telephony import (
    CARRIERS,
    DEFAULT_CPS,
    DEFAULT_WEBHOOK_LISTEN,
    MEDIA_ENGINES,
    TelephonySettings,
    read_telephony,
)
from lexdial.errors import ConfigError
from lexdial.rules.context import Policy

__all__ = [
    "CARRIERS",
    "DEFAULT_CPS",
    "DEFAULT_FIRM",
    "DEFAULT_WEBHOOK_LISTEN",
    "MEDIA_ENGINES",
    "NUMBER_FORMATS",
    "RETENTION_CATEGORIES",
    "SIP_KEYS",
    "TABLES",
    "TRANSPORTS",
    "Settings",
    "SipSettings",
    "TelephonySettings",
    "load_settings",
]

DEFAULT_FIRM = "Example Law Firm LLP"


@dataclass(frozen=True, slots=True)
class Settings:
    policy: Policy
    pack_dir: Path | None = None
    source: Path | None = None
    firm_name: str = DEFAULT_FIRM
    #: which firm of a store holding several (None: the store's only firm)
    firm_id: int | None = None
    data_dir: Path | None = None
    retention: dict[str, int] | None = None
    telephony: TelephonySettings = TelephonySettings()  # noqa: RUF009 (frozen: one shared default)
    key_file: Path | None = None
    #: the agent desk's softphone gateway ([desk]) (for webrtc)
    desk: DeskSettings = DeskSettings()  # noqa: RUF009 (frozen: one shared default)
    # (for celery) [distributed]: Celery dial workers over one PostgreSQL
    distributed: DistributedSettings = DistributedSettings()  # noqa: RUF009 (frozen, shared)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read settings from ``path``, ``$LEXDIAL_SETTINGS`` or ./lexdial.toml (if present)."""
    env = os.environ if environ is None else environ
    if path is None:
        named = env.get("LEXDIAL_SETTINGS")
        if named:
            path = Path(named)
            if not path.is_file():
                raise ConfigError(f"LEXDIAL_SETTINGS names {path}, which is not a file")
        elif Path("lexdial.toml").is_file():
            path = Path("lexdial.toml")
    if path is None:  # (for celery) $LEXDIAL_BROKER_URL alone turns the distributed mode on
        return Settings(policy=Policy(), distributed=read_distributed({}, None, env))
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings ({exc})") from None
    _refuse_unknown_tables(data, path)
    firm = _table(data, "firm", path)
    refuse_unknown(firm, ("name", "id"), "firm", path)
    name = firm.get("name", DEFAULT_FIRM)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{path}: firm.name must be the firm's name")
    firm_id = firm.get("id")
    if firm_id is not None and (type(firm_id) is not int or firm_id < 1):
        raise ConfigError(f"{path}: firm.id must be a firm's number (a whole number from 1)")
    store = _table(data, "store", path)
    refuse_unknown(store, ("data_dir", "key_file"), "store", path)
    data_dir = _path_text(store, "store", "data_dir", path)
    key_file = _path_text(store, "store", "key_file", path)
    rules = _table(data, "rules", path)
    refuse_unknown(rules, ("pack_dir",), "rules", path)
    pack_dir = _pack_dir(rules, path)
    retention = _retention(_table(data, "retention", path), path, pack_dir)
    return Settings(
        policy=read_policy(_table(data, "policy", path), path),
        pack_dir=pack_dir,
        source=path,
        firm_name=name.strip(),
        firm_id=firm_id,
        data_dir=(path.parent / str(data_dir)).resolve() if data_dir else None,
        retention=dict(retention) or None,
        telephony=read_telephony(_table(data, "telephony", path), path, env),
        key_file=_key_file(path, key_file),
        desk=read_desk(_table(data, "desk", path), path),  # (for webrtc)
        distributed=read_distributed(_table(data, "distributed", path), path, env),  # (for celery)
    )


#: every table a settings file may have (each read by its own ``read_*``)
TABLES = ("firm", "store", "rules", "policy", "retention", "telephony", "desk", "distributed")


def _refuse_unknown_tables(data: dict[str, Any], path: Path) -> None:
    """``[polcy]`` or a key above every table is refused: read as "not set" it would run
    the firm on the defaults it meant to change."""
    for name, value in data.items():
        if name in TABLES:
            continue
        if isinstance(value, dict):
            raise ConfigError(
                f"{path}: [{name}] is not a settings table{did_you_mean(name, TABLES)}; "
                f"the tables: {', '.join(f'[{t}]' for t in TABLES)}"
            )
        raise ConfigError(
            f"{path}: {name} = ... stands outside any table; put it under the table it "
            f"belongs to (e.g. [firm] name = ...); the tables: "
            + ", ".join(f"[{t}]" for t in TABLES)
        )


def _path_text(raw: dict[str, Any], table: str, key: str, path: Path) -> str | None:
    """A path setting: a non-empty string, relative to the settings file's folder."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'{path}: {table}.{key} must be a path in quotes, e.g. {key} = "data"')
    return value


def _key_file(path: Path, value: str | None) -> Path | None:
    """``store.key_file``: a file (it may not exist yet: ``lexdial init`` makes it)."""
    if value is None:
        return None
    key_file = (path.parent / value).resolve()
    if key_file.is_dir():
        raise ConfigError(
            f"{path}: store.key_file {key_file} is a folder; name the key file in it, "
            f'e.g. key_file = "{Path(value) / "keys.json"}"'
        )
    return key_file


def _table(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    """Section ``[name]`` (empty when absent); ``name = 5`` is refused, naming it."""
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {name} must be a [{name}] table")
    return value


#: the data categories of ``[retention]`` (``service.privacy.RETENTION_DAYS`` has defaults)
RETENTION_CATEGORIES = ("call_records", "dnc_entries", "revoked_consents")


def _retention(raw: dict[str, Any], path: Path, pack_dir: Path | None) -> dict[str, int]:
    """Days per category; below the legal minimum of the rule pack is refused, naming it."""
    # a reviewed pack without the table still gets the bundled floors
    minimums = load_retention_minimums()
    if pack_dir is not None:
        minimums.update(load_retention_minimums(pack_dir))
    for key, value in raw.items():
        if key not in RETENTION_CATEGORIES:
            raise ConfigError(
                f"{path}: retention.{key} is not a data category: "
                + ", ".join(RETENTION_CATEGORIES)
            )
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{path}: retention.{key} must be a whole number of days")
        floor = minimums.get(key)
        if floor is not None and value < floor.days:
            raise ConfigError(
                f"{path}: retention.{key} = {value} days is below the legal minimum of "
                f"{floor.days} days ({floor.citation})"
            )
    return dict(raw)


def _pack_dir(raw: dict[str, Any], path: Path) -> Path | None:
    value = _path_text(raw, "rules", "pack_dir", path)
    if value is None:
        return None
    pack = (path.parent / str(value)).resolve()
    if not (pack / "pack.yaml").is_file():
        raise ConfigError(f"{path}: rules.pack_dir {pack} has no pack.yaml")
    return pack
