"""Agents' nailed-up legs (``agent_legs``): the leg's life from its SIP answers, no network.

The UA and the media engine are stand-ins that record what is asked of them; the SIP
messages are parsed from text as they come off the wire.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from lexdial.adapters.telephony.agent_legs import AgentLines, uri_host_port
from lexdial.adapters.telephony.sip_dialog import Dialog
from lexdial.adapters.telephony.sip_message import parse
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

SDP = b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 40000 RTP/AVP 0 101\r\n"


def reply(code: int, body: bytes = b"") -> Any:
    text = (
        f"SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n"
        f"Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return parse(text.encode() + body)


def request(method: str, body: bytes = b"") -> Any:
    text = (
        f"{method} sip:lexdial@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9\r\n"
        f"Call-ID: c1\r\nCSeq: 2 {method}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return parse(text.encode() + body)


@dataclass
class FakeLeg:
    port: int = 30000
    remote: tuple[str, int] | None = None
    closed: bool = False
    on_heard: Any = None
    received: int = 0

    def start(self, host: str, port: int, *, dtmf_pt: int = 101) -> None:
        self.remote = (host, port)

    def stop_playing(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeEngine:
    legs: list[FakeLeg] = field(default_factory=list)
    disconnected: list[FakeLeg] = field(default_factory=list)

    def open(self, key: str) -> FakeLeg:
        self.legs.append(FakeLeg())
        return self.legs[-1]

    def disconnect(self, leg: FakeLeg) -> None:
        self.disconnected.append(leg)


@dataclass
class FakeUa:
    sent: list[tuple[str, Any]] = field(default_factory=list)
    next_hop: tuple[str, int] = ("127.0.0.1", 5070)

    def invite(self, uri: str, caller: str, sdp_for: Any, *, dest: Any = None) -> Dialog:
        self.sent.append(("INVITE", (uri, caller, dest)))
        return Dialog("c1", uri, "", b"")

    def cancel(self, d: Dialog) -> None:
        self.sent.append(("CANCEL", None))

    async def request(self, d: Dialog, method: str, *a: Any) -> None:
        self.sent.append((method, None))

    def forget(self, d: Dialog) -> None:
        self.sent.append(("forget", None))


def lines() -> tuple[AgentLines, FakeUa, FakeEngine, list[tel.CallEvent], list[str]]:
    ua, engine, events, dropped = FakeUa(), FakeEngine(), [], []
    agents = AgentLines(
        ua,  # type: ignore[arg-type]
        engine,  # type: ignore[arg-type]
        Trunk(address="127.0.0.1:5070"),
        events.append,
        lambda line: dropped.append(line.agent),
    )
    return agents, ua, engine, events, dropped


LEG = tel.AgentLeg("user:7", "sip", "sip:desk7@127.0.0.1:5099", "+16145550100")


def test_the_agent_uri_host_and_port_are_where_the_invite_goes() -> None:
    assert uri_host_port("sip:desk7@127.0.0.1:5099") == ("127.0.0.1", 5099)
    assert uri_host_port("sip:desk7@phone.example;transport=udp") == ("phone.example", 5060)
    assert uri_host_port("sip:[::1]:5080") == ("::1", 5080)
    for bad in ("sips:desk7@phone.example", "tel:+16145550100", "desk7", ""):
        with pytest.raises(TelephonyError, match="address"):
            uri_host_port(bad)


def test_an_answered_leg_is_up_idle_and_goes_straight_to_the_phone() -> None:
    async def go() -> None:
        agents, ua, engine, events, _ = lines()
        await agents.login(LEG)
        assert ua.sent[0] == ("INVITE", (LEG.address, "+16145550100", ("127.0.0.1", 5099)))
        with pytest.raises(TelephonyError, match="no open leg"):
            agents.idle("user:7")  # ringing is not up
        line = agents.lines["user:7"]
        assert line.dialog is not None
        line.dialog.on_response(reply(200, SDP))
        assert [(e.call_id, e.kind, e.detail) for e in events] == [("", tel.AGENT_UP, "user:7")]
        assert agents.idle("user:7") is line and engine.legs[0].remote == ("127.0.0.1", 40000)
        line.call_id = "c-1"
        with pytest.raises(TelephonyError, match="on another call"):
            agents.idle("user:7")
        agents.release("c-1")  # the call ended: idle again, still up
        assert agents.idle("user:7") is line and not engine.legs[0].closed
        with pytest.raises(TelephonyError, match="already has a leg"):
            await agents.login(LEG)

    asyncio.run(go())


def test_a_phone_that_refuses_or_hangs_up_is_reported_down_with_the_reason() -> None:
    async def go() -> None:
        agents, _, engine, events, dropped = lines()
        await agents.login(LEG)
        line = agents.lines["user:7"]
        assert line.dialog is not None
        line.dialog.on_response(reply(486))
        assert [(e.kind, e.detail, e.prompt) for e in events] == [
            (tel.AGENT_DOWN, "user:7", "sip 486")
        ]
        assert engine.legs[0].closed and "user:7" not in agents.lines
        events.clear()
        await agents.login(LEG)  # may log in again once down
        line = agents.lines["user:7"]
        assert line.dialog is not None
        line.dialog.on_response(reply(200, SDP))
        line.call_id = "c-2"
        line.dialog.on_request(request("BYE"))
        assert [(e.kind, e.prompt) for e in events] == [
            (tel.AGENT_UP, None),
            (tel.AGENT_DOWN, "far end"),
        ]
        assert dropped == ["user:7"]  # the call it served is told

    asyncio.run(go())


def test_a_re_invite_moves_the_media_and_logout_says_so() -> None:
    async def go() -> None:
        agents, ua, engine, events, _ = lines()
        await agents.login(LEG)
        line = agents.lines["user:7"]
        assert line.dialog is not None
        line.dialog.on_response(reply(200, SDP))
        line.dialog.on_request(request("INVITE", SDP.replace(b"40000", b"40002")))
        assert engine.legs[0].remote == ("127.0.0.1", 40002)
        await agents.logout("user:7")
        assert ("BYE", None) in ua.sent
        assert (events[-1].kind, events[-1].prompt) == (tel.AGENT_DOWN, "logged out")
        await agents.logout("user:7")  # nothing open: nothing to do

    asyncio.run(go())


def test_only_sip_endpoints_and_labelled_agents_are_called() -> None:
    async def go() -> None:
        agents, ua, _, _, _ = lines()
        with pytest.raises(TelephonyError, match="kind"):
            await agents.login(tel.AgentLeg("user:7", "twilio_client", "desk-7"))
        with pytest.raises(TelephonyError, match="address"):
            await agents.login(tel.AgentLeg("user:7", "sip", "sips:desk7@phone.example"))
        assert ua.sent == []

    asyncio.run(go())


def test_an_unanswered_leg_is_cancelled_and_reported_down() -> None:
    async def go() -> None:
        agents, ua, _, events, _ = lines()
        agents.answer_timeout_s = 0.05
        await agents.login(LEG)
        await asyncio.sleep(0.1)
        assert ("CANCEL", None) in ua.sent
        assert [(e.kind, e.prompt) for e in events] == [(tel.AGENT_DOWN, "no answer")]

    asyncio.run(go())


def test_a_phone_that_stops_sending_media_is_hung_up_unless_it_is_on_hold() -> None:
    async def go() -> None:
        agents, ua, engine, events, _ = lines()
        agents.media_timeout_s = 0.4  # a loaded box may pause the loop ~0.2 s
        await agents.login(LEG)
        line = agents.lines["user:7"]
        assert line.dialog is not None
        line.dialog.on_response(reply(200, SDP))
        for _ in range(8):  # media keeps coming: the leg stays up
            engine.legs[0].received += 5
            await asyncio.sleep(0.05)
        assert [e.kind for e in events] == [tel.AGENT_UP]
        line.dialog.on_request(request("INVITE", SDP + b"a=inactive\r\n"))  # on hold
        await asyncio.sleep(0.9)
        assert [e.kind for e in events] == [tel.AGENT_UP]
        line.dialog.on_request(request("INVITE", SDP + b"a=sendrecv\r\n"))  # back, silent
        await asyncio.sleep(0.9)
        assert [(e.kind, e.prompt) for e in events][-1] == (tel.AGENT_DOWN, "no media")
        assert ("BYE", None) in ua.sent and engine.legs[0].closed

    asyncio.run(go())
