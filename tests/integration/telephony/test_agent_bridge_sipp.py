"""Live agents on the media plane against two real SIP endpoints (SIPp), all on loopback.

One SIPp plays the called person behind the trunk: it answers, says "Hello?" (0.6 s),
keeps a near-silent line (very quiet noise: every 20 ms frame is unique, but the
detector hears silence) and then talks. Another SIPp plays the agent's phone: it answers
lexdial's nailed-up INVITE at log-in and talks all along. The test plays the dialler
(on HUMAN: ``bridge``), as ``service.call_driver`` does.

How audio both ways is proven: each SIPp's answer names an ``RtpSink`` of the test as its
media address, so the sinks hold exactly what lexdial sent the person and the agent.
Every frame each SIPp sends is unique, so a frame found at the other sink is named by its
index in the clip: the agent's sink must hold the person's talk (normalised
cross-correlation > 0.9 of a second of it against the clip), and the person's sink the
agent's. Connect time is counted on the person's own audio timeline: the index of the
first person frame the agent hears, minus that of the greeting's last voiced frame, times
20 ms (the plane forwards a frame on the next clock tick, so this is what the agent
hears, not a timer); the rule is < 2 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

from .test_sip_sipp import (
    CALLER_ID,
    RATE,
    ULAW_DECODE,
    RtpSink,
    Sipp,
    _missing_tools,
    best_match,
    noise,
    scenario,
    ulaw_encode,
    voice,
    write_pcap,
    write_wav,
)

pytestmark = pytest.mark.integration

FRAME = 160
GREETING_S, QUIET_S, TALK_S = 0.6, 1.8, 5.0
GREETING_END = round(GREETING_S * RATE) // FRAME - 1  # index of its last voiced frame
PERSON = np.concatenate(
    [
        voice(GREETING_S),
        np.random.default_rng(11).normal(0, 12, round(QUIET_S * RATE)).astype(np.int16),
        noise(TALK_S, seed=12),
    ]
)
AGENT_VOICE = noise(12.0, seed=13)
AGENT_VOICE_2 = noise(12.0, seed=14)
SAFE_HARBOR = noise(2.0, seed=15)


@pytest.fixture(autouse=True, scope="module")
def _tools() -> None:
    missing = [t for t in _missing_tools() if t != "baresip"]
    if missing:
        message = f"telephony tools missing: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message + "; scripts/telephony.sh installs them")
        pytest.skip(message + "; run scripts/telephony.sh")


def frames(samples: np.ndarray) -> list[bytes]:
    payload = ulaw_encode(samples)
    return [payload[i : i + FRAME] for i in range(0, len(payload) - FRAME + 1, FRAME)]


def heard(sink: RtpSink) -> list[bytes]:
    """Every payload a sink got, in sequence order, from each stream in turn."""
    out: list[bytes] = []
    for packets in sink.streams.values():
        out += [packets[q] for q in sorted(packets)]
    return out


def found(received: list[bytes], clip: np.ndarray) -> list[int]:
    """The clip's frame index of each received frame that is one of the clip's frames."""
    index = {f: k for k, f in enumerate(frames(clip))}
    return [index[p] for p in received if p in index]


def pcm(payloads: list[bytes]) -> np.ndarray:
    return ULAW_DECODE[np.frombuffer(b"".join(payloads), dtype=np.uint8)]


async def next_event(
    events: list[tel.CallEvent], stream: AsyncIterator[tel.CallEvent], kind: str
) -> tel.CallEvent:
    """The next event of ``kind`` (15 s at most each), every event kept in ``events``; a
    call or an agent's line ending first fails the test."""
    while True:
        event = await asyncio.wait_for(anext(stream), 15)
        events.append(event)
        if event.kind == kind:
            return event
        if event.kind in (tel.HANGUP, tel.FAILED, tel.AGENT_DOWN):
            raise AssertionError(f"unexpected {event}: {events}")


@dataclass
class Bench:
    """The person's SIPp, the agents' SIPps, their sinks, and the adapter under test."""

    tmp: Path
    agents: int = 1
    agent_hangs_up_ms: int | None = None  # the agent's phone sends BYE this long after ACK
    person_sink: RtpSink = field(default_factory=RtpSink)
    agent_sinks: list[RtpSink] = field(default_factory=list)
    sipps: list[Sipp] = field(default_factory=list)
    events: list[tel.CallEvent] = field(default_factory=list)

    async def run(self, body: Callable[[MediaPlaneTelephony, Bench], Awaitable[None]]) -> None:
        loop = asyncio.get_running_loop()
        transports = []

        async def sink(s: RtpSink) -> int:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: s, local_addr=("127.0.0.1", 0)
            )
            transports.append(transport)
            # a busy loop must not lose packets in the kernel (as ``World``'s sink)
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            return int(transport.get_extra_info("sockname")[1])

        person_dir = self.tmp / "person"
        person_dir.mkdir()
        pcap = write_pcap(self.tmp / "person.pcap", PERSON)
        person = Sipp(
            scenario(person_dir, "uas_greeting.xml", GREETING_PCAP=str(pcap)),
            person_dir,
            1,
            await sink(self.person_sink),
        )
        self.sipps.append(person)
        for k, clip in enumerate([AGENT_VOICE, AGENT_VOICE_2][: self.agents]):
            d = self.tmp / f"agent{k}"
            d.mkdir()
            self.agent_sinks.append(RtpSink())
            agent_pcap = write_pcap(d / "agent.pcap", clip)
            if self.agent_hangs_up_ms is None:
                path = scenario(d, "uas_agent.xml", AGENT_PCAP=str(agent_pcap))
            else:
                path = scenario(
                    d,
                    "uas_hangup.xml",
                    GREETING_PCAP=str(agent_pcap),
                    HANGUP_MS=str(self.agent_hangs_up_ms),
                )
            self.sipps.append(Sipp(path, d, 1, await sink(self.agent_sinks[-1])))
        carrier = MediaPlaneTelephony(trunk=person.trunk, work_dir=self.tmp / "sip")
        try:
            for s in self.sipps:
                await s.start()
            await carrier.start()
            await body(carrier, self)
        finally:
            await carrier.close()
            for s in self.sipps:
                if s.proc is not None and s.proc.returncode is None:
                    s.proc.kill()
                    await s.proc.wait()
            for t in transports:
                t.close()

    def agent_uri(self, k: int) -> str:
        return f"sip:desk{k}@{self.sipps[1 + k].trunk}"

    async def until(self, stream: AsyncIterator[tel.CallEvent], kind: str) -> tel.CallEvent:
        return await next_event(self.events, stream, kind)

    async def finish(self) -> None:
        for s in self.sipps:
            assert await s.finish() == 0, s.report()


def a_dial(tmp: Path, **over: object) -> tel.Dial:
    harbor = write_wav(tmp / "harbor.wav", SAFE_HARBOR)
    prompts = {tel.SAFE_HARBOR: tel.Prompt("(safe harbor)", 2.0, str(harbor))}
    fields: dict[str, object] = {
        "call_id": "c-live",
        "to": "+16145550101",
        "caller_id": CALLER_ID,
        "ring_timeout_s": 10.0,
        "prompts": prompts,
    } | over
    return tel.Dial(**fields)  # type: ignore[arg-type]


def run(
    tmp: Path, body: Callable[[MediaPlaneTelephony, Bench], Awaitable[None]], **kw: int
) -> Bench:
    bench = Bench(tmp, **kw)
    asyncio.run(asyncio.wait_for(bench.run(body), 60))
    return bench


def test_a_person_judged_human_is_heard_by_the_ready_agent_within_two_seconds(
    tmp_path: Path,
) -> None:
    async def body(carrier: MediaPlaneTelephony, b: Bench) -> None:
        stream = carrier.events()
        await carrier.agent_login(tel.AgentLeg("user:7", "sip", b.agent_uri(0), CALLER_ID))
        up = await b.until(stream, tel.AGENT_UP)
        assert (up.call_id, up.detail) == ("", "user:7")
        await carrier.dial(a_dial(b.tmp))
        await b.until(stream, tel.HUMAN)
        await carrier.bridge("c-live", "user:7")
        bridged = await b.until(stream, tel.BRIDGED)
        assert (bridged.call_id, bridged.detail) == ("c-live", "user:7")
        with pytest.raises(TelephonyError, match="on another call"):
            await carrier.bridge("c-live", "user:7")
        await asyncio.sleep(2.5)  # they talk
        await carrier.hangup("c-live")
        await b.until(stream, tel.HANGUP)
        # the agent's leg is nailed up: still open, idle again, ready for the next call
        assert carrier.agents.idle("user:7").rtp is not None
        await carrier.agent_logout("user:7")
        down = await asyncio.wait_for(anext(stream), 15)
        assert (down.kind, down.detail, down.prompt) == (tel.AGENT_DOWN, "user:7", "logged out")
        await b.finish()

    b = run(tmp_path, body)
    # the agent heard the person: their talk, frame for frame, after the greeting
    at_agent = heard(b.agent_sinks[0])
    person_frames = found(at_agent, PERSON)
    assert person_frames, "the agent never heard the person"
    connect_s = (person_frames[0] - GREETING_END) * 0.02
    assert 0 < connect_s < 2.0, connect_s
    heard_talk = [p for p in at_agent if p in set(frames(PERSON))]
    assert best_match(PERSON.astype(np.float64), pcm(heard_talk[-RATE // FRAME :])) > 0.9
    assert person_frames == list(range(person_frames[0], person_frames[0] + len(person_frames)))
    # the person heard the agent (and nothing of the agent before the bridge)
    at_person = heard(b.person_sink)
    agent_frames = found(at_person, AGENT_VOICE)
    assert len(agent_frames) >= 100, len(agent_frames)  # >= 2 s of the agent's voice
    heard_agent = [p for p in at_person if p in set(frames(AGENT_VOICE))]
    assert best_match(AGENT_VOICE.astype(np.float64), pcm(heard_agent[: RATE // FRAME])) > 0.9
    print(f"connect from the greeting's end: {connect_s:.2f} s")


def test_with_no_agent_ready_the_bridge_is_refused_and_the_safe_harbor_message_plays(
    tmp_path: Path,
) -> None:
    async def body(carrier: MediaPlaneTelephony, b: Bench) -> None:
        stream = carrier.events()
        await carrier.dial(a_dial(b.tmp))
        await b.until(stream, tel.HUMAN)
        with pytest.raises(TelephonyError, match="user:7 has no open leg"):
            await carrier.bridge("c-live", "user:7")
        await carrier.play("c-live", tel.SAFE_HARBOR)
        await b.until(stream, tel.PLAYED)
        await carrier.hangup("c-live")
        await b.until(stream, tel.HANGUP)
        assert not any(e.kind == tel.BRIDGED for e in b.events)
        assert await b.sipps[0].finish() == 0, b.sipps[0].report()

    b = run(tmp_path, body, agents=0)
    at_person = heard(b.person_sink)
    assert best_match(pcm(at_person), SAFE_HARBOR) > 0.9


def test_a_cold_transfer_to_another_agent_moves_the_person_to_that_agents_leg(
    tmp_path: Path,
) -> None:
    async def body(carrier: MediaPlaneTelephony, b: Bench) -> None:
        stream = carrier.events()
        for k in (0, 1):
            await carrier.agent_login(tel.AgentLeg(f"user:{k}", "sip", b.agent_uri(k)))
            await b.until(stream, tel.AGENT_UP)
        await carrier.dial(a_dial(b.tmp))
        await b.until(stream, tel.HUMAN)
        await carrier.bridge("c-live", "user:0")
        await b.until(stream, tel.BRIDGED)
        await asyncio.sleep(0.5)
        await carrier.transfer("c-live", "user:1", warm=False)
        moved = await b.until(stream, tel.TRANSFERRED)
        assert moved.detail == "cold:user:1"
        again = await b.until(stream, tel.BRIDGED)
        assert again.detail == "user:1"
        await asyncio.sleep(1.5)
        await carrier.hangup("c-live")
        await b.until(stream, tel.HANGUP)
        for k in (0, 1):  # both legs stay up, idle
            carrier.agents.idle(f"user:{k}")
            await carrier.agent_logout(f"user:{k}")
        await b.finish()

    b = run(tmp_path, body, agents=2)
    assert found(heard(b.agent_sinks[1]), PERSON), "agent 1 never heard the person"
    assert found(heard(b.person_sink), AGENT_VOICE_2), "the person never heard agent 1"


@pytest.mark.parametrize("warm", [True, False])
def test_a_transfer_to_a_lawyers_sip_address_bridges_the_person_to_the_lawyer(
    tmp_path: Path, warm: bool
) -> None:
    how = "warm" if warm else "cold"

    async def body(carrier: MediaPlaneTelephony, b: Bench) -> None:
        stream = carrier.events()
        await carrier.agent_login(tel.AgentLeg("user:7", "sip", b.agent_uri(0)))
        await b.until(stream, tel.AGENT_UP)
        await carrier.dial(a_dial(b.tmp))
        await b.until(stream, tel.HUMAN)
        await carrier.bridge("c-live", "user:7")
        await b.until(stream, tel.BRIDGED)
        lawyer = b.agent_uri(1)  # the second phone is not logged in: a lawyer's line
        await carrier.transfer("c-live", lawyer, warm=warm)
        line = carrier.agents.lines["user:7"]
        assert line.call_id == ("c-live" if warm else "")  # warm: the agent stays on
        done = await b.until(stream, tel.TRANSFERRED)
        assert done.detail == f"{how}:{lawyer}"
        again = await b.until(stream, tel.BRIDGED)
        assert again.detail == lawyer
        assert line.call_id == ""  # back to idle, still up
        carrier.agents.idle("user:7")
        await asyncio.sleep(1.5)
        await carrier.hangup("c-live")  # the lawyer's leg ends with the call
        await b.until(stream, tel.HANGUP)
        await carrier.agent_logout("user:7")
        await b.finish()

    b = run(tmp_path, body, agents=2)
    assert found(heard(b.agent_sinks[1]), PERSON), "the lawyer never heard the person"
    assert found(heard(b.person_sink), AGENT_VOICE_2), "the person never heard the lawyer"


def test_a_transfer_nobody_answers_is_recorded_failed_and_the_person_keeps_the_agent(
    tmp_path: Path,
) -> None:
    async def body(carrier: MediaPlaneTelephony, b: Bench) -> None:
        stream = carrier.events()
        await carrier.agent_login(tel.AgentLeg("user:7", "sip", b.agent_uri(0)))
        await b.until(stream, tel.AGENT_UP)
        await carrier.dial(a_dial(b.tmp))
        await b.until(stream, tel.HUMAN)
        await carrier.bridge("c-live", "user:7")
        await b.until(stream, tel.BRIDGED)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:
            closed.bind(("127.0.0.1", 0))  # a port that answers nothing
            port = closed.getsockname()[1]
        nobody = f"sip:lawyer@127.0.0.1:{port}"
        carrier.transfer_ring_s = 3.0
        await carrier.transfer("c-live", nobody, warm=False)
        failed = await b.until(stream, tel.TRANSFERRED)
        assert failed.detail == f"failed:cold:{nobody}", failed
        back = await b.until(stream, tel.BRIDGED)  # the cold transfer failed: back to 7
        assert back.detail == "user:7"
        await carrier.hangup("c-live")
        await b.until(stream, tel.HANGUP)
        await carrier.agent_logout("user:7")
        await b.finish()

    run(tmp_path, body)


def test_an_agent_who_hangs_up_mid_call_is_reported_down_and_the_call_stays_up(
    tmp_path: Path,
) -> None:
    async def body(carrier: MediaPlaneTelephony, b: Bench) -> None:
        stream = carrier.events()
        await carrier.agent_login(tel.AgentLeg("user:7", "sip", b.agent_uri(0)))
        await b.until(stream, tel.AGENT_UP)
        await carrier.dial(a_dial(b.tmp))
        await b.until(stream, tel.HUMAN)
        await carrier.bridge("c-live", "user:7")
        await b.until(stream, tel.BRIDGED)
        down = await asyncio.wait_for(anext(stream), 15)  # the phone's own BYE
        assert (down.kind, down.detail, down.prompt) == (tel.AGENT_DOWN, "user:7", "far end")
        assert "c-live" in carrier.table.calls  # the flow decides; the call is still up
        with pytest.raises(TelephonyError, match="no open leg"):
            await carrier.bridge("c-live", "user:7")
        await carrier.hangup("c-live")
        await b.until(stream, tel.HANGUP)
        await b.finish()

    run(tmp_path, body, agent_hangs_up_ms=7000)


def test_ten_bridged_calls_lose_under_one_percent_and_connect_within_two_seconds(
    tmp_path: Path,
) -> None:
    """``bench/bridge_concurrency.py`` at a size CI affords: its figures are the checks."""
    bench = Path(__file__).resolve().parents[3] / "bench" / "bridge_concurrency.py"
    out = tmp_path / "rows.json"
    args = ["--calls", "10", "--talk", "3", "--no-baseline", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, str(bench), *args], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (row,) = json.loads(out.read_text())
    for key in ("agents up", "human", "bridged", "agent heard", "person heard"):
        assert row[key] == 10, f"{key}: {row[key]}\n{proc.stdout}"
    assert row["legs"] == 20 and row["sipp exits"] == "0,0", proc.stdout
    assert row["RTP loss %"] < 1.0, proc.stdout
    assert row["connect max s"] < 2.0, proc.stdout
