"""SRTP on agents' legs and on ``sip:`` transfer targets (``agent_legs`` rule 1b,
``plane_signalling`` rule 1b): the ``agent_srtp`` setting, the offer an agent's phone gets
and what its answer does to the leg, with real keys and libsrtp but no network."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.unit.telephony.test_agent_legs import FakeEngine, reply, request
from tests.unit.telephony.test_srtp import settings

from lexdial.adapters.telephony import srtp
from lexdial.adapters.telephony.agent_legs import AgentLines
from lexdial.adapters.telephony.plane_signalling import PlaneSignalling
from lexdial.adapters.telephony.sip_dialog import Dialog
from lexdial.adapters.telephony.sip_message import parse_sdp
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.bootstrap import sip_trunk
from lexdial.domain import telephony as tel
from lexdial.errors import ConfigError

PHONE_KEY = srtp.Key(1, "AES_CM_128_HMAC_SHA1_80", bytes(range(30)))
LEG = tel.AgentLeg("user:7", "sip", "sip:desk7@127.0.0.1:5099", "+16145550100")


@pytest.mark.parametrize(
    ("extra", "mode"),
    [
        ("", "off"),  # desk phones on a LAN often have no SRTP
        ('transport = "tls"', "off"),  # the trunk's TLS says nothing of the office LAN
        ('transport = "tls"\nsrtp = "require"', "off"),  # nor does the trunk's srtp
        ('agent_srtp = "offer"', "offer"),
        ('agent_srtp = "require"', "require"),
        ('agent_srtp = "off"\nsrtp = "offer"', "off"),
    ],
)
def test_agent_srtp_is_off_unless_set_and_independent_of_the_trunk_s(
    tmp_path: Path, extra: str, mode: str
) -> None:
    assert sip_trunk(settings(tmp_path, extra)).agent_srtp == mode


@pytest.mark.parametrize("value", ['"on"', "true", '"OFFER"', "1"])
def test_a_wrong_agent_srtp_is_refused_naming_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(
        ConfigError, match=r"telephony\.agent_srtp must be one of off, offer, require"
    ):
        settings(tmp_path, f"agent_srtp = {value}")


def test_a_trunk_names_a_wrong_agent_srtp() -> None:
    assert Trunk(address="t.example").agent_srtp == "off"
    with pytest.raises(ValueError, match="agent_srtp 'on': off, offer or require"):
        Trunk(address="t.example", agent_srtp="on")


@dataclass
class SdpUa:
    """A UA stand-in that keeps the SDP each INVITE offered and the requests sent."""

    sent: list[str] = field(default_factory=list)
    offers: list[bytes] = field(default_factory=list)
    next_hop: tuple[str, int] = ("127.0.0.1", 5070)
    trunk: Trunk = field(default_factory=lambda: Trunk(address="127.0.0.1:5070"))

    def invite(self, uri: str, caller: str, sdp_for: Any, *, dest: Any = None) -> Dialog:
        self.offers.append(sdp_for("127.0.0.1"))
        return Dialog("c1", uri, "", self.offers[-1])

    def cancel(self, d: Dialog) -> None:
        self.sent.append("CANCEL")

    async def request(self, d: Dialog, method: str, *a: Any) -> None:
        self.sent.append(method)

    def forget(self, d: Dialog) -> None:
        self.sent.append("forget")


def answer_sdp(*crypto: str, profile: str = "RTP/AVP") -> bytes:
    lines = ["v=0", "c=IN IP4 127.0.0.1", f"m=audio 40000 {profile} 0 101", *crypto]
    return ("\r\n".join(lines) + "\r\n").encode()


def agents_with(mode: str) -> tuple[AgentLines, SdpUa, FakeEngine, list[tel.CallEvent]]:
    ua, engine, events = SdpUa(), FakeEngine(), []
    trunk = Trunk(address="127.0.0.1:5070", agent_srtp=mode)
    agents = AgentLines(ua, engine, trunk, events.append, lambda line: None)  # type: ignore[arg-type]
    return agents, ua, engine, events


def rtp_packet(seq: int) -> bytes:
    return struct.pack(">BBHII", 0x80, 0, seq, seq * 160, 0xC0FFEE) + b"\x55" * 160


def test_offer_keys_the_agent_s_leg_from_the_phone_s_answer() -> None:
    async def go() -> None:
        agents, ua, engine, events = agents_with("offer")
        await agents.login(LEG)
        offered = parse_sdp(ua.offers[0])
        assert offered is not None and len(offered.crypto) == 2  # both suites
        assert b" RTP/AVP " in ua.offers[0]  # best effort: a plain phone still answers
        line = agents.lines["user:7"]
        assert line.dialog is not None
        line.dialog.on_response(reply(200, answer_sdp(PHONE_KEY.line())))
        assert [e.kind for e in events] == [tel.AGENT_UP]
        crypto: srtp.Crypto = engine.legs[0].crypto  # type: ignore[attr-defined]
        assert crypto is not None and crypto.suite == PHONE_KEY.suite
        # what the leg sends reads with our offered key 1; what the phone sends, with its own
        ours = srtp.parse_crypto(offered.crypto[0])
        assert ours is not None
        phone = srtp.Crypto(PHONE_KEY, ours)
        assert phone.unprotect(crypto.protect(rtp_packet(1))) == rtp_packet(1)
        assert crypto.unprotect(phone.protect(rtp_packet(2))) == rtp_packet(2)
        # a re-INVITE is answered with only the chosen line (``srtp.settled``)
        kept = parse_sdp(line.dialog.sdp)
        assert kept is not None and kept.crypto == (offered.crypto[0],)

    asyncio.run(go())


def test_offer_answered_plain_is_a_plain_leg_and_off_offers_no_keys() -> None:
    async def go() -> None:
        for mode in ("offer", "off"):
            agents, ua, engine, events = agents_with(mode)
            await agents.login(LEG)
            line = agents.lines["user:7"]
            assert line.dialog is not None
            line.dialog.on_response(reply(200, answer_sdp()))
            assert [e.kind for e in events] == [tel.AGENT_UP]
            assert engine.legs[0].crypto is None  # type: ignore[attr-defined]
            offered = parse_sdp(ua.offers[0])
            assert offered is not None
            assert bool(offered.crypto) == (mode == "offer")

    asyncio.run(go())


def test_require_fails_the_log_in_when_the_phone_answers_plain() -> None:
    async def go() -> None:
        agents, ua, engine, events = agents_with("require")
        await agents.login(LEG)
        assert b" RTP/SAVP " in ua.offers[0]
        line = agents.lines["user:7"]
        assert line.dialog is not None
        line.dialog.on_response(reply(200, answer_sdp()))
        await asyncio.sleep(0)  # the BYE task runs
        assert [(e.kind, e.prompt) for e in events] == [(tel.AGENT_DOWN, "no SRTP in the answer")]
        assert "BYE" in ua.sent and engine.legs[0].closed
        assert engine.legs[0].remote is None  # never started: no plain RTP was sent

    asyncio.run(go())


def test_require_refused_by_the_phone_says_srtp_was_the_reason() -> None:
    async def go() -> None:
        for mode, reason in (
            ("require", "sip 488: the phone refused SRTP (agent_srtp = require)"),
            ("offer", "sip 488"),
        ):
            agents, _, _, events = agents_with(mode)
            await agents.login(LEG)
            line = agents.lines["user:7"]
            assert line.dialog is not None
            line.dialog.on_response(reply(488))
            assert [(e.kind, e.prompt) for e in events] == [(tel.AGENT_DOWN, reason)]

    asyncio.run(go())


def test_a_phone_s_re_invite_with_a_new_key_is_followed() -> None:
    async def go() -> None:
        agents, ua, engine, _ = agents_with("offer")
        await agents.login(LEG)
        line = agents.lines["user:7"]
        assert line.dialog is not None
        line.dialog.on_response(reply(200, answer_sdp(PHONE_KEY.line())))
        crypto: srtp.Crypto = engine.legs[0].crypto  # type: ignore[attr-defined]
        new = srtp.Key(1, PHONE_KEY.suite, bytes(range(30, 60)))
        line.dialog.on_request(request("INVITE", answer_sdp(new.line())))
        offered = parse_sdp(ua.offers[0])
        assert offered is not None
        ours = srtp.parse_crypto(offered.crypto[0])
        assert ours is not None
        assert crypto.unprotect(srtp.Crypto(new, ours).protect(rtp_packet(3))) == rtp_packet(3)

    asyncio.run(go())


@dataclass
class OfferLeg:
    port: int = 30000
    keys: tuple[srtp.Key, ...] = ()


def test_a_sip_transfer_target_follows_agent_srtp_and_a_number_the_trunk_s() -> None:
    ua = SdpUa(trunk=Trunk(address="127.0.0.1:5070", srtp="require", agent_srtp="offer"))
    plane = PlaneSignalling(
        ua,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        detect=False,
        end=lambda *a: None,
        hangup=None,  # type: ignore[arg-type]
    )
    call: Any = type("Call", (), {"dialog": None})()
    direct, through = OfferLeg(), OfferLeg()
    plane.invite(call, "sip:desk9@10.0.0.9", "lexdial", direct, dest=("10.0.0.9", 5060))  # type: ignore[arg-type]
    plane.invite(call, "sip:+16145550101@t", "lexdial", through)  # type: ignore[arg-type]
    assert b" RTP/AVP " in ua.offers[0] and len(direct.keys) == 2  # agent_srtp = offer
    assert b" RTP/SAVP " in ua.offers[1] and len(through.keys) == 2  # srtp = require
    ua.trunk = Trunk(address="127.0.0.1:5070", srtp="require")  # agent_srtp off
    plane.invite(call, "sip:desk9@10.0.0.9", "lexdial", direct, dest=("10.0.0.9", 5060))  # type: ignore[arg-type]
    assert direct.keys == () and b"a=crypto" not in ua.offers[2]


def test_agreed_settles_our_sdp_only_when_srtp_was_agreed() -> None:
    keys, _ = srtp.offer("offer")
    sdp = ("v=0\r\no=lexdial 5 5 IN IP4 127.0.0.1\r\n" + "\r\n".join(srtp.lines(keys))).encode()
    crypto, kept = srtp.agreed("offer", keys, (PHONE_KEY.line(),), sdp)
    assert crypto is not None and kept == srtp.settled(sdp, keys[0])
    assert kept.count(b"a=crypto:") == 1 and b"o=lexdial 5 6 " in kept
    assert srtp.agreed("offer", keys, (), sdp) == (None, sdp)  # plain: our SDP as offered
    with pytest.raises(srtp.SrtpMissingError):
        srtp.agreed("require", keys, (), sdp)
