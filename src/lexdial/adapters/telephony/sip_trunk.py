"""A SIP trunk as baresip 1.0.0 reaches it: addresses, transport, credentials, numbers.

Pure: this module only builds text (config lines, account lines, URIs); ``baresip_ctrl``
writes it and ``sip`` dials with it.

Rule 1: ``bind_address`` is where SIP listens (``sip_listen``) and the address put in
Contact and Via; ``public_address`` (behind NAT) is the address put in SDP (``c=``/``o=``,
baresip's ``net_interface``) so the far end sends RTP there. baresip 1.0.0 binds RTP to
every interface and cannot put an address it is not bound to in Contact: trunks behind
NAT answer to the packets' source (``rport``), and REGISTER refreshes keep the mapping.
Rule 2: ``sip_port`` is the first of ``channels`` consecutive ports (one per baresip
line, ``line n`` on ``sip_port + n - 1``); 0 lets the kernel pick each.
Rule 3: the request URI is ``sip:<prefix><number>@<trunk>`` with the number as
``number_format`` says (E.164 with '+' by default) and ``;transport=`` for TCP/TLS; a
trunk named without a port is found by DNS (NAPTR/SRV, then A) through the system's
resolver (``/etc/resolv.conf``) unless ``dns_server`` is given.
Rule 4: digest credentials go on every account (a 401/407 to INVITE is answered); only
the account ``auth_username@domain`` REGISTERs, and only with ``register``.
The password is written to the line's private config directory (mode 0600) and into
no log or message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lexdial.errors import TelephonyError

#: the account parameters every UA gets: PCMU only, no auto-answer
_MEDIA = "audio_codecs=PCMU;answermode=manual"


@dataclass(frozen=True, slots=True)
class Trunk:
    """Where and how to reach the trunk (see the module rules)."""

    address: str  # host or host:port
    transport: str = "udp"
    bind_address: str = "127.0.0.1"
    sip_port: int = 0
    public_address: str | None = None
    outbound_proxy: str | None = None
    auth_username: str | None = None
    auth_password: str | None = field(default=None, repr=False)
    register: bool = False
    register_interval: int = 600
    domain: str | None = None
    number_format: str = "e164"
    dial_prefix: str = ""
    caller_name: str | None = None
    dns_server: str | None = None
    srtp: str = "off"  # (for srtp) off | offer | require: ``srtp`` rule 1 (media plane)
    # (for agent-srtp) the same for agents' legs and ``sip:`` transfer targets, which the
    # media plane reaches straight, not through the trunk (``agent_legs`` rule 1b)
    agent_srtp: str = "off"
    # (for sip-transport) TLS: the CA file that signs the trunk's certificate (None: the
    # system's store) and the escape hatch that checks nothing (the plane warns)
    tls_ca_file: str | None = None
    tls_verify: bool = True

    def __post_init__(self) -> None:
        if self.transport not in ("udp", "tcp", "tls"):
            raise ValueError(f"transport {self.transport!r}: udp, tcp or tls")
        if self.number_format not in ("e164", "e164_no_plus", "national"):
            raise ValueError(f"number_format {self.number_format!r}")
        if self.register and not self.auth_username:
            raise ValueError("register needs auth_username")
        if self.srtp not in ("off", "offer", "require"):  # (for srtp)
            raise ValueError(f"srtp {self.srtp!r}: off, offer or require")
        if self.agent_srtp not in ("off", "offer", "require"):  # (for agent-srtp)
            raise ValueError(f"agent_srtp {self.agent_srtp!r}: off, offer or require")

    # --- addresses -------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The trunk's host (no port)."""
        return split_address(self.address)[0]

    @property
    def from_domain(self) -> str:
        """The host in From and in the accounts' AOR: ``domain``, else the trunk's address
        (its port included: baresip sends REGISTER to the AOR's host and port)."""
        return self.domain or self.address

    @property
    def route(self) -> str | None:
        """Where requests go first: the outbound proxy, else the trunk when the AOR names
        another domain (the registrar/trunk is then not found from the AOR)."""
        if self.outbound_proxy:
            return self.outbound_proxy
        return self.address if self.domain and self.domain != self.address else None

    def listen(self, line: int) -> str:
        """``sip_listen`` of baresip line ``line`` (1-based)."""
        port = self.sip_port + line - 1 if self.sip_port else 0
        return f"{_bracket(self.bind_address)}:{port}"

    def _tp(self) -> str:
        return "" if self.transport == "udp" else f";transport={self.transport}"

    def uri(self, user: str) -> str:
        """A request URI for ``user`` at the trunk, over the trunk's transport."""
        return f"sip:{user}@{self.address}{self._tp()}"

    def server_uri(self) -> str:
        """The trunk itself as a URI (an OPTIONS ping's target)."""
        return f"sip:{self.address}{self._tp()}"

    def request_uri(self, number: str) -> str:
        """The request URI that dials ``number`` (E.164, '+' optional) at the trunk."""
        return self.uri(self.dial_prefix + format_number(number, self.number_format))

    # --- baresip text ------------------------------------------------------------------

    def config_lines(self, line: int) -> list[str]:
        """The ``config`` lines that depend on the trunk (listen, transport, DNS, NAT)."""
        lines = [
            f"sip_listen {self.listen(line)}",
            f"sip_trans_def {self.transport}",
            # SDP's address: the public one behind NAT; else where we are bound
            f"net_interface {self.public_address or self.bind_address}",
        ]
        if self.dns_server:  # else baresip reads /etc/resolv.conf (and SRV works)
            lines.append(f"dns_server {self.dns_server}")
        return lines

    def account(self, user: str, *, register: bool = False) -> str:
        """A baresip account line for caller ID ``user`` (``register``: the one that
        REGISTERs, every ``register_interval`` seconds)."""
        name = f'"{self.caller_name}" ' if self.caller_name and not register else ""
        params = [_MEDIA]
        regint = self.register_interval if register and self.register else 0
        params.append(f"regint={regint}")
        if self.auth_username and self.auth_password:
            params.append(f"auth_user={self.auth_username};auth_pass={self.auth_password}")
        if self.route:
            params.append(f'outbound="sip:{self.route}{self._tp()};lr"')
        if self.srtp != "off":  # (for srtp) baresip's srtp module: the same two SDP forms
            params.append("mediaenc=" + ("srtp-mand" if self.srtp == "require" else "srtp"))
        return f"{name}<sip:{user}@{self.from_domain}{self._tp()}>;" + ";".join(params)

    @property
    def registrant(self) -> str:
        """The user part of the registering account (the digest username)."""
        return self.auth_username or "lexdial"

    def aor(self, user: str) -> str:
        """The address of record baresip knows the UA for ``user`` by (for ``uafind``)."""
        return f"sip:{user}@{self.from_domain}"

    def caller(self, caller_id: str) -> str:
        """The From user for a call's caller ID, in the trunk's number format."""
        digits = re.sub(r"[^0-9]", "", caller_id)
        if not digits:
            return "lexdial"
        try:
            return format_number("+" + digits, self.number_format)
        except TelephonyError:
            return digits


def format_number(number: str, fmt: str = "e164") -> str:
    """``number`` (E.164, with or without '+', spaces ignored) as the trunk wants it.

    ``national`` is for North American trunks: +1 and ten digits give the ten digits;
    other countries are refused (a trunk abroad wants e164 or e164_no_plus).
    """
    digits = re.sub(r"[^0-9]", "", number)
    if not 7 <= len(digits) <= 15:
        raise TelephonyError("the number is not an E.164 number (7 to 15 digits)")
    if fmt == "e164":
        return "+" + digits
    if fmt == "e164_no_plus":
        return digits
    if fmt == "national":
        if len(digits) == 11 and digits.startswith("1"):
            return digits[1:]
        raise TelephonyError("number_format national dials North American (+1) numbers only")
    raise ValueError(f"number_format {fmt!r}")


def split_address(address: str) -> tuple[str, int | None]:
    """``host[:port]`` as (host, port or None); an IPv6 host keeps its brackets."""
    m = re.fullmatch(r"(\[[^\]]+\]|[^:]+)(?::(\d+))?", address)
    if m is None:
        raise ValueError(f"not host[:port]: {address!r}")
    return m.group(1), int(m.group(2)) if m.group(2) else None


def _bracket(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip
