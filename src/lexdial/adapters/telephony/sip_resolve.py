"""Where the media plane sends a trunk's requests: RFC 3263 as far as a trunk needs it.

Rule 1: the name looked up is the outbound proxy's, else the trunk's (``Trunk.route``).
With an explicit port, or an IP literal, that is the hop (a name still needs its
address); no SRV is asked.
Rule 2: a name without a port is looked up as SRV for the trunk's transport
(``_sip._udp``, ``_sip._tcp``, ``_sips._tcp``), ordered by priority then by RFC 2782's
weighted random choice; each target's address follows (a target without one is skipped).
No SRV record (NXDOMAIN, no answer) means A/AAAA on 5060 (5061 for TLS). NAPTR is not
asked: the transport is the one configured, so NAPTR could only say what we know.
Rule 3: addresses are of the family ``bind_address`` binds (A for IPv4, AAAA for IPv6):
a socket of one family cannot send to the other.
Rule 4: with ``dns_server`` ("host:port") every lookup goes to it; else SRV goes to the
system's resolver (/etc/resolv.conf) and addresses through ``getaddrinfo`` (so
/etc/hosts counts). Lookups run off the event loop (dnspython's asyncio resolver, the
loop's resolver thread).
Rule 5: a lookup that fails (no such name, a server that does not answer) is a
``DnsError`` naming the name and the record type; "." as the only SRV target means the
domain says it offers no SIP there (RFC 2782), and says so too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
from dataclasses import dataclass
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.resolver

from lexdial.adapters.telephony.sip_trunk import Trunk, split_address
from lexdial.errors import TelephonyError

#: how long one lookup may take (all retries) before the DNS counts as not answering
LIFETIME = 5.0
SERVICE = {"udp": "_sip._udp", "tcp": "_sip._tcp", "tls": "_sips._tcp"}


class DnsError(TelephonyError):
    """A lookup failed; the message names the name and the record type (rule 5)."""


@dataclass(frozen=True, slots=True)
class Srv:
    priority: int
    weight: int
    port: int
    target: str


class Lookup(Protocol):
    """The two questions asked (rule 4); ``DnsError`` when they cannot be answered."""

    async def srv(self, name: str) -> list[Srv]:
        """The records; empty when there are none (NXDOMAIN, no answer)."""
        ...

    async def addresses(self, name: str, family: socket.AddressFamily) -> list[str]:
        """A (AF_INET) or AAAA (AF_INET6) addresses; ``DnsError`` when there are none."""
        ...


def _family(trunk: Trunk) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in trunk.bind_address else socket.AF_INET


def _rtype(family: socket.AddressFamily) -> str:
    return "AAAA" if family == socket.AF_INET6 else "A"


class DnsLookup:
    """The real resolver: ``dns_server`` when given, else the system's (rule 4)."""

    def __init__(self, dns_server: str | None = None) -> None:
        self.dns_server = dns_server

    def _resolver(self) -> dns.asyncresolver.Resolver:
        if self.dns_server is None:
            return dns.asyncresolver.Resolver()  # reads /etc/resolv.conf
        host, _, port = self.dns_server.rpartition(":")
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [host.strip("[]")]
        resolver.port = int(port)
        return resolver

    def _from(self) -> str:
        return self.dns_server or "the system's resolver"

    async def _query(self, name: str, rtype: str) -> list[object]:
        try:
            answer = await self._resolver().resolve(name, rtype, lifetime=LIFETIME, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.resolver.NoResolverConfiguration:
            raise DnsError(
                f"DNS: no resolver to ask for {rtype} {name} (/etc/resolv.conf names no "
                "nameserver); set dns_server"
            ) from None
        except dns.exception.Timeout:
            raise DnsError(f"DNS: {rtype} {name}: {self._from()} did not answer") from None
        except dns.exception.DNSException as exc:  # SERVFAIL, refused, a bad answer
            raise DnsError(f"DNS: {rtype} {name} failed at {self._from()} ({exc})") from None
        return list(answer)

    async def srv(self, name: str) -> list[Srv]:
        return [
            Srv(r.priority, r.weight, r.port, r.target.to_text(omit_final_dot=True))  # type: ignore[attr-defined]
            for r in await self._query(name, "SRV")
        ]

    async def addresses(self, name: str, family: socket.AddressFamily) -> list[str]:
        rtype = _rtype(family)
        if self.dns_server is not None:
            found = [r.to_text() for r in await self._query(name, rtype)]  # type: ignore[attr-defined]
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    name, None, family=family, type=socket.SOCK_DGRAM
                )
            except socket.gaierror as exc:
                raise DnsError(
                    f"DNS: the name {name} did not resolve ({rtype} lookup: {exc.strerror})"
                ) from None
            found = list(dict.fromkeys(str(i[4][0]) for i in infos))
        if not found:
            raise DnsError(f"DNS: the name {name} has no {rtype} record (at {self._from()})")
        return found


def srv_order(records: list[Srv], rng: random.Random) -> list[Srv]:
    """RFC 2782: by priority; within one, repeatedly a weighted random pick (zero weights
    first in the running sum, so they are picked only when the draw is 0)."""
    ordered: list[Srv] = []
    for priority in sorted({r.priority for r in records}):
        group = sorted((r for r in records if r.priority == priority), key=lambda r: r.weight > 0)
        while group:
            draw, running = rng.randint(0, sum(r.weight for r in group)), 0
            for i, r in enumerate(group):
                running += r.weight
                if running >= draw:
                    ordered.append(group.pop(i))
                    break
    return ordered


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def next_hops(
    trunk: Trunk, lookup: Lookup | None = None, rng: random.Random | None = None
) -> list[tuple[str, int]]:
    """The addresses to try in order (rules 1-3); ``DnsError`` when there is none."""
    lookup = lookup or DnsLookup(trunk.dns_server)
    family = _family(trunk)
    host, port = split_address(trunk.route or trunk.address)
    host = host.strip("[]")
    if _literal(host):
        return [(host, port or default_port(trunk))]
    if port is not None:
        return [(a, port) for a in await lookup.addresses(host, family)]
    name = f"{SERVICE[trunk.transport]}.{host}"
    records = await lookup.srv(name)
    if not records:
        return [(a, default_port(trunk)) for a in await lookup.addresses(host, family)]
    if all(r.target in ("", ".") for r in records):
        raise DnsError(f"DNS: SRV {name} says the domain offers no SIP over this transport")
    hops: list[tuple[str, int]] = []
    failures: list[str] = []
    for r in srv_order(records, rng or random.Random()):
        try:
            hops += [(a, r.port) for a in await lookup.addresses(r.target, family)]
        except DnsError as exc:  # the next target may do (RFC 3263 §4.3)
            failures.append(str(exc))
    if not hops:
        raise DnsError(f"DNS: no target of SRV {name} resolved: " + "; ".join(failures))
    return hops


def default_port(trunk: Trunk) -> int:
    return 5061 if trunk.transport == "tls" else 5060
