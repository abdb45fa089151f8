"""End to end: RTP sprayed at a media-plane leg from elsewhere is never heard (``rtp`` rule 6).

SIPp is the real callee (``test_sip_sipp``'s world): it answers with the test's RTP sink
as its media address and speaks a human's greeting from its own media port, another port
of the SDP's IP, as a NAT rewrites it: the leg must latch to that stream. Meanwhile an
attacker who guessed the leg's port sprays a stream from another address (127.0.0.2) for
the whole call, and, once the call's audio flows, from the callee's own IP on yet another
port: a long loud "machine greeting" (or silence) with a telephone-event '9' every 200 ms.
Heard, it would make the AMD say MACHINE (or hear nothing of the person) and opt the person
out. The call must go as if the spray were not there: HUMAN, no DIGIT, the message played
whole and received intact at the sink, and the spray counted as dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.domain import telephony as tel
from lexdial.domain.call import FlowConfig, Outcome

from .test_sip_sipp import (
    HUMAN_GREETING,
    MACHINE_GREETING,
    MESSAGE,
    Body,
    Carrier,
    Run,
    Sipp,
    World,
    _missing_tools,
    a_dial,
    best_match,
    flow_body,
    scenario,
    silence,
    ulaw_encode,
    write_pcap,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True, scope="module")
def _tools() -> None:
    missing = _missing_tools()
    if missing:
        import os

        if os.environ.get("CI"):
            pytest.fail(f"missing for the telephony tests: {missing}")
        pytest.skip(f"missing: {missing}")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, "plane")
    yield w
    w.kill_leftovers()


async def spray(port: int, source: str, audio: bytes, start: asyncio.Event) -> int:
    """Send ``audio`` as 20 ms PCMU packets, and a '9' every 10th, to ``port`` from ``source``
    (a valid stream: one SSRC, consecutive sequence numbers) until cancelled."""
    await start.wait()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((source, 0))
    sent = 0
    try:
        for seq in range(1 << 30):
            frame = audio[(seq * 160) % len(audio) :][:160].ljust(160, b"\xff")
            packet = struct.pack(">BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, 0xBAD) + frame
            sock.sendto(packet, ("127.0.0.1", port))
            if seq % 10 == 5:  # a new event each time: each one would be a DIGIT
                digit = struct.pack(">BBHII", 0x80, 101, (seq + 1) & 0xFFFF, seq * 160, 0xBAD)
                sock.sendto(digit + bytes([9, 0x8A, 0, 160]), ("127.0.0.1", port))
            sent += 1
            await asyncio.sleep(0.02)
    finally:
        sock.close()
    return sent


def spraying(body: Body, call_id: str, audio: bytes) -> Body:
    """``body`` with the attack running from the moment the call's leg exists."""

    async def attacked(carrier: Carrier, sipp: Sipp) -> None:
        assert isinstance(carrier, MediaPlaneTelephony)
        flowing, anywhere = asyncio.Event(), asyncio.Event()

        async def find_leg() -> None:
            while (leg := carrier.engine.leg(call_id)) is None:
                await asyncio.sleep(0.005)
            sprays.append(asyncio.create_task(spray(leg.port, "127.0.0.2", audio, anywhere)))
            sprays.append(asyncio.create_task(spray(leg.port, "127.0.0.1", audio, flowing)))
            anywhere.set()
            while leg.received == 0 and not leg.closed:  # the callee's audio is latched
                await asyncio.sleep(0.005)
            flowing.set()

        sprays: list[asyncio.Task[int]] = []
        finder = asyncio.create_task(find_leg())
        try:
            await body(carrier, sipp)
        finally:
            finder.cancel()
            for task in sprays:
                task.cancel()
            for task in [finder, *sprays]:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        assert len(sprays) == 2
        assert carrier.stats.foreign > 100, carrier.stats  # both sprays, seconds of each

    return attacked


@pytest.mark.parametrize("sprayed", ["machine", "silence"])
def test_rtp_sprayed_from_elsewhere_neither_decides_the_amd_nor_opts_the_person_out(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture, sprayed: str
) -> None:
    caplog.set_level(logging.INFO, logger="lexdial")
    samples = MACHINE_GREETING if sprayed == "machine" else silence(2.0)
    audio = ulaw_encode(np.asarray(samples))
    pcap = write_pcap(tmp_path / "hello.pcap", HUMAN_GREETING)
    path = scenario(tmp_path, "uas_greeting.xml", GREETING_PCAP=str(pcap))
    runs: list[Run] = []
    body = flow_body(runs, [a_dial("c-spray", tmp_path)], FlowConfig())
    world.go(path, 1, spraying(body, "c-spray", audio))
    run = runs[0]
    assert run.error is None, run.error
    assert tel.DIGIT not in run.kinds(), run.events
    assert run.kinds()[:4] == [tel.RINGING, tel.ANSWERED, tel.HUMAN, tel.PLAYED], run.events
    assert run.flow.outcome is Outcome.HUMAN
    # the callee's greeting came from SIPp's media port, not the SDP's: latched (NAT)
    assert "latched to the far end's NAT port" in caplog.text
    assert "dropping RTP from an address its SDP did not give" in caplog.text
    # our message went to the SDP's address, whole (no latch redirects what we send)
    (ssrc,) = world.sink.streams
    assert best_match(world.sink.pcm(ssrc), MESSAGE) > 0.9
    assert "6145550101" not in caplog.text  # the number is never logged
