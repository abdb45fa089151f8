"""The softphone gateway's answer side against hostile SDES offers (``webrtc_gateway`` rule
2b): every malformed ``a=crypto:`` line — bad base64, a wrong key length, an unknown suite,
a hundred lines, a huge one — gets 488 under RTP/SAVP and a plain answer under RTP/AVP,
never an exception; and the gateway still answers a good offer afterwards."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

from lexdial.adapters.telephony.sip_message import sdp_offer
from lexdial.adapters.telephony.webrtc_gateway import WebRtcGateway

from .test_webrtc_gateway_srtp import USER, Plane, _rig

GOOD_KEY = base64.b64encode(bytes(range(30))).decode()
SUITE = "AES_CM_128_HMAC_SHA1_80"
HOSTILE: dict[str, tuple[str, ...]] = {
    "bad base64": (f"a=crypto:1 {SUITE} inline:@@@not*base64",),
    "base64 that does not decode": (f"a=crypto:1 {SUITE} inline:AAAAA",),
    "a short key": (f"a=crypto:1 {SUITE} inline:" + base64.b64encode(b"k" * 16).decode(),),
    "a long key": (f"a=crypto:1 {SUITE} inline:" + base64.b64encode(b"k" * 46).decode(),),
    "an unknown suite": (f"a=crypto:1 AEAD_AES_256_GCM inline:{GOOD_KEY}",),
    "a session parameter": (f"a=crypto:1 {SUITE} inline:{GOOD_KEY} UNENCRYPTED_SRTP",),
    "an MKI": (f"a=crypto:1 {SUITE} inline:{GOOD_KEY}|2^20|1:4",),
    "a huge tag": (f"a=crypto:99999999999999999999 {SUITE} inline:{GOOD_KEY}",),
    "no key at all": (f"a=crypto:1 {SUITE}",),
    "a hundred unusable lines": tuple(
        f"a=crypto:{i} {SUITE} inline:" + "A" * (i % 39) for i in range(1, 101)
    ),
    "a huge line": (f"a=crypto:1 {SUITE} inline:" + "A" * 30_000,),
    "binary junk": ("a=crypto:\x00\xff\xfe 1 2 3",),
}


def _offer(port: int, crypto: tuple[str, ...], profile: str) -> Callable[[str], bytes]:
    make = sdp_offer(port, profile=profile)
    extra = "".join(line + "\r\n" for line in crypto).encode("utf-8", "surrogateescape")
    return lambda host: make(host) + extra


async def _final(gateway: WebRtcGateway, plane: Plane, offer: Callable[[str], bytes]) -> Any:
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    d = plane.ua.invite(gateway.address(USER), "lexdial", offer)

    def on_response(msg: Any) -> None:
        if msg.status >= 200 and not done.done():
            done.set_result(msg)

    d.on_response = on_response
    return await asyncio.wait_for(done, 10)


def test_malformed_crypto_lines_get_488_under_savp_a_plain_answer_under_avp_and_never_break_the_gateway() -> (  # noqa: E501
    None
):
    async def test(gateway: WebRtcGateway, plane: Plane, browser: Any) -> None:
        leg = plane.engine.open("hostile")
        for name, lines in HOSTILE.items():
            refused = await _final(gateway, plane, _offer(leg.port, lines, "RTP/SAVP"))
            assert refused.status == 488, name
            plain = await _final(gateway, plane, _offer(leg.port, lines, "RTP/AVP"))
            assert plain.status == 200, name
            assert b"a=crypto:" not in plain.body and b"RTP/AVP" in plain.body, name
            assert gateway.status(USER)["browser"] == "connected", name
        good = f"a=crypto:1 {SUITE} inline:{GOOD_KEY}"
        keyed = await _final(gateway, plane, _offer(leg.port, (good,), "RTP/SAVP"))
        assert keyed.status == 200 and b"RTP/SAVP" in keyed.body
        assert keyed.body.count(b"a=crypto:") == 1
        leg.close()

    asyncio.run(_rig("require", test))


def test_an_offer_whose_audio_port_is_not_a_port_gets_488_and_opens_no_leg() -> None:
    async def test(gateway: WebRtcGateway, plane: Plane, browser: Any) -> None:
        for port in ("99999", "abc", "-5", "0"):

            def offer(host: str, port: str = port) -> bytes:
                head = f"v=0\r\no=x 1 1 IN IP4 {host}\r\ns=x\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
                return (head + f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n").encode()

            answer = await _final(gateway, plane, offer)
            assert answer.status == 488, port
            assert gateway.status(USER) == {"browser": "connected", "line": "closed"}, port

    asyncio.run(_rig("off", test))
