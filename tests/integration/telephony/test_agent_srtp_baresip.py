"""End to end: SRTP on an agent's nailed-up leg (``agent_legs`` rule 1b, ``[telephony]
agent_srtp``) with baresip 1.0.0 as the agent's desk phone and SIPp as the called person.

baresip answers lexdial's log-in INVITE by itself (its ``srtp`` module: ``mediaenc=srtp``
best effort, ``srtp-mand`` RTP/SAVP only), plays a known noise file and decodes what it
receives to WAV. The person's SIPp talks (unique noise after its greeting) into a sink of
the test. Audio is proven both ways through the bridge as the other tests prove it: a
second of the other side's exact waveform is found in what was received (normalised
cross-correlation above 0.9). baresip drops a packet it cannot decrypt and we drop one
that fails authentication, so audio only matches when keys and encryption are right on
the agent's side and the bridge carries plain payloads between the legs.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

from .baresip_callee import Baresip, Callee, best_match
from .baresip_callee import write_wav as write_wav16
from .ports import band_ports
from .test_agent_bridge_sipp import AGENT_VOICE, PERSON, a_dial, heard, next_event, pcm
from .test_sip_sipp import CALLER_ID, RATE, RtpSink, Sipp, _missing_tools, scenario, write_pcap

pytestmark = pytest.mark.integration

SEC = RATE
PERSON_TALK = PERSON[-5 * SEC :]  # after the greeting and the quiet: unique noise
AGENT_SAYS = np.clip(np.random.default_rng(21).normal(0, 3000, 30 * SEC), -32000, 32000).astype(
    np.int16
)
LAWYER_SAYS = np.clip(np.random.default_rng(22).normal(0, 3000, 30 * SEC), -32000, 32000).astype(
    np.int16
)
SRTP_ON = "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)"


@pytest.fixture(autouse=True)
def _tools() -> None:
    missing = [t for t in _missing_tools() if t != "baresip"]
    if shutil.which("baresip") is None:
        missing.append("baresip")
    if missing:
        pytest.skip(f"telephony tools missing: {', '.join(missing)}; run scripts/telephony.sh")


def found_in(received: np.ndarray[Any, Any], clip: np.ndarray[Any, Any]) -> float:
    """The best match in ``received`` of half a second of ``clip``, on any quarter second.

    Half a second, not a whole one: once in several runs on this loaded machine no whole
    second matched above 0.65 while the audio was there (the cause not pinned down: a
    packet lost or a jitter-buffer slip in baresip's decoding would do it, and a shorter
    window fits between two); 4000 samples of unique noise still match nothing else by
    chance (about 0.02)."""
    half, step = SEC // 2, SEC // 4
    return max(best_match(received, clip[k : k + half]) for k in range(0, len(clip) - half, step))


@dataclass
class World:
    """The person's SIPp and its sink, baresip as the agent's phone (and a lawyer's)."""

    tmp: Path
    agent_srtp: str
    phones: list[tuple[str, str]]  # (user, mediaenc): "desk7", then maybe "lawyer"
    person_sink: RtpSink = field(default_factory=RtpSink)
    events: list[tel.CallEvent] = field(default_factory=list)
    far: Baresip | None = None

    def uri(self, user: str) -> str:
        assert self.far is not None
        return f"sip:{user}@{self.far.address}"

    async def run(self, body: Callable[[MediaPlaneTelephony, World], Awaitable[None]]) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self.person_sink, local_addr=("127.0.0.1", band_ports(1))
        )
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        person_dir = self.tmp / "person"
        person_dir.mkdir()
        pcap = write_pcap(self.tmp / "person.pcap", PERSON)
        person = Sipp(
            scenario(person_dir, "uas_greeting.xml", GREETING_PCAP=str(pcap)),
            person_dir,
            1,
            int(transport.get_extra_info("sockname")[1]),
        )
        says = {"desk7": AGENT_SAYS, "lawyer": LAWYER_SAYS}
        (self.tmp / "b").mkdir()
        phones = [
            Callee(u, enc, write_wav16(self.tmp / f"{u}.wav", says[u])) for u, enc in self.phones
        ]
        self.far = Baresip(self.tmp / "b", phones)
        trunk = Trunk(address=person.trunk, agent_srtp=self.agent_srtp)
        carrier = MediaPlaneTelephony(trunk=trunk, work_dir=self.tmp / "sip", amd=True)
        try:
            await self.far.start()
            await person.start()
            await carrier.start()
            await body(carrier, self)
            assert await person.finish() == 0, person.report()
        finally:
            await carrier.close()
            await self.far.stop()
            if person.proc is not None and person.proc.returncode is None:
                person.proc.kill()
                await person.proc.wait()
            transport.close()

    async def until(self, stream: AsyncIterator[tel.CallEvent], kind: str) -> tel.CallEvent:
        return await next_event(self.events, stream, kind)


def run(tmp: Path, agent_srtp: str, phones: list[tuple[str, str]], body: Any) -> World:
    world = World(tmp, agent_srtp, phones)
    asyncio.run(asyncio.wait_for(world.run(body), 90))
    return world


def bridged_call(suites: list[str | None]) -> Callable[[MediaPlaneTelephony, World], Any]:
    """Log the agent in, dial the person, bridge them on HUMAN, let them talk 3 s."""

    async def body(carrier: MediaPlaneTelephony, w: World) -> None:
        stream = carrier.events()
        await carrier.agent_login(tel.AgentLeg("user:7", "sip", w.uri("desk7"), CALLER_ID))
        await w.until(stream, tel.AGENT_UP)
        rtp = carrier.agents.lines["user:7"].rtp
        assert rtp is not None
        suites.append(rtp.crypto.suite if rtp.crypto is not None else None)
        await carrier.dial(a_dial(w.tmp))
        await w.until(stream, tel.HUMAN)
        await carrier.bridge("c-live", "user:7")
        await w.until(stream, tel.BRIDGED)
        await asyncio.sleep(3.0)
        assert rtp.crypto is None or rtp.crypto.failed == 0  # every packet authenticated
        await carrier.hangup("c-live")
        await w.until(stream, tel.HANGUP)
        await carrier.agent_logout("user:7")
        await w.until(stream, tel.AGENT_DOWN)

    return body


def check_both_ways(w: World, recordings: int = 1) -> None:
    assert w.far is not None
    recs = w.far.recordings()
    assert len(recs) == recordings, len(recs)
    # the agent's phone decoded the person's talk (sent through the bridge, encrypted on
    # the agent's leg when SRTP is on) ...
    assert found_in(recs[0], PERSON_TALK) > 0.9
    # ... and the person heard the agent (decrypted on the agent's leg, sent plain)
    assert found_in(pcm(heard(w.person_sink)), AGENT_SAYS) > 0.9


@pytest.mark.parametrize(("mode", "mediaenc"), [("offer", "srtp"), ("require", "srtp-mand")])
def test_an_srtp_agent_phone_is_keyed_and_hears_the_bridged_person(
    tmp_path: Path, mode: str, mediaenc: str
) -> None:
    suites: list[str | None] = []
    w = run(tmp_path, mode, [("desk7", mediaenc)], bridged_call(suites))
    assert suites == ["AES_CM_128_HMAC_SHA1_80"]
    assert w.far is not None and SRTP_ON in w.far.log()
    check_both_ways(w)


@pytest.mark.parametrize(("mode", "mediaenc"), [("off", "srtp"), ("off", ""), ("offer", "")])
def test_off_and_a_plain_phone_under_offer_keep_the_agent_leg_plain(
    tmp_path: Path, mode: str, mediaenc: str
) -> None:
    suites: list[str | None] = []
    w = run(tmp_path, mode, [("desk7", mediaenc)], bridged_call(suites))
    assert suites == [None]
    assert w.far is not None and "SRTP is Enabled" not in w.far.log()
    check_both_ways(w)


def test_require_against_a_plain_phone_fails_the_log_in_with_the_reason(tmp_path: Path) -> None:
    async def body(carrier: MediaPlaneTelephony, w: World) -> None:
        stream = carrier.events()
        await carrier.agent_login(tel.AgentLeg("user:7", "sip", w.uri("desk7"), CALLER_ID))
        down = await asyncio.wait_for(anext(stream), 15)
        assert (down.kind, down.detail, down.prompt) == (
            tel.AGENT_DOWN,
            "user:7",
            "sip 488: the phone refused SRTP (agent_srtp = require)",
        )
        # the person is still dialled and answered; no agent is there to take them
        await carrier.dial(a_dial(w.tmp))
        await w.until(stream, tel.HUMAN)
        with pytest.raises(TelephonyError, match="no open leg"):
            await carrier.bridge("c-live", "user:7")
        await carrier.hangup("c-live")
        await w.until(stream, tel.HANGUP)

    w = run(tmp_path, "require", [("desk7", "")], body)
    assert w.far is not None
    assert not any(r.size for r in w.far.recordings())  # no audio ever reached the phone


def test_a_transfer_to_a_sip_address_offers_srtp_as_agent_srtp_says(tmp_path: Path) -> None:
    """``plane_signalling`` rule 1b: a ``sip:`` target is reached as an agent's phone is."""
    suites: list[str | None] = []

    async def body(carrier: MediaPlaneTelephony, w: World) -> None:
        stream = carrier.events()
        await carrier.agent_login(tel.AgentLeg("user:7", "sip", w.uri("desk7"), CALLER_ID))
        await w.until(stream, tel.AGENT_UP)
        await carrier.dial(a_dial(w.tmp))
        await w.until(stream, tel.HUMAN)
        await carrier.bridge("c-live", "user:7")
        await w.until(stream, tel.BRIDGED)
        await asyncio.sleep(1.1)  # baresip names its recordings by the second
        await carrier.transfer("c-live", w.uri("lawyer"), warm=False)
        await w.until(stream, tel.TRANSFERRED)
        await w.until(stream, tel.BRIDGED)
        leg = carrier.engine.leg("c-live/transfer")
        assert leg is not None
        suites.append(leg.crypto.suite if leg.crypto is not None else None)
        await asyncio.sleep(3.0)
        await carrier.hangup("c-live")
        await w.until(stream, tel.HANGUP)
        await carrier.agent_logout("user:7")

    w = run(tmp_path, "offer", [("desk7", "srtp"), ("lawyer", "srtp")], body)
    assert suites == ["AES_CM_128_HMAC_SHA1_80"]
    assert w.far is not None and w.far.log().count(SRTP_ON) == 2  # the agent and the lawyer
    _, lawyer = w.far.recordings()
    assert found_in(lawyer, PERSON_TALK) > 0.9
    assert found_in(pcm(heard(w.person_sink)), LAWYER_SAYS) > 0.9


def test_require_against_a_phone_that_answers_plain_rtp_byes_it_before_any_audio(
    tmp_path: Path,
) -> None:
    """SIPp as the agent's phone answers RTP/AVP with no crypto even to our RTP/SAVP offer
    (as a phone that ignores the profile would): the leg is sent BYE at once, the log-in
    fails with the reason, and the phone's media address never gets a packet."""
    sink = RtpSink()
    events: list[tel.CallEvent] = []
    sent: list[int] = []

    async def go() -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: sink, local_addr=("127.0.0.1", band_ports(1))
        )
        pcap = write_pcap(tmp_path / "agent.pcap", AGENT_VOICE)
        path = scenario(tmp_path, "uas_agent.xml", AGENT_PCAP=str(pcap))
        phone = Sipp(path, tmp_path, 1, int(transport.get_extra_info("sockname")[1]))
        trunk = Trunk(address="127.0.0.1:5060", agent_srtp="require")  # no call is dialled
        carrier = MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)
        try:
            await phone.start()
            await carrier.start()
            stream = carrier.events()
            uri = f"sip:desk7@{phone.trunk}"
            await carrier.agent_login(tel.AgentLeg("user:7", "sip", uri, CALLER_ID))
            rtp = carrier.agents.lines["user:7"].rtp
            assert rtp is not None
            events.append(await asyncio.wait_for(anext(stream), 15))
            code = await phone.finish()  # it got our BYE (its scenario waits for one)
            sent.append(rtp.sent)
            return code
        finally:
            await carrier.close()
            if phone.proc is not None and phone.proc.returncode is None:
                phone.proc.kill()
                await phone.proc.wait()
            transport.close()

    assert asyncio.run(asyncio.wait_for(go(), 60)) == 0
    assert [(e.kind, e.detail, e.prompt) for e in events] == [
        (tel.AGENT_DOWN, "user:7", "no SRTP in the answer")
    ]
    assert sent == [0] and not sink.streams  # no plain audio ever went to the phone
