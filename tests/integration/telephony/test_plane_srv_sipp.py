"""The media plane finds a trunk named without a port by DNS SRV, asking ``dns_server``.

A stub DNS server on 127.0.0.1 (``Zone``) answers SRV ``_sip._udp``/``_sip._tcp`` of
``trunk.test`` with ``sipp.trunk.test`` on SIPp's port, and A ``sipp.trunk.test`` with
127.0.0.1; the trunk's configuration names neither the port nor the address, so a
REGISTER or an INVITE that reaches SIPp got there by the SRV answer, through the server
in ``dns_server`` (the system's resolver knows no ``trunk.test``).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.plane_check import check_on_plane
from lexdial.adapters.telephony.sip_check import Verdict
from lexdial.adapters.telephony.sip_trunk import Trunk

from .test_plane_transports_sipp import CALL, a_dial, call_playing_the_message, over_a_connection
from .test_sip_trunk_sipp import NAME, PASSWORD, USER, Sipp, fill, registrar, trunk_for

pytestmark = pytest.mark.integration
SRV, A = 33, 1


@pytest.fixture(autouse=True, scope="module")
def _sipp() -> None:
    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed (scripts/telephony.sh)")


@pytest.fixture
def sipps() -> Iterator[list[Sipp]]:
    started: list[Sipp] = []
    yield started
    for s in started:
        s.kill()


def _name(text: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in text.split(".")) + b"\0"


class Zone(asyncio.DatagramProtocol):
    """A DNS server for ``trunk.test``: SRV of ``service`` -> ``sipp.trunk.test:port``,
    A ``sipp.trunk.test`` -> 127.0.0.1; any other question gets NXDOMAIN."""

    def __init__(self, service: str, port: int) -> None:
        self.service, self.port = service, port
        self.asked: list[tuple[str, int]] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        labels, i = [], 12
        while data[i]:
            labels.append(data[i + 1 : i + 1 + data[i]].decode())
            i += 1 + data[i]
        qname, (qtype,) = ".".join(labels).lower(), struct.unpack(">H", data[i + 1 : i + 3])
        self.asked.append((qname, qtype))
        answers = []
        if qtype == SRV and qname == f"{self.service}.trunk.test":
            rdata = struct.pack(">HHH", 10, 5, self.port) + _name("sipp.trunk.test")
            answers.append(struct.pack(">HHHIH", 0xC00C, SRV, 1, 60, len(rdata)) + rdata)
        elif qtype == A and qname == "sipp.trunk.test":
            answers.append(struct.pack(">HHHIH", 0xC00C, A, 1, 60, 4) + bytes([127, 0, 0, 1]))
        known = qname.endswith("trunk.test")
        flags = 0x8180 if answers or known else 0x8183  # NOERROR / NXDOMAIN
        head = data[:2] + struct.pack(">HHHHH", flags, 1, len(answers), 0, 0)
        assert self.transport is not None
        self.transport.sendto(head + data[12 : i + 5] + b"".join(answers), addr)


async def serving(zone: Zone, run: Any) -> Any:
    """``run(dns_server)`` with ``zone`` answering on 127.0.0.1."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: zone, local_addr=("127.0.0.1", 0))
    try:
        return await run(f"127.0.0.1:{transport.get_extra_info('sockname')[1]}")
    finally:
        transport.close()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_the_plane_check_registers_at_the_srv_port_asking_dns_server(
    tmp_path: Path, sipps: list[Sipp], transport: str
) -> None:
    scenario = registrar(tmp_path)
    if transport == "tcp":
        scenario = over_a_connection(scenario)
    sipp = Sipp(scenario, tmp_path, transport=transport).start()
    sipps.append(sipp)
    zone = Zone(f"_sip._{transport}", sipp.port)

    async def run(server: str) -> Verdict:
        trunk = trunk_for(sipp, address="trunk.test", register=True, dns_server=server)
        return await check_on_plane(trunk, timeout=10)

    verdict = asyncio.run(serving(zone, run))
    assert verdict.ok, (verdict, zone.asked)
    assert zone.asked[:2] == [(f"_sip._{transport}.trunk.test", SRV), ("sipp.trunk.test", A)]
    assert sipp.finish() == 0, sipp.report()
    messages = sipp.text("sipp_messages.log")
    assert "REGISTER sip:trunk.test" in messages
    assert f"SIP/2.0/{transport.upper()}" in messages


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_a_call_on_the_plane_reaches_the_trunk_found_by_srv(
    tmp_path: Path, sipps: list[Sipp], transport: str
) -> None:
    """REGISTER (digest) then INVITE (digest) then the message and BYE, all to the
    address and port only the SRV answer gave."""
    path = fill(
        tmp_path,
        "trunk_register_invite.xml",
        USER=USER,
        PASSWORD=PASSWORD,
        NAME=NAME,
        NUMBER_RE=r"\+16145550101",
        CALLER_RE=r"\+16145550100",
    )
    sipp = Sipp(over_a_connection(path), tmp_path, calls=2, transport=transport)
    sipps.append(sipp.start())
    zone = Zone(f"_sip._{transport}", sipp.port)

    async def run(server: str) -> list[str]:
        trunk = trunk_for(sipp, address="trunk.test", register=True, dns_server=server)
        carrier = MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)
        return await call_playing_the_message(carrier, a_dial(f"srv-{transport}", tmp_path))

    kinds = asyncio.run(serving(zone, run))
    assert kinds == CALL, sipp.report()
    assert sipp.finish() == 0, sipp.report()
    assert (f"_sip._{transport}.trunk.test", SRV) in zone.asked
    messages = sipp.text("sipp_messages.log")
    assert messages.index("REGISTER sip:trunk.test") < messages.index("INVITE sip:")


def test_a_name_the_dns_server_does_not_know_is_a_dns_verdict_naming_it(tmp_path: Path) -> None:
    """No SRV and no A for ``nowhere.test`` at ``dns_server``: the check says so plainly
    (which name, which record) instead of timing out."""
    zone = Zone("_sip._udp", 5060)

    async def run(server: str) -> Verdict:
        trunk = Trunk("nowhere.test", dns_server=server)
        return await check_on_plane(trunk, timeout=10)

    verdict = asyncio.run(serving(zone, run))
    assert verdict.problem == "dns", verdict
    assert "nowhere.test has no A record" in verdict.message
    assert ("_sip._udp.nowhere.test", SRV) in zone.asked


def test_a_dns_server_that_does_not_answer_is_a_dns_verdict_naming_the_question() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        server = f"127.0.0.1:{silent.getsockname()[1]}"
        trunk = Trunk("trunk.test", transport="tcp", dns_server=server)
        verdict = asyncio.run(check_on_plane(trunk, timeout=10))
    assert verdict.problem == "dns", verdict
    assert f"SRV _sip._tcp.trunk.test: {server} did not answer" in verdict.message


def test_a_check_that_times_out_probes_the_port_srv_gave() -> None:
    """Nothing listens on the SRV port: no answer to OPTIONS, then the probe finds the
    port refused there (not on 5060, and not by asking the system for trunk.test)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        closed = int(s.getsockname()[1])
    zone = Zone("_sip._udp", closed)

    async def run(server: str) -> Verdict:
        return await check_on_plane(Trunk("trunk.test", dns_server=server), timeout=2)

    verdict = asyncio.run(serving(zone, run))
    assert verdict.problem == "unreachable", verdict
    assert f"127.0.0.1:{closed} over UDP refused" in verdict.message
