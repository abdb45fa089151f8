"""The answering side of SDES (``srtp`` rule 5, as the WebRTC gateway answers the plane's
offer) and the gateway's RTP endpoint keyed by it (``webrtc_audio`` rule 3b): real keys and
libsrtp, no network."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

import numpy as np
import pytest

from lexdial.adapters.telephony import srtp
from lexdial.adapters.telephony.rtp_codec import ulaw_decode, ulaw_encode
from lexdial.adapters.telephony.sip_message import parse_sdp, sdp_offer
from lexdial.adapters.telephony.webrtc_audio import PlaneTrack, RtpEndpoint

SHA1_80, SHA1_32 = "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"


def packet(seq: int, payload: bytes = b"\x55" * 160, pt: int = 0) -> bytes:
    return struct.pack(">BBHII", 0x80, pt, seq, seq * 160, 0xC0FFEE) + payload


def inline(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_the_answer_takes_the_first_usable_offered_line_with_a_fresh_key_of_its_own() -> None:
    offered = srtp.offer_keys()  # _80 on tag 1, _32 on tag 2, as the plane offers
    crypto = srtp.answer_offer(srtp.lines(offered))
    assert crypto is not None
    assert (crypto.ours.tag, crypto.ours.suite) == (1, SHA1_80) == (offered[0].tag, crypto.suite)
    assert crypto.ours.key != offered[0].key and len(crypto.ours.key) == srtp.KEY_BYTES
    # the offerer's order is its preference, whatever the suite
    reordered = srtp.answer_offer(tuple(reversed(srtp.lines(offered))))
    assert reordered is not None and (reordered.ours.tag, reordered.suite) == (2, SHA1_32)


def test_every_answer_gets_its_own_key() -> None:
    lines = srtp.lines(srtp.offer_keys())
    keys = set()
    for _ in range(20):
        crypto = srtp.answer_offer(lines)
        assert crypto is not None
        keys.add(crypto.ours.key)
    assert len(keys) == 20


def test_unusable_offered_lines_are_skipped_and_none_usable_gives_no_crypto() -> None:
    good = srtp.offer_keys()[1]
    unusable = (
        f"a=crypto:1 F8_128_HMAC_SHA1_80 inline:{inline(bytes(30))}",  # a suite we lack
        f"a=crypto:3 {SHA1_80} inline:{inline(bytes(30))}|2^20|1:4",  # an MKI
        f"a=crypto:4 {SHA1_80} inline:{inline(bytes(30))} UNENCRYPTED_SRTP",
        f"a=crypto:5 {SHA1_80} inline:{inline(bytes(16))}",  # a short key
    )
    crypto = srtp.answer_offer((*unusable, good.line()))
    assert crypto is not None and crypto.ours.tag == good.tag and crypto.suite == good.suite
    assert srtp.answer_offer(unusable) is None
    assert srtp.answer_offer(()) is None


def test_the_answer_s_key_is_never_in_its_repr() -> None:
    crypto = srtp.answer_offer(srtp.lines(srtp.offer_keys()))
    assert crypto is not None
    key = crypto.ours.key
    for text in (repr(crypto), repr(crypto.ours), str(crypto)):
        assert inline(key) not in text and key.hex() not in text and repr(key) not in text


@pytest.mark.parametrize("mode", ["offer", "require"])
def test_the_offerer_takes_the_answer_and_each_side_reads_what_the_other_protects(
    mode: str,
) -> None:
    offered, profile = srtp.offer(mode)
    offer = parse_sdp(sdp_offer(4000, srtp.lines(offered), profile=profile)("127.0.0.1"))
    assert offer is not None
    answerer = srtp.answer_offer(offer.crypto)
    assert answerer is not None
    offerer = srtp.answer(mode, offered, (answerer.ours.line(),))
    assert offerer is not None and offerer.suite == answerer.suite
    assert answerer.unprotect(offerer.protect(packet(1))) == packet(1)
    assert offerer.unprotect(answerer.protect(packet(2))) == packet(2)
    bad = bytearray(offerer.protect(packet(3)))
    bad[30] ^= 0x40
    assert answerer.unprotect(bytes(bad)) is None and answerer.failed == 1


class Wire:
    """A datagram transport stand-in that keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Any]] = []

    def sendto(self, data: bytes, addr: Any) -> None:
        self.sent.append((data, addr))

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


def endpoint(crypto: srtp.Crypto | None) -> tuple[RtpEndpoint, Wire]:
    ep = RtpEndpoint(PlaneTrack())
    wire = Wire()
    ep.connection_made(wire)  # type: ignore[arg-type]
    ep.remote, ep.crypto = ("127.0.0.1", 40000), crypto
    return ep, wire


def test_a_keyed_gateway_leg_sends_srtp_and_plays_only_what_authenticates() -> None:
    async def go() -> None:
        offered, _ = srtp.offer("require")
        gateway = srtp.answer_offer(srtp.lines(offered))
        assert gateway is not None
        plane = srtp.answer("require", offered, (gateway.ours.line(),))
        assert plane is not None
        ep, wire = endpoint(gateway)
        tone = (np.sin(np.arange(160) / 3) * 8000).astype(np.int16)
        ep.send_pcm(tone)
        sent, addr = wire.sent[0]
        assert addr == ("127.0.0.1", 40000) and len(sent) == 12 + 160 + 10
        assert sent[12:172] != ulaw_encode(tone)  # not the plain payload on the wire
        plain = plane.unprotect(sent)
        assert plain is not None and plain[12:] == ulaw_encode(tone)

        payload = ulaw_encode(tone)
        ep.datagram_received(plane.protect(packet(10, payload)), ("127.0.0.1", 40000))
        assert ep.received == 1 and len(ep.track.queue) == 1
        assert ep.track.queue[0] == ulaw_decode(payload).tobytes()
        forged = bytearray(plane.protect(packet(11, payload)))
        forged[-1] ^= 1  # a bad authentication tag
        ep.datagram_received(bytes(forged), ("127.0.0.1", 40000))
        ep.datagram_received(packet(12, payload), ("127.0.0.1", 40000))  # plain: no tag
        assert ep.received == 1 and len(ep.track.queue) == 1 and gateway.failed == 2
        ep.track.stop()

    asyncio.run(go())


def test_an_unkeyed_gateway_leg_stays_plain_rtp() -> None:
    async def go() -> None:
        ep, wire = endpoint(None)
        tone = (np.sin(np.arange(160) / 3) * 8000).astype(np.int16)
        ep.send_pcm(tone)
        assert len(wire.sent[0][0]) == 172 and wire.sent[0][0][12:] == ulaw_encode(tone)
        ep.datagram_received(packet(1, ulaw_encode(tone)), ("127.0.0.1", 40000))
        assert ep.received == 1 and len(ep.track.queue) == 1
        ep.track.stop()

    asyncio.run(go())
