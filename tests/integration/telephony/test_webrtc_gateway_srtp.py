"""The softphone gateway under the plane's ``agent_srtp``: the media plane's real agent-leg
code (``AgentLines`` on its own SIP UA and RTP engine) opens a browser agent's leg at the
gateway, an aiortc peer is the browser. Each end sends its own sweep and must hear the
other's (correlation). What crosses the plane<->gateway hop is read off the loopback
interface with a raw packet socket (root): under "offer" and "require" it is SRTP (the
payloads do not decode as the plain sweep, yet decrypt to it with the keys the SDP
carried), under "off" it is the plain sweep.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from lexdial.adapters.telephony.agent_legs import AgentLines
from lexdial.adapters.telephony.rtp import MediaEngine
from lexdial.adapters.telephony.rtp_codec import FRAME_BYTES, ulaw_decode, ulaw_encode
from lexdial.adapters.telephony.sip_message import sdp_offer
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.adapters.telephony.sip_ua import SipUa
from lexdial.adapters.telephony.webrtc_gateway import WebRtcGateway
from lexdial.domain import telephony as tel

from .softphone_peers import Browser, best_match, chirp
from .test_webrtc_gateway import _browser, _until
from .wire_capture import LoopbackCapture, as_plain_pcmu, capture_denied, decrypted, sdp_exchange

UP, DOWN = chirp(300, 3000), chirp(3000, 300)  # the browser's voice, the plane's
SWEEP = 8000
USER = 21


class Plane:
    """The dialler's side: a SIP UA, an RTP engine and its agent legs, keyed by ``mode``."""

    def __init__(self, gateway_sip: str, mode: str) -> None:
        self.trunk = Trunk(address=gateway_sip, agent_srtp=mode)
        self.ua = SipUa(self.trunk)
        self.engine = MediaEngine(rtp_ports=(40000, 49999))
        self.events: list[tel.CallEvent] = []
        self.lines = AgentLines(self.ua, self.engine, self.trunk, self.events.append,
                                lambda line: None)  # fmt: skip

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    async def close(self) -> None:
        await self.lines.close()
        await self.engine.close()
        self.ua.close()


async def _rig(mode: str, test: Any) -> None:
    gateway = WebRtcGateway("127.0.0.1", 0)
    await gateway.start()
    plane = Plane(f"127.0.0.1:{gateway.sip_port}", mode)
    await plane.ua.start()
    browser: Browser | None = None
    try:
        browser = await _browser(gateway, USER)
        await asyncio.wait_for(test(gateway, plane, browser), 60)
    finally:
        if browser is not None:
            await browser.close()
        await plane.close()
        await gateway.close()


@pytest.fixture
def capture() -> Any:
    denied = capture_denied()
    if denied:
        pytest.skip(denied)
    with LoopbackCapture() as cap:
        yield cap


@pytest.mark.parametrize("mode", ["require", "offer", "off"])
def test_a_browser_agent_logs_in_under_agent_srtp_and_the_plane_to_gateway_hop_is_srtp_unless_off(
    mode: str, capture: LoopbackCapture
) -> None:
    async def test(gateway: WebRtcGateway, plane: Plane, browser: Browser) -> None:
        await plane.lines.login(tel.AgentLeg(f"user:{USER}", "sip", gateway.address(USER)))
        await _until(lambda: bool(plane.events))
        assert plane.kinds() == [tel.AGENT_UP], plane.events  # the agent logged in
        line = plane.lines.lines[f"user:{USER}"]
        rtp, endpoint = line.rtp, gateway.agents[USER].endpoint
        assert rtp is not None and endpoint is not None
        keyed = mode != "off"
        assert (rtp.crypto is not None, endpoint.crypto is not None) == (keyed, keyed)
        if keyed:
            assert rtp.crypto is not None and endpoint.crypto is not None
            assert rtp.crypto.suite == endpoint.crypto.suite == "AES_CM_128_HMAC_SHA1_80"
            assert endpoint.crypto.ours.key not in (k.key for k in rtp.keys)  # its own key
        pcm = ulaw_encode((DOWN * 32767).astype(np.int16))
        rtp.play("person", (pcm + b"\xff" * (-len(pcm) % FRAME_BYTES)) * 60)
        rtp.capture = True
        await asyncio.sleep(1.0)  # the jitter buffers settle
        rtp.take_audio()
        browser.take()
        browser.recording = True
        await asyncio.sleep(3.5)
        at_plane, at_browser = ulaw_decode(rtp.take_audio()) / 32767.0, browser.take()
        # audio both ways, each end hearing the other and not itself
        assert best_match(at_plane, UP[:SWEEP]) > 0.8
        assert best_match(at_plane, DOWN[:SWEEP]) < 0.3
        assert best_match(at_browser, DOWN[:SWEEP]) > 0.8
        assert best_match(at_browser, UP[:SWEEP]) < 0.3
        if keyed:  # no packet failed authentication on either side
            assert rtp.crypto is not None and endpoint.crypto is not None
            assert rtp.crypto.failed == 0 and endpoint.crypto.failed == 0

        # the wire between them
        seen = sdp_exchange(capture, gateway.sip_port)
        assert (seen.offer_port, seen.answer_port) == (rtp.port, endpoint.port)
        to_gateway = capture.between(rtp.port, endpoint.port)
        to_plane = capture.between(endpoint.port, rtp.port)
        assert len(to_gateway) > 150 and len(to_plane) > 150
        wire_down = best_match(as_plain_pcmu(to_gateway[-200:]), DOWN[:SWEEP])
        wire_up = best_match(as_plain_pcmu(to_plane[-200:]), UP[:SWEEP])
        if not keyed:
            assert seen.offer_crypto == seen.answer_crypto == ()
            assert {len(p) for p in to_gateway + to_plane} == {172}
            assert wire_down > 0.8 and wire_up > 0.8  # the check can see plain audio
            return
        profile = "RTP/SAVP" if mode == "require" else "RTP/AVP"
        assert seen.offer_profile == seen.answer_profile == profile
        # one line, for the plane's first (preferred) one, with a key of the gateway's own
        assert len(seen.answer_crypto) == 1
        answered, preferred = seen.answer_crypto[0].split(), seen.offer_crypto[0].split()
        assert answered[:2] == preferred[:2] == ["a=crypto:1", "AES_CM_128_HMAC_SHA1_80"]
        assert answered[2] != preferred[2]
        assert {len(p) for p in to_gateway + to_plane} == {172 + 10}  # the 80-bit tag
        assert wire_down < 0.2 and wire_up < 0.2, (wire_down, wire_up)
        # ...yet it is the audio: SDES keys cross the UDP signalling in clear, and the
        # plane's key (tag 1 of its offer) and the gateway's answer decrypt each side
        opened_down = decrypted(to_gateway[-200:], seen.offer_crypto[0])
        opened_up = decrypted(to_plane[-200:], seen.answer_crypto[0])
        assert best_match(as_plain_pcmu(opened_down), DOWN[:SWEEP]) > 0.8
        assert best_match(as_plain_pcmu(opened_up), UP[:SWEEP]) > 0.8

    asyncio.run(_rig(mode, test))


def test_an_rtp_savp_offer_without_a_usable_crypto_line_is_refused_488_never_answered_plain() -> (
    None
):
    async def test(gateway: WebRtcGateway, plane: Plane, browser: Browser) -> None:
        leg = plane.engine.open("bare")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        offer = sdp_offer(leg.port, ("a=crypto:1 F8_128_HMAC_SHA1_80 inline:" + "A" * 40,),
                          profile="RTP/SAVP")  # fmt: skip
        d = plane.ua.invite(gateway.address(USER), "lexdial", offer)

        def on_response(msg: Any) -> None:
            if msg.status >= 200 and not done.done():
                done.set_result(msg.status)

        d.on_response = on_response
        assert await done == 488
        assert gateway.status(USER) == {"browser": "connected", "line": "closed"}
        leg.close()

    asyncio.run(_rig("require", test))
