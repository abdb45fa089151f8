"""The SIP keys of ``[telephony]``: how the SIP carrier reaches a trunk, each key checked,
and the trunk's password read from the variable or file the settings name."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lexdial.errors import ConfigError

TRANSPORTS = ("udp", "tcp", "tls")
NUMBER_FORMATS = ("e164", "e164_no_plus", "national")
SRTP_MODES = ("off", "offer", "require")  # (for srtp)


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
    #: (for srtp) SRTP on the media plane: off | offer | require (``srtp`` rule 1);
    #: absent, "offer" over TLS (the keys travel in SDP: only TLS keeps them secret,
    #: and a firm chooses TLS for confidentiality) and "off" otherwise (today's RTP)
    srtp: str = "off"
    #: (for agent-srtp) SRTP on agents' nailed-up legs to their SIP phones and on
    #: transfers to ``sip:`` URIs (dialled straight, not through the trunk): off | offer |
    #: require; "off" by default (desk phones on an office LAN often have no SRTP)
    agent_srtp: str = "off"
    # (for sip-transport) the media plane sends P-Asserted-Identity and verifies TLS
    p_asserted_identity: bool = False
    tls_ca_file: str | None = None
    tls_verify: bool = True


#: the ``[telephony]`` keys of the SIP carrier (``SipSettings``) and the password sources
SIP_KEYS = frozenset(SipSettings.__dataclass_fields__) - {"auth_password"} | {
    "auth_password_env",
    "auth_password_file",
    "p_asserted_identity",
}
HOST = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$")


def read_sip(raw: dict[str, Any], path: Path, env: Any, dialling: bool = True) -> SipSettings:
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
    # (for sip-transport) the media plane sends it; bootstrap refuses it with baresip
    pai = raw.get("p_asserted_identity", False)
    if not isinstance(pai, bool):
        raise bad("p_asserted_identity", "true or false")
    verify = raw.get("tls_verify", True)
    if not isinstance(verify, bool):
        raise bad("tls_verify", "true or false")
    ca = text("tls_ca_file", "a file path")
    if ca is not None:
        ca = str(path.parent / ca)
        if not Path(ca).is_file():
            raise ConfigError(f"{path}: telephony.tls_ca_file {ca}: no such file")
    proxy, domain = text("outbound_proxy"), text("domain")
    for key, value in (("outbound_proxy", proxy), ("domain", domain)):
        if value is not None and not HOST.match(value):
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
    srtp = raw.get("srtp", "offer" if transport == "tls" else "off")  # (for srtp)
    if srtp not in SRTP_MODES:
        raise bad("srtp", "one of " + ", ".join(SRTP_MODES))
    agent_srtp = raw.get("agent_srtp", "off")  # (for agent-srtp)
    if agent_srtp not in SRTP_MODES:
        raise bad("agent_srtp", "one of " + ", ".join(SRTP_MODES))
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
        srtp=srtp,  # (for srtp)
        agent_srtp=agent_srtp,  # (for agent-srtp)
        p_asserted_identity=pai,
        tls_ca_file=ca,
        tls_verify=verify,
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
