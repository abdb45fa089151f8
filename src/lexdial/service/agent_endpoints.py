"""Agents' endpoints: where a live-agent call reaches the person who takes it.

Rule 1: an endpoint is one of three kinds: ``sip`` (a SIP address, ``sip:user@host[:port]``:
a desk phone or softphone on the firm's PBX), ``browser`` (the agent desk's softphone; one
per user, no address) or ``twilio_client`` (a Twilio Client identity,
``[A-Za-z0-9_.-]{1,121}``). Anything else is refused, naming the field.
Rule 2: only an admin manages endpoints (``users.write``); reading them needs ``users.read``.
A user of another firm is answered as an unknown one (NotFoundError).
Rule 3: adding and removing are audited (``user.endpoint_added`` / ``user.endpoint_removed``)
with ids and the kind only: the address is not written to the trail.
Rule 4: a carrier reaches only some kinds: ``sip`` a SIP address or the desk's browser
softphone (its leg is a SIP INVITE to the WebRTC gateway), ``twilio`` a Twilio Client
identity; the simulated carrier needs none (``missing_endpoints``).
Rule 5: a Twilio Client identity belongs to one user of the whole store (compared without
case): the dialler rings ``client:<identity>`` to open an agent's leg, and every device
holding a token for that identity rings and may answer, so a second user (of this firm or
another) given the same identity would hear the first one's calls.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import TYPE_CHECKING

from lexdial.errors import NotFoundError, RequestError
from lexdial.service.repos.accounts import AgentEndpoint as AgentEndpoint
from lexdial.service.users import Caller, authorize, user_in_firm

if TYPE_CHECKING:
    from lexdial.service.ports import Audit
    from lexdial.service.storage import UnitOfWork

KINDS = ("sip", "browser", "twilio_client")
#: the endpoint kinds each carrier can bridge an agent to (a carrier not listed needs none)
CARRIER_KIND = {"sip": ("sip", "browser"), "twilio": ("twilio_client",)}
_LABEL = {
    "sip": "a SIP address",
    "browser": "a browser softphone",
    "twilio_client": "a Twilio Client identity",
}

_SIP = re.compile(
    r"sip:(?P<user>[^@\s:;?]+)@(?P<host>\[[0-9A-Fa-f:.]+\]|[^@\s:;?\[\]]+)(?::(?P<port>\d{1,5}))?"
)
_HOSTNAME = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+")
_TWILIO = re.compile(r"[A-Za-z0-9_.-]{1,121}")


def valid_address(kind: str, address: str | None) -> str | None:
    """The address to store for an endpoint of ``kind``; a RequestError naming the field
    when the kind or the address is not acceptable."""
    if kind not in KINDS:
        raise RequestError("kind", "must be one of " + ", ".join(KINDS))
    if kind == "browser":
        if address:
            raise RequestError("address", "a browser endpoint has no address")
        return None
    if kind == "twilio_client":
        if address is None or not _TWILIO.fullmatch(address):
            raise RequestError(
                "address", "a Twilio Client identity is 1 to 121 letters, digits, '_', '.' or '-'"
            )
        return address
    if address is None or len(address) > 200 or not _sip_ok(address):
        raise RequestError(
            "address", "a SIP address is sip:user@host[:port] (no spaces, at most 200 characters)"
        )
    return address


def _sip_ok(address: str) -> bool:
    m = _SIP.fullmatch(address)
    if m is None:
        return False
    port = m.group("port")
    if port is not None and not 0 < int(port) < 65536:
        return False
    host = m.group("host")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    if re.fullmatch(r"[\d.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    return _HOSTNAME.fullmatch(host) is not None


def add_endpoint(
    uow: UnitOfWork,
    user_id: int,
    kind: str,
    address: str | None,
    at: datetime,
    *,
    audit: Audit,
    caller: Caller,
    firm_id: int,
) -> int:
    """A new endpoint for user ``user_id`` of ``firm_id``; its id (admins only, audited)."""
    actor = authorize(uow, caller, "users.write", firm_id)
    user_in_firm(uow, user_id, firm_id)
    stored = valid_address(kind, address)
    existing = uow.users.endpoints(user_id)
    if kind == "browser" and any(e.kind == "browser" for e in existing):
        raise RequestError("kind", "the user already has a browser endpoint")
    if stored is not None and any(e.kind == kind and e.address == stored for e in existing):
        raise RequestError("address", "the user already has this endpoint")
    if kind == "twilio_client" and stored is not None and uow.users.endpoint_holders(kind, stored):
        raise RequestError(
            "address",
            "this Twilio Client identity is already another user's: give each agent their "
            "own (a token for it would ring the other user's calls too)",
        )
    endpoint_id = uow.users.add_endpoint(user_id, kind, stored, at)
    audit.record(
        uow, at=at, actor=actor, action="user.endpoint_added", subject=f"user:{user_id}",
        data={"endpoint": endpoint_id, "kind": kind},
    )  # fmt: skip
    return endpoint_id


def list_endpoints(
    uow: UnitOfWork, user_id: int, *, caller: Caller, firm_id: int
) -> list[AgentEndpoint]:
    """The endpoints of user ``user_id`` of ``firm_id``, oldest first."""
    authorize(uow, caller, "users.read", firm_id)
    user_in_firm(uow, user_id, firm_id)
    return uow.users.endpoints(user_id)


def own_endpoints(uow: UnitOfWork, caller: Caller) -> list[AgentEndpoint]:
    """The caller's own endpoints (an agent choosing a phone at the desk needs no
    ``users.read``: a user may always see where their own calls reach them)."""
    return [] if caller.user_id is None else uow.users.endpoints(caller.user_id)


def remove_endpoint(
    uow: UnitOfWork,
    endpoint_id: int,
    at: datetime,
    *,
    audit: Audit,
    caller: Caller,
    firm_id: int,
    user_id: int | None = None,
) -> AgentEndpoint:
    """Remove an endpoint of a user of ``firm_id`` (of ``user_id`` when given); the removed
    endpoint (admins only, audited). Another firm's endpoint is answered as unknown."""
    actor = authorize(uow, caller, "users.write", firm_id)
    found = uow.users.endpoint(endpoint_id)
    if (
        found is None
        or uow.users.firm_of(found.user_id) != firm_id
        or (user_id is not None and found.user_id != user_id)
    ):
        raise NotFoundError("endpoint_id", f"no endpoint #{endpoint_id}")
    uow.users.remove_endpoint(endpoint_id)
    audit.record(
        uow, at=at, actor=actor, action="user.endpoint_removed", subject=f"user:{found.user_id}",
        data={"endpoint": endpoint_id, "kind": found.kind},
    )  # fmt: skip
    return found


def missing_endpoints(
    uow: UnitOfWork, user_ids: list[int], carrier: str, *, softphones: bool = True
) -> dict[int, str]:
    """For each of ``user_ids`` that has no endpoint the carrier can reach: what it lacks
    (e.g. "a SIP address"). Empty for a carrier that needs none. ``softphones``: whether
    the browser softphone's gateway is on (``[desk] webrtc``); off, a browser endpoint
    reaches no one."""
    kinds = CARRIER_KIND.get(carrier)
    if kinds is None:
        return {}
    if not softphones:
        kinds = tuple(k for k in kinds if k != "browser")
    lacks = " or ".join(_LABEL[k] for k in kinds)
    return {i: lacks for i in user_ids if not any(e.kind in kinds for e in uow.users.endpoints(i))}
