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
    trunk = "127.0.0.1:5070"              # sip: the trunk's host:port
    channels = 100                        # simultaneous calls the trunk/account allows
    cps = 10                              # calls per second the carrier accepts
    webhook_base_url = "https://..."      # twilio: where Twilio reaches lexdial's webhooks
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
from lexdial.domain.decision import PURPOSES, RELATIONSHIPS, TECHNOLOGIES
from lexdial.errors import ConfigError
from lexdial.rules.context import Policy

_POLICY_KEYS = {
    "default_region",
    "all_calls_window",
    "dialer_rules_all_purposes",
    "require_reassigned_check",
    "require_ai_disclosure",
    "scope_technologies",
    "scope_purposes",
    "spare_manual_calls_to",
}


DEFAULT_FIRM = "Example Law Firm LLP"
CARRIERS = ("simulated", "sip", "twilio")


@dataclass(frozen=True, slots=True)
class TelephonySettings:
    """Which carrier dials, and its limits (secrets come from the environment only)."""

    carrier: str = "simulated"
    trunk: str | None = None
    channels: int = 100
    cps: float = 10.0
    webhook_base_url: str | None = None


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
    telephony: TelephonySettings = TelephonySettings()
    key_file: Path | None = None


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
    if path is None:
        return Settings(policy=Policy())
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings ({exc})") from None
    firm = _table(data, "firm", path)
    name = firm.get("name", DEFAULT_FIRM)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{path}: firm.name must be the firm's name")
    firm_id = firm.get("id")
    if firm_id is not None and (type(firm_id) is not int or firm_id < 1):
        raise ConfigError(f"{path}: firm.id must be a firm's number (a whole number from 1)")
    store = _table(data, "store", path)
    data_dir = store.get("data_dir")
    key_file = store.get("key_file")
    pack_dir = _pack_dir(_table(data, "rules", path), path)
    retention = _retention(_table(data, "retention", path), path, pack_dir)
    return Settings(
        policy=_policy(_table(data, "policy", path), path),
        pack_dir=pack_dir,
        source=path,
        firm_name=name.strip(),
        firm_id=firm_id,
        data_dir=(path.parent / str(data_dir)).resolve() if data_dir else None,
        retention=dict(retention) or None,
        telephony=_telephony(_table(data, "telephony", path), path),
        key_file=(path.parent / str(key_file)).resolve() if key_file else None,
    )


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


def _telephony(raw: dict[str, Any], path: Path) -> TelephonySettings:
    known = {"carrier", "trunk", "channels", "cps", "webhook_base_url"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{path}: [telephony] has unknown keys {sorted(unknown)}")
    carrier = raw.get("carrier", "simulated")
    if carrier not in CARRIERS:
        raise ConfigError(f"{path}: telephony.carrier must be one of {', '.join(CARRIERS)}")
    channels, cps = raw.get("channels", 100), raw.get("cps", 10)
    if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
        raise ConfigError(f"{path}: telephony.channels must be a whole number >= 1")
    if not isinstance(cps, int | float) or isinstance(cps, bool) or cps < 1:
        raise ConfigError(f"{path}: telephony.cps must be a number >= 1")
    trunk, base = raw.get("trunk"), raw.get("webhook_base_url")
    if carrier == "sip" and not (isinstance(trunk, str) and ":" in trunk):
        raise ConfigError(f"{path}: telephony.trunk must be host:port for the sip carrier")
    if carrier == "twilio" and not (isinstance(base, str) and base.startswith("https://")):
        raise ConfigError(f"{path}: telephony.webhook_base_url must be an https:// URL")
    return TelephonySettings(carrier, trunk, channels, float(cps), base)


def _policy(raw: dict[str, Any], path: Path) -> Policy:
    unknown = set(raw) - _POLICY_KEYS
    if unknown:
        raise ConfigError(f"{path}: [policy] has unknown keys {sorted(unknown)}")
    base = Policy()
    window = raw.get("all_calls_window", base.all_calls_window)
    if window in (False, [], None):
        window = None
    elif not (
        isinstance(window, list | tuple)
        and len(window) == 2
        and all(isinstance(x, str) and len(x) == 5 and x[2] == ":" for x in window)
    ):
        raise ConfigError(f'{path}: policy.all_calls_window must be ["HH:MM", "HH:MM"]')
    else:
        window = (window[0], window[1])
    scope = _policy_scope(raw, path, base)
    flags = {}
    for key in ("dialer_rules_all_purposes", "require_reassigned_check", "require_ai_disclosure"):
        value = raw.get(key, getattr(base, key))
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: policy.{key} must be true or false")
        flags[key] = value
    region = raw.get("default_region", base.default_region)
    if not (isinstance(region, str) and len(region) == 2 and region.isalpha()):
        raise ConfigError(f"{path}: policy.default_region must be a two-letter country code")
    return Policy(
        default_region=region.upper(),
        all_calls_window=window,
        dialer_rules_all_purposes=flags["dialer_rules_all_purposes"],
        require_reassigned_check=flags["require_reassigned_check"],
        require_ai_disclosure=flags["require_ai_disclosure"],
        **scope,
    )


#: settings-file key -> (Policy field, allowed values)
_SCOPE_KEYS = {
    "scope_technologies": ("policy_technologies", TECHNOLOGIES),
    "scope_purposes": ("policy_purposes", PURPOSES),
    "spare_manual_calls_to": ("policy_spares_manual_to", RELATIONSHIPS),
}


def _policy_scope(raw: dict[str, Any], path: Path, base: Policy) -> dict[str, frozenset[str]]:
    """The scope of the firm's settings (contract v1.1), each a list of vocabulary words."""
    out: dict[str, frozenset[str]] = {}
    for key, (field, allowed) in _SCOPE_KEYS.items():
        value = raw.get(key)
        if value is None:
            out[field] = getattr(base, field)
            continue
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ConfigError(f"{path}: policy.{key} must be a list such as {sorted(allowed)}")
        bad = sorted(set(value) - allowed)
        if bad:
            raise ConfigError(
                f"{path}: policy.{key} has unknown values {bad} (allowed: {sorted(allowed)})"
            )
        out[field] = frozenset(value)
    return out


def _pack_dir(raw: dict[str, Any], path: Path) -> Path | None:
    value = raw.get("pack_dir")
    if value is None:
        return None
    pack = (path.parent / str(value)).resolve()
    if not (pack / "pack.yaml").is_file():
        raise ConfigError(f"{path}: rules.pack_dir {pack} has no pack.yaml")
    return pack
