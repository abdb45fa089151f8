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
                                          # baresip (a process per call: TCP/TLS/REGISTER)
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

import dataclasses
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


TRANSPORTS = ("udp", "tcp", "tls")
#: auto: the in-process media plane when the trunk is UDP without REGISTER, else baresip;
#: plane: the media plane (refused for trunks it cannot reach); baresip: a process per call
MEDIA_ENGINES = ("auto", "plane", "baresip")
NUMBER_FORMATS = ("e164", "e164_no_plus", "national")
#: calls per second when ``[telephony] cps`` is not set (Twilio's account default is 1)
DEFAULT_CPS = {"simulated": 10.0, "sip": 10.0, "twilio": 1.0}
#: where ``campaign run`` serves Twilio's webhooks when ``webhook_listen`` is not set
DEFAULT_WEBHOOK_LISTEN = ("127.0.0.1", 8088)


@dataclass(frozen=True, slots=True)
class SipSettings:
    """How the SIP carrier reaches a trunk (``[telephony]`` keys of the same names).

    The password is read from ``auth_password_env`` or ``auth_password_file`` when the
    settings are loaded; it is left out of ``repr`` and no message quotes it.
    """

    transport: str = "udp"
    bind_address: str = "127.0.0.1"
    sip_port: int = 0
    public_address: str | None = None
    outbound_proxy: str | None = None
    auth_username: str | None = None
    auth_password: str | None = dataclasses.field(default=None, repr=False)
    register: bool = False
    register_interval: int = 600
    domain: str | None = None
    number_format: str = "e164"
    dial_prefix: str = ""
    caller_name: str | None = None
    dns_server: str | None = None
    #: why the password could not be read (only kept when another carrier is chosen)
    password_problem: str | None = None


@dataclass(frozen=True, slots=True)
class TelephonySettings:
    """Which carrier dials, and its limits (secrets come from the environment only)."""

    carrier: str = "simulated"
    trunk: str | None = None
    channels: int = 100
    cps: float = 10.0
    webhook_base_url: str | None = None
    sip: SipSettings = SipSettings()
    #: whether ``cps`` was set; if not, each carrier has its own default (``cps_for``)
    cps_set: bool = False
    #: host and port where ``campaign run`` serves Twilio's webhooks (``webhook_listen``)
    webhook_listen: tuple[str, int] = DEFAULT_WEBHOOK_LISTEN
    #: sip: which engine carries the calls (``MEDIA_ENGINES``)
    media: str = "auto"

    def cps_for(self, carrier: str) -> float:
        """The CPS for ``carrier``: the ``cps`` setting, else the carrier's default."""
        return self.cps if self.cps_set else DEFAULT_CPS.get(carrier, self.cps)


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
        telephony=_telephony(_table(data, "telephony", path), path, env),
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


#: the ``[telephony]`` keys of the SIP carrier (``SipSettings``) and the password sources
SIP_KEYS = frozenset(SipSettings.__dataclass_fields__) - {"auth_password"} | {
    "auth_password_env",
    "auth_password_file",
    "p_asserted_identity",
}
_HOST = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$")


def _telephony(raw: dict[str, Any], path: Path, env: Any = None) -> TelephonySettings:
    known = {"carrier", "trunk", "channels", "cps", "webhook_base_url", "webhook_listen"}
    known |= SIP_KEYS | {"media"}
    unknown = set(raw) - known
    if unknown:
        hint = ""
        if unknown & {"password", "auth_password", "secret"}:
            hint = " (a password goes in an environment variable or a file: auth_password_env"
            hint += " or auth_password_file)"
        raise ConfigError(f"{path}: [telephony] has unknown keys {sorted(unknown)}{hint}")
    carrier = raw.get("carrier", "simulated")
    if carrier not in CARRIERS:
        raise ConfigError(f"{path}: telephony.carrier must be one of {', '.join(CARRIERS)}")
    channels, cps = raw.get("channels", 100), raw.get("cps", 10)
    if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
        raise ConfigError(f"{path}: telephony.channels must be a whole number >= 1")
    if not isinstance(cps, int | float) or isinstance(cps, bool) or cps < 1:
        raise ConfigError(f"{path}: telephony.cps must be a number >= 1")
    trunk, base = raw.get("trunk"), raw.get("webhook_base_url")
    if carrier == "sip" and not (isinstance(trunk, str) and _HOST.match(trunk)):
        raise ConfigError(
            f"{path}: telephony.trunk must be host or host:port for the sip carrier "
            '(e.g. "sip.carrier.example" or "203.0.113.9:5060")'
        )
    if base is not None or carrier == "twilio":
        _webhook_base(base, path)
    listen = _listen(raw.get("webhook_listen"), path)
    sip = _sip(raw, path, os.environ if env is None else env, carrier == "sip")
    cps_set = "cps" in raw
    if not cps_set:
        cps = DEFAULT_CPS[carrier]
    media = raw.get("media", "auto")
    if media not in MEDIA_ENGINES:
        raise ConfigError(f"{path}: telephony.media must be one of {', '.join(MEDIA_ENGINES)}")
    return TelephonySettings(
        carrier, trunk, channels, float(cps), base, sip, cps_set, listen, media=media
    )


def _webhook_base(base: object, path: Path) -> None:
    """Twilio signs the URL it called: a public https URL without query or fragment."""
    bad = f"{path}: telephony.webhook_base_url must be a public https:// URL"
    if not isinstance(base, str) or not base.startswith("https://"):
        raise ConfigError(f"{bad} (Twilio calls it back; e.g. https://dialer.example.com"
                          "/webhooks/twilio)")  # fmt: skip
    parts = urlsplit(base)
    if not parts.hostname or parts.query or parts.fragment or parts.username:
        raise ConfigError(f"{bad}, with a host and without ?query, #fragment or user@")


def _listen(value: object, path: Path) -> tuple[str, int]:
    """``webhook_listen = "host:port"`` (an IP address; port 0: any free port)."""
    if value is None:
        return DEFAULT_WEBHOOK_LISTEN
    what = f'{path}: telephony.webhook_listen must be "address:port", e.g. "127.0.0.1:8088"'
    if not isinstance(value, str):
        raise ConfigError(what)
    host, sep, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise ConfigError(what) from None
    if not sep or not 0 <= number <= 65535:
        raise ConfigError(what)
    return host, number


def _sip(raw: dict[str, Any], path: Path, env: Any, dialling: bool = True) -> SipSettings:
    """The SIP keys of ``[telephony]``, each checked; errors name the key, never a secret.

    When another carrier is chosen (``dialling`` false) a password that cannot be read
    now is no error: ``password_problem`` keeps why, for ``bootstrap.sip_trunk`` to raise
    if SIP is chosen after all (``campaign run --carrier sip``).
    """

    def bad(key: str, what: str) -> ConfigError:
        return ConfigError(f"{path}: telephony.{key} must be {what}")

    def text(key: str, what: str = "a string") -> str | None:
        value = raw.get(key)
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise bad(key, what)
        return value.strip() if isinstance(value, str) else None

    def ip(key: str) -> str | None:
        value = text(key, "an IP address")
        if value is not None:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise bad(key, 'an IP address such as "10.0.0.5"') from None
        return value

    def whole(key: str, default: int, low: int, high: int) -> int:
        value = raw.get(key, default)
        if type(value) is not int or not low <= value <= high:
            raise bad(key, f"a whole number from {low} to {high}")
        return value

    transport = raw.get("transport", "udp")
    if transport not in TRANSPORTS:
        raise bad("transport", "one of " + ", ".join(TRANSPORTS))
    fmt = raw.get("number_format", "e164")
    if fmt not in NUMBER_FORMATS:
        raise bad("number_format", "one of " + ", ".join(NUMBER_FORMATS))
    register = raw.get("register", False)
    if not isinstance(register, bool):
        raise bad("register", "true or false")
    if raw.get("p_asserted_identity", False) is not False:
        raise ConfigError(
            f"{path}: telephony.p_asserted_identity cannot be sent: baresip 1.0.0 (the SIP "
            "engine) has no way to add a header; the caller ID goes in From (with "
            "caller_name as its display name)"
        )
    proxy, domain = text("outbound_proxy"), text("domain")
    for key, value in (("outbound_proxy", proxy), ("domain", domain)):
        if value is not None and not _HOST.match(value):
            raise bad(key, "host or host:port")
    if domain is not None and ":" in domain and not domain.startswith("["):
        raise bad("domain", "a host name without a port")
    dns = text("dns_server")
    if dns is not None:
        host, _, port = dns.rpartition(":")
        try:
            ipaddress.ip_address(host.strip("[]"))
            ok = port.isdigit() and 0 < int(port) < 65536
        except ValueError:
            ok = False
        if not ok:
            raise bad("dns_server", 'an IP address and port such as "10.0.0.2:53"')
    prefix = raw.get("dial_prefix", "")
    if not (isinstance(prefix, str) and re.fullmatch(r"[0-9*#]*", prefix)):
        raise bad("dial_prefix", "digits, * or # (or empty)")
    name = text("caller_name")
    if name is not None and not re.fullmatch(r"[^\"\\<>\x00-\x1f]{1,64}", name):
        raise bad("caller_name", "up to 64 characters without quotes, <, > or backslashes")
    user = text("auth_username")
    if user is not None and not re.fullmatch(r"[A-Za-z0-9._~+\-]+", user):
        raise bad("auth_username", "letters, digits and . _ ~ + -")
    problem = None
    try:
        password = _password(raw, path, env)
    except ConfigError as exc:
        if dialling:
            raise
        password, problem = None, str(exc)
    if password is not None and user is None:
        raise ConfigError(f"{path}: telephony.auth_username is needed with a password")
    if user is not None and password is None and problem is None:
        raise ConfigError(
            f"{path}: telephony.auth_username needs a password: set auth_password_env (the "
            "name of an environment variable) or auth_password_file (a file holding it)"
        )
    if register and user is None:
        raise ConfigError(
            f"{path}: telephony.register = true needs auth_username and a password (an "
            "IP-authenticated trunk needs no registration: register = false)"
        )
    bind = ip("bind_address") or "127.0.0.1"
    if ipaddress.ip_address(bind).is_unspecified or ipaddress.ip_address(bind).is_multicast:
        raise bad(
            "bind_address",
            "one address of this host (not 0.0.0.0 or ::: it goes in Contact and Via)",
        )
    return SipSettings(
        transport=transport,
        bind_address=bind,
        sip_port=whole("sip_port", 0, 0, 65535),
        public_address=ip("public_address"),
        outbound_proxy=proxy,
        auth_username=user,
        auth_password=password,
        register=register,
        register_interval=whole("register_interval", 600, 60, 86400),
        domain=domain,
        number_format=fmt,
        dial_prefix=prefix,
        caller_name=name,
        dns_server=dns,
        password_problem=problem,
    )


def _password(raw: dict[str, Any], path: Path, env: Any) -> str | None:
    """The SIP password from the variable or file the settings name (never from the file
    itself); the messages name the setting, never the value."""
    var, file = raw.get("auth_password_env"), raw.get("auth_password_file")
    if var is not None and file is not None:
        raise ConfigError(
            f"{path}: telephony: set auth_password_env or auth_password_file, not both"
        )
    if var is not None:
        if not (isinstance(var, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var)):
            raise ConfigError(
                f"{path}: telephony.auth_password_env must name an environment variable"
            )
        value = env.get(var)
        if not value:
            raise ConfigError(f"{path}: ${var} (telephony.auth_password_env) is not set")
    elif file is not None:
        if not isinstance(file, str) or not file:
            raise ConfigError(f"{path}: telephony.auth_password_file must be a file path")
        secret = path.parent / file
        try:
            value = secret.read_text("utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"{path}: telephony.auth_password_file {secret}: cannot read it "
                f"({exc.strerror or type(exc).__name__})"
            ) from None
        if not value:
            raise ConfigError(f"{path}: telephony.auth_password_file {secret} is empty")
    else:
        return None
    # baresip reads the account line by ';' parameters: these would cut the password
    if re.search(r'[;\s"<>,]', value) or not value.isprintable():
        where = f"${var}" if var is not None else f"telephony.auth_password_file {file}"
        raise ConfigError(
            f"{path}: the SIP password in {where} holds a character the SIP engine cannot "
            "take (; , quotes, <, >, spaces or control characters)"
        )
    return str(value)


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
