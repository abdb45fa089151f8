"""A media-plane leg hears only the far end its SDP named (``rtp`` rule 6, ``rtp_source``):
real UDP sockets on loopback (127.0.0.x: no service), the leg pumped by hand so nothing
depends on timing."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from lexdial.adapters.telephony.rtp import Leg, MediaEngine
from lexdial.adapters.telephony.rtp_source import PROBATION, as_received

NINE = 9  # RFC 2833 event code of the digit '9'


def pcmu(seq: int, ssrc: int = 0x1234, fill: int = 0x55) -> bytes:
    return struct.pack(">BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, ssrc) + bytes([fill]) * 160


def dtmf(seq: int, event: int = NINE, ssrc: int = 0x9999, ts: int = 4000) -> bytes:
    return struct.pack(">BBHII", 0x80, 101, seq & 0xFFFF, ts, ssrc) + bytes([event, 10, 0, 160])


@contextmanager
def udp(host: str = "127.0.0.1") -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    try:
        yield sock
    finally:
        sock.close()


def drain(leg: Leg, expected: int) -> None:
    """Pump until the kernel has handed the leg ``expected`` more packets in all (accepted
    or dropped): loopback delivery is not instant on a loaded machine."""
    before = leg.received + leg.foreign
    deadline = time.monotonic() + 5.0
    while leg.received + leg.foreign < before + expected and time.monotonic() < deadline:
        leg.pump(0)
        time.sleep(0.001)


def run(body: Callable[[MediaEngine], None]) -> None:
    async def main() -> None:
        engine = MediaEngine(bind_address="127.0.0.1")
        try:
            body(engine)  # synchronous: the clock task never gets to run meanwhile
        finally:
            await engine.close()

    asyncio.run(main())


def test_audio_and_a_digit_from_a_stranger_are_dropped_counted_and_never_heard() -> None:
    def body(engine: MediaEngine) -> None:
        leg = engine.open("call-1")
        digits: list[str] = []
        leg.on_digit, leg.capture = digits.append, True
        with udp() as peer, udp("127.0.0.2") as stranger:
            leg.start(*peer.getsockname())
            for seq in range(5):
                stranger.sendto(pcmu(seq, fill=0x11), ("127.0.0.1", leg.port))
                stranger.sendto(dtmf(seq), ("127.0.0.1", leg.port))
            drain(leg, 10)
            assert (digits, leg.take_audio(), leg.received, leg.foreign) == ([], b"", 0, 10)
            peer.sendto(pcmu(0, fill=0x22), ("127.0.0.1", leg.port))
            peer.sendto(dtmf(1, ssrc=0x1234), ("127.0.0.1", leg.port))
            drain(leg, 2)
        assert digits == ["9"] and leg.take_audio() == b"\x22" * 160
        assert engine.stats.foreign == 10 and engine.stats.received == 2

    run(body)


def test_the_same_host_on_another_port_is_a_stranger_when_latching_is_off() -> None:
    def body(engine: MediaEngine) -> None:
        engine.latch = False
        leg = engine.open("call-2")
        heard: list[bool] = []
        leg.on_heard = lambda: heard.append(True)
        with udp() as peer, udp() as neighbour:
            leg.start(*peer.getsockname())
            for seq in range(PROBATION * 3):
                neighbour.sendto(pcmu(seq), ("127.0.0.1", leg.port))
            drain(leg, PROBATION * 3)
        assert (heard, leg.received, leg.foreign) == ([], 0, PROBATION * 3)

    run(body)


def test_a_nat_rewritten_port_of_the_sdp_host_is_latched_after_probation() -> None:
    def body(engine: MediaEngine) -> None:
        leg = engine.open("call-3")
        leg.capture = True
        with udp() as sdp_port, udp() as nat_port, udp("127.0.0.2") as stranger:
            leg.start(*sdp_port.getsockname())
            for seq in range(PROBATION + 2):
                nat_port.sendto(pcmu(seq, fill=seq), ("127.0.0.1", leg.port))
            drain(leg, PROBATION + 2)
            # the probation's first packets are lost (40 ms), the rest of the stream heard
            assert leg.take_audio() == b"".join(bytes([s]) * 160 for s in range(2, 5))
            assert leg.foreign == PROBATION - 1
            stranger.sendto(pcmu(5), ("127.0.0.1", leg.port))
            drain(leg, 1)
            assert leg.foreign == PROBATION and leg.take_audio() == b""
            assert leg.remote == sdp_port.getsockname()  # we still send where SDP said

    run(body)


@pytest.mark.parametrize(
    "why, packets",
    [
        ("sequence numbers jump", [pcmu(s) for s in (0, 2, 4, 6, 8, 10)]),
        ("the SSRC changes", [pcmu(s, ssrc=s) for s in range(6)]),
        ("a payload type not negotiated", [pcmu(s)[:1] + b"\x08" + pcmu(s)[2:] for s in range(6)]),
        ("not RTP version 2", [b"\x40" + pcmu(s)[1:] for s in range(6)]),
    ],
)
def test_a_stream_that_is_not_valid_for_the_leg_is_never_latched(
    why: str, packets: list[bytes]
) -> None:
    def body(engine: MediaEngine) -> None:
        leg = engine.open("call-4")
        with udp() as sdp_port, udp() as other:
            leg.start(*sdp_port.getsockname())
            for data in packets:
                other.sendto(data, ("127.0.0.1", leg.port))
            drain(leg, len(packets))
        assert (leg.received, leg.foreign) == (0, len(packets)), why

    run(body)


def test_no_latching_once_the_sdp_address_has_been_heard_and_it_wins_back_a_latch() -> None:
    def body(engine: MediaEngine) -> None:
        leg = engine.open("call-5")
        with udp() as sdp_port, udp() as other:
            leg.start(*sdp_port.getsockname())
            sdp_port.sendto(pcmu(0), ("127.0.0.1", leg.port))
            drain(leg, 1)
            for seq in range(PROBATION * 2):
                other.sendto(pcmu(seq, ssrc=7), ("127.0.0.1", leg.port))
            drain(leg, PROBATION * 2)
            assert (leg.received, leg.foreign) == (1, PROBATION * 2)
            leg.start(*sdp_port.getsockname())  # a re-INVITE: learning starts over
            for seq in range(PROBATION):
                other.sendto(pcmu(seq + 100, ssrc=7), ("127.0.0.1", leg.port))
            drain(leg, PROBATION)
            assert leg.received == 2  # latched on the probation's last packet
            sdp_port.sendto(pcmu(1), ("127.0.0.1", leg.port))
            other.sendto(pcmu(103, ssrc=7), ("127.0.0.1", leg.port))
            drain(leg, 2)
            assert leg.received == 3 and leg.foreign == PROBATION * 2 + PROBATION - 1 + 1

    run(body)


def test_packets_before_the_far_end_is_known_are_dropped() -> None:
    def body(engine: MediaEngine) -> None:
        leg = engine.open("call-6")
        with udp() as early:
            for seq in range(PROBATION + 1):
                early.sendto(dtmf(seq), ("127.0.0.1", leg.port))
            drain(leg, PROBATION + 1)
        assert (leg.received, leg.foreign) == (0, PROBATION + 1)

    run(body)


def test_sdp_addresses_are_compared_as_recvfrom_names_them() -> None:
    assert as_received(socket.AF_INET, "127.0.0.1", 4000) == ("127.0.0.1", 4000)
    assert as_received(socket.AF_INET6, "2001:0db8:0::1", 4000) == ("2001:db8::1", 4000)
    assert as_received(socket.AF_INET6, "[::1]", 4000) == ("::1", 4000)
    assert as_received(socket.AF_INET6, "192.0.2.1", 4000) == ("::ffff:192.0.2.1", 4000)
    assert as_received(socket.AF_INET, "media.example", 4000) == ("media.example", 4000)
