"""The plane's TCP connection to the trunk is lost: the call in flight fails, the next
one reconnects. The trunk is a few lines of asyncio on a real socket (SIPp cannot be made
to drop one connection and accept the next in one run)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.sip_message import parse
from lexdial.adapters.telephony.sip_transport import read_message
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel

pytestmark = pytest.mark.integration


def busy(request: bytes) -> bytes:
    """486 Busy Here to ``request`` (its Via, From, Call-ID and CSeq; a To tag)."""
    msg = parse(request)
    assert msg is not None
    lines = ["SIP/2.0 486 Busy Here", *(f"Via: {v}" for v in msg.all("via"))]
    lines += [f"From: {msg.get('from')}", f"To: {msg.get('to')};tag=t1"]
    lines += [f"Call-ID: {msg.call_id}", f"CSeq: {msg.get('cseq')}", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class DroppingTrunk:
    """Its first connection is closed as soon as an INVITE arrives; later ones answer
    every INVITE with 486."""

    def __init__(self) -> None:
        self.connections = 0
        self.invites: list[int] = []  # the connection each INVITE came on

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        n = self.connections
        try:
            while True:
                data = await read_message(reader)
                if not data.startswith(b"INVITE "):
                    continue
                self.invites.append(n)
                if n == 1:
                    return  # dropped with the INVITE unanswered
                writer.write(busy(data))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def a_dial(call_id: str) -> tel.Dial:
    return tel.Dial(call_id, "+16145550101", "+16145550100", 10.0, detect_machine=False)


async def last_event(carrier: MediaPlaneTelephony, call_id: str) -> tel.CallEvent:
    await carrier.dial(a_dial(call_id))
    stream = carrier.events()
    while True:
        event = await asyncio.wait_for(anext(stream), 15)
        if event.call_id == call_id and event.kind in (tel.FAILED, tel.BUSY, tel.HANGUP):
            return event


def test_a_lost_connection_fails_the_call_in_flight_and_the_next_call_reconnects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    trunk_side = DroppingTrunk()

    async def body() -> tuple[tel.CallEvent, tel.CallEvent]:
        server = await asyncio.start_server(trunk_side.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        carrier = MediaPlaneTelephony(trunk=Trunk(f"127.0.0.1:{port}", transport="tcp"), amd=False)
        try:
            await carrier.start()
            first = await last_event(carrier, "c-dropped")
            second = await last_event(carrier, "c-after")
            return first, second
        finally:
            await carrier.close()
            server.close()

    with caplog.at_level(logging.WARNING):
        first, second = asyncio.run(body())
    # RFC 3261 §8.1.3.1: a transport error is a 503; the reason is logged, not guessed
    assert (first.kind, first.detail) == (tel.FAILED, "sip 503")
    assert "SIP connection to the trunk lost (closed by the trunk)" in caplog.text
    assert (second.kind, second.detail) == (tel.BUSY, "sip 486")
    assert trunk_side.invites == [1, 2] and trunk_side.connections == 2


def ok_to(request: bytes) -> bytes:
    """200 OK to a REGISTER, granting its Contact 600 s."""
    msg = parse(request)
    assert msg is not None
    lines = ["SIP/2.0 200 OK", *(f"Via: {v}" for v in msg.all("via"))]
    lines += [f"From: {msg.get('from')}", f"To: {msg.get('to')};tag=r1"]
    lines += [f"Call-ID: {msg.call_id}", f"CSeq: {msg.get('cseq')}"]
    lines += [f"Contact: {msg.get('contact')};expires=600", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class DroppingRegistrar:
    """Grants every REGISTER; closes its first connection right after the first grant.
    Records (connection, Expires) of each REGISTER."""

    def __init__(self) -> None:
        self.connections = 0
        self.registers: list[tuple[int, str]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        n = self.connections
        try:
            while True:
                data = await read_message(reader)
                msg = parse(data)
                if msg is None or msg.method != "REGISTER":
                    continue
                self.registers.append((n, msg.get("expires") or ""))
                writer.write(ok_to(data))
                await writer.drain()
                if n == 1:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def test_a_registration_whose_connection_is_lost_is_renewed_over_the_next_one() -> None:
    registrar = DroppingRegistrar()

    async def body() -> bool:
        server = await asyncio.start_server(registrar.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        trunk = Trunk(f"127.0.0.1:{port}", transport="tcp", auth_username="alice",
                      auth_password="pw", register=True)  # fmt: skip
        carrier = MediaPlaneTelephony(trunk=trunk, amd=False)
        try:
            await carrier.start()
            for _ in range(100):  # the renewal is due 1 s after the loss
                if len(registrar.registers) >= 2:
                    break
                await asyncio.sleep(0.05)
            reg = carrier.ua.registration
            return reg is not None and reg.registered and reg.problem is None
        finally:
            await carrier.close()
            server.close()

    assert asyncio.run(body())
    # granted on the first connection, renewed on the second, removed there at close
    assert registrar.registers == [(1, "600"), (2, "600"), (2, "0")]
