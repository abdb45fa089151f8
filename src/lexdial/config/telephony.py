"""The ``[telephony]`` table: which carrier dials, its limits, Twilio's webhook addresses
(the SIP keys are read by ``config.sip``)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lexdial.config.names import refuse_unknown
from lexdial.config.sip import HOST, SIP_KEYS, SipSettings, read_sip
from lexdial.errors import ConfigError

CARRIERS = ("simulated", "sip", "twilio")
#: auto and plane: the in-process media plane (every transport and REGISTER, for
#: sip-transport); baresip: a process per call
MEDIA_ENGINES = ("auto", "plane", "baresip")
#: calls per second when ``[telephony] cps`` is not set (Twilio's account default is 1)
DEFAULT_CPS = {"simulated": 10.0, "sip": 10.0, "twilio": 1.0}
#: where ``campaign run`` serves Twilio's webhooks when ``webhook_listen`` is not set
DEFAULT_WEBHOOK_LISTEN = ("127.0.0.1", 8088)


@dataclass(frozen=True, slots=True)
class TelephonySettings:
    """Which carrier dials, and its limits (secrets come from the environment only)."""

    carrier: str = "simulated"
    trunk: str | None = None
    channels: int = 100
    cps: float = 10.0
    webhook_base_url: str | None = None
    sip: SipSettings = SipSettings()  # noqa: RUF009 (frozen: one shared default)
    #: whether ``cps`` was set; if not, each carrier has its own default (``cps_for``)
    cps_set: bool = False
    #: host and port where ``campaign run`` serves Twilio's webhooks (``webhook_listen``)
    webhook_listen: tuple[str, int] = DEFAULT_WEBHOOK_LISTEN
    #: sip: which engine carries the calls (``MEDIA_ENGINES``)
    media: str = "auto"
    # (for twilio) agents as Twilio Client identities: the API key that signs the desk's
    # Access Tokens (its secret from $LEXDIAL_TWILIO_API_KEY_SECRET or a file, never the
    # toml, like the auth token) and the TwiML app their Voice grant names
    twilio_api_key_sid: str | None = None
    twilio_api_key_secret: str | None = field(default=None, repr=False)
    twilio_twiml_app_sid: str | None = None

    def cps_for(self, carrier: str) -> float:
        """The CPS for ``carrier``: the ``cps`` setting, else the carrier's default."""
        return self.cps if self.cps_set else DEFAULT_CPS.get(carrier, self.cps)


def read_telephony(raw: dict[str, Any], path: Path, env: Any = None) -> TelephonySettings:
    known = {"carrier", "trunk", "channels", "cps", "webhook_base_url", "webhook_listen"}
    known |= SIP_KEYS | {"media"}
    known |= TWILIO_CLIENT_KEYS  # (for twilio)
    unknown = set(raw) - known
    if unknown:
        hint = ""
        if "twilio_api_key_secret" in unknown:  # (for twilio)
            hint = f" (the API key secret goes in ${API_KEY_SECRET_ENV} or a file: "
            hint += "twilio_api_key_secret_file)"
        if unknown & {"password", "auth_password", "secret"}:
            hint = " (a password goes in an environment variable or a file: auth_password_env"
            hint += " or auth_password_file)"
        refuse_unknown(raw, known, "telephony", path, hint)
    carrier = raw.get("carrier", "simulated")
    if carrier not in CARRIERS:
        raise ConfigError(f"{path}: telephony.carrier must be one of {', '.join(CARRIERS)}")
    channels, cps = raw.get("channels", 100), raw.get("cps", 10)
    if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
        raise ConfigError(f"{path}: telephony.channels must be a whole number >= 1")
    if not isinstance(cps, int | float) or isinstance(cps, bool) or cps < 1:
        raise ConfigError(f"{path}: telephony.cps must be a number >= 1")
    trunk, base = raw.get("trunk"), raw.get("webhook_base_url")
    if carrier == "sip" and not (isinstance(trunk, str) and HOST.match(trunk)):
        raise ConfigError(
            f"{path}: telephony.trunk must be host or host:port for the sip carrier "
            '(e.g. "sip.carrier.example" or "203.0.113.9:5060")'
        )
    if base is not None or carrier == "twilio":
        _webhook_base(base, path)
    listen = _listen(raw.get("webhook_listen"), path)
    sip = read_sip(raw, path, os.environ if env is None else env, carrier == "sip")
    cps_set = "cps" in raw
    if not cps_set:
        cps = DEFAULT_CPS[carrier]
    media = raw.get("media", "auto")
    if media not in MEDIA_ENGINES:
        raise ConfigError(f"{path}: telephony.media must be one of {', '.join(MEDIA_ENGINES)}")
    key_sid, key_secret, app_sid = read_twilio_client(raw, path, os.environ if env is None else env)
    return TelephonySettings(
        carrier, trunk, channels, float(cps), base, sip, cps_set, listen, media=media,
        twilio_api_key_sid=key_sid, twilio_api_key_secret=key_secret,
        twilio_twiml_app_sid=app_sid,
    )  # fmt: skip


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
    return ip_port(value, what)


def ip_port(value: object, what: str) -> tuple[str, int]:
    """``"address:port"`` as (IP address, port 0-65535; 0: any free port); a ConfigError
    saying ``what`` when it is not one (``[desk] webrtc_sip`` reads the same way)."""
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


# (for twilio) agents as Twilio Client identities ------------------------------------------

#: the environment variable holding the API key secret
API_KEY_SECRET_ENV = "LEXDIAL_TWILIO_API_KEY_SECRET"
TWILIO_CLIENT_KEYS = frozenset(
    {"twilio_api_key_sid", "twilio_api_key_secret_file", "twilio_twiml_app_sid"}
)
_TWILIO_SID = {"twilio_api_key_sid": ("SK", "an API key SID"),
               "twilio_twiml_app_sid": ("AP", "a TwiML app SID")}  # fmt: skip


def read_twilio_client(
    raw: dict[str, Any], path: Path, env: Any
) -> tuple[str | None, str | None, str | None]:
    """The API key SID, its secret and the TwiML app SID (all or none); the secret from
    ``$LEXDIAL_TWILIO_API_KEY_SECRET`` or ``twilio_api_key_secret_file``."""
    found: dict[str, str | None] = {}
    for key, (prefix, what) in _TWILIO_SID.items():
        value = raw.get(key)
        if value is not None and not (
            isinstance(value, str)
            and len(value) == 34
            and value.startswith(prefix)
            and all(c in "0123456789abcdefABCDEF" for c in value[2:])
        ):
            raise ConfigError(f"{path}: telephony.{key} must be {what} ({prefix} + 32 hex digits)")
        found[key] = value
    secret = env.get(API_KEY_SECRET_ENV) or None
    secret_file = raw.get("twilio_api_key_secret_file")
    if secret_file is not None:
        if not isinstance(secret_file, str) or not secret_file:
            raise ConfigError(f"{path}: telephony.twilio_api_key_secret_file must be a path")
        try:
            secret = Path(secret_file).expanduser().read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigError(
                f"{path}: telephony.twilio_api_key_secret_file cannot be read: "
                f"{exc.strerror or type(exc).__name__}"
            ) from None
    key_sid, app_sid = found["twilio_api_key_sid"], found["twilio_twiml_app_sid"]
    if key_sid and not secret:
        raise ConfigError(
            f"{path}: telephony.twilio_api_key_sid needs its secret in ${API_KEY_SECRET_ENV} "
            "or twilio_api_key_secret_file"
        )
    return key_sid, secret, app_sid
