"""The ``[desk]`` table: where the agent desk's browser softphone gateway listens, and the
numbers an agent may transfer a call to.

Rule 1: ``webrtc_sip = "address:port"`` is the UDP address of the gateway's tiny SIP UAS
(default ``127.0.0.1:5099``): the media plane opens an agent's nailed-up leg by an INVITE
to ``sip:agent-<user id>@address:port``. The address is also the only one the gateway
offers the browsers as an ICE host candidate (an unspecified address, 0.0.0.0, offers
every interface's).
Rule 2: ``webrtc_peers`` lists the addresses or networks (CIDR) allowed to open agents'
legs (default: loopback only, where the embedded media plane runs): anyone else who can
reach the SIP port would otherwise be put through to an agent's ear.
Rule 3: ``webrtc = false`` keeps the gateway off (the web app then refuses softphone
offers, naming the setting). A bad value is refused naming ``desk.<key>``.
Rule 4: ``transfer_numbers`` lists the only numbers an agent may transfer a call to (the
firm's own lines: reception, a partner's desk), written with their country code ("+1 614
555 0100") and kept as E.164. Default: none, so a transfer goes only to another agent: a
transfer makes the firm's trunk ring a number with no gate decision, so which numbers is
the firm's choice, made here, not an agent's (``service.desk_line_requests``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lexdial.config.names import refuse_unknown
from lexdial.config.telephony import ip_port
from lexdial.domain.numbers import parse_number
from lexdial.errors import ConfigError

DEFAULT_WEBRTC_SIP = ("127.0.0.1", 5099)
DEFAULT_PEERS = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True, slots=True)
class DeskSettings:
    """The agent desk's softphone gateway (see the module rules)."""

    webrtc: bool = True
    webrtc_sip: tuple[str, int] = DEFAULT_WEBRTC_SIP
    #: who may open an agent's leg (rule 2): networks, as ``ipaddress`` reads them
    webrtc_peers: tuple[str, ...] = DEFAULT_PEERS
    #: the E.164 numbers an agent may transfer a call to (rule 4); empty: none
    transfer_numbers: tuple[str, ...] = ()


def read_desk(raw: dict[str, Any], path: Path) -> DeskSettings:
    """``[desk]`` of the settings file at ``path`` (rule 3: errors name the key)."""
    refuse_unknown(raw, ("webrtc", "webrtc_sip", "webrtc_peers", "transfer_numbers"), "desk", path)
    enabled = raw.get("webrtc", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{path}: desk.webrtc must be true or false")
    return DeskSettings(
        enabled,
        parse_address(raw.get("webrtc_sip"), path),
        _peers(raw.get("webrtc_peers"), path),
        _transfer_numbers(raw.get("transfer_numbers"), path),
    )


def _transfer_numbers(value: object, path: Path) -> tuple[str, ...]:
    """Rule 4: E.164, each once. The country code is required (as for a transfer's target):
    a firm line read in the wrong region would ring someone else's number."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(
            f'{path}: desk.transfer_numbers must be a list of numbers, e.g. ["+1 614 555 0100"]'
        )
    found: list[str] = []
    for item in value:
        written = item.strip() if isinstance(item, str) else ""
        parsed = parse_number(written) if written.startswith("+") else None
        if parsed is None or not parsed.valid:
            raise ConfigError(
                f"{path}: desk.transfer_numbers entry {item!r} is not a valid telephone number "
                'with its country code, e.g. "+1 614 555 0100"'
            )
        if parsed.e164 not in found:
            found.append(parsed.e164)
    return tuple(found)


def _peers(value: object, path: Path) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_PEERS
    what = f'{path}: desk.webrtc_peers must be a list of addresses or networks, e.g. ["10.0.0.5"]'
    if not isinstance(value, list) or not value:
        raise ConfigError(what)
    found = []
    for item in value:
        try:
            found.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError:
            raise ConfigError(what) from None
    return tuple(found)


def parse_address(value: object, path: Path | str) -> tuple[str, int]:
    """``"address:port"`` (an IP address; port 1-65535, 0 for any free port)."""
    if value is None:
        return DEFAULT_WEBRTC_SIP
    what = f'{path}: desk.webrtc_sip must be "address:port", e.g. "127.0.0.1:5099"'
    return ip_port(value, what)
