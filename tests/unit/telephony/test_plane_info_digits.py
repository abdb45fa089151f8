"""SIP INFO digits reach a media-plane call only from within its dialog (``plane_signalling``
rule 3): the UA routes by Call-ID, and the digit also needs the dialog's two tags."""

from __future__ import annotations

from typing import Any, cast

import pytest

from lexdial.adapters.telephony.plane_audio import PlaneAudio, PlaneCall
from lexdial.adapters.telephony.plane_signalling import PlaneSignalling
from lexdial.adapters.telephony.sip_dialog import Dialog, in_dialog
from lexdial.adapters.telephony.sip_message import Message, parse
from lexdial.domain import telephony as tel


def info(to_tag: str | None, from_tag: str | None, signal: str = "9") -> Message:
    to = "<sip:+16145550101@trunk>" + (f";tag={to_tag}" if to_tag else "")
    frm = "<sip:+16145550101@trunk>" + (f";tag={from_tag}" if from_tag else "")
    body = f"Signal={signal}\r\nDuration=160\r\n".encode()
    head = (
        "INFO sip:lexdial@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n"
        f"From: {frm}\r\nTo: {to}\r\nCall-ID: abc@lexdial\r\nCSeq: 1 INFO\r\n"
        f"Content-Type: application/dtmf-relay\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    msg = parse(head.encode() + body)
    assert msg is not None
    return msg


def a_dialog() -> Dialog:
    d = Dialog("abc@lexdial", "sip:+16145550101@trunk", "<sip:lexdial@127.0.0.1>", b"")
    d.to_tag = "theirs"
    return d


class Heard:
    """Records what the signalling hands to the call's audio."""

    def __init__(self) -> None:
        self.digits: list[str] = []

    def digit(self, call: PlaneCall, digit: str) -> None:
        self.digits.append(digit)


@pytest.mark.parametrize(
    "to_tag, from_tag, inside",
    [
        ("ours", "theirs", True),
        (None, "theirs", False),  # no To tag: not a request of this dialog
        ("guess", "theirs", False),
        ("ours", "other", False),  # another party (a forked leg, a stranger)
        ("ours", None, False),
    ],
)
def test_a_request_is_in_the_dialog_only_with_both_of_its_tags(
    to_tag: str | None, from_tag: str | None, inside: bool
) -> None:
    d = a_dialog()
    d.from_tag = "ours"
    assert in_dialog(d, info(to_tag, from_tag)) is inside
    assert in_dialog(None, info(to_tag, from_tag)) is False


def test_an_info_digit_without_the_dialog_s_tags_never_reaches_the_call() -> None:
    heard = Heard()
    signalling = PlaneSignalling(
        cast(Any, None), cast(Any, None), cast(PlaneAudio, heard),
        detect=False, end=lambda *a: None, hangup=cast(Any, None),
    )  # fmt: skip
    call = PlaneCall(tel.Dial("c-1", "+16145550101", "+16145550100", 30.0))
    call.dialog = d = a_dialog()
    signalling._on_request(call, info("forged", "theirs", "9"))
    signalling._on_request(call, info(d.from_tag, "someone", "9"))
    assert heard.digits == []
    signalling._on_request(call, info(d.from_tag, "theirs", "5"))
    assert heard.digits == ["5"]


def reinvite(host: str, port: int) -> Message:
    body = (
        f"v=0\r\no=far 1 2 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    ).encode()
    head = (
        "INVITE sip:lexdial@127.0.0.1 SIP/2.0\r\nCall-ID: abc@lexdial\r\nCSeq: 2 INVITE\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    msg = parse(head.encode() + body)
    assert msg is not None
    return msg


def test_a_re_invite_moving_the_media_moves_where_the_leg_sends_and_whom_it_hears() -> None:
    import asyncio
    import socket
    import struct
    import time

    from lexdial.adapters.telephony.rtp import MediaEngine

    def rtp(seq: int) -> bytes:
        return struct.pack(">BBHII", 0x80, 0, seq, seq * 160, 42) + b"\x55" * 160

    async def main() -> None:
        engine = MediaEngine()
        old, new = socket.socket(type=socket.SOCK_DGRAM), socket.socket(type=socket.SOCK_DGRAM)
        old.bind(("127.0.0.1", 0))
        new.bind(("127.0.0.2", 0))
        try:
            signalling = PlaneSignalling(
                cast(Any, None), cast(Any, None), cast(PlaneAudio, Heard()),
                detect=False, end=lambda *a: None, hangup=cast(Any, None),
            )  # fmt: skip
            call = PlaneCall(tel.Dial("c-2", "+16145550101", "+16145550100", 30.0))
            call.dialog, leg = a_dialog(), engine.open("c-2")
            call.leg = leg
            leg.start(*old.getsockname())
            signalling._on_request(call, reinvite("0.0.0.0", 9))  # old-style hold: no move
            assert leg.remote == old.getsockname()
            signalling._on_request(call, reinvite(*new.getsockname()))
            assert leg.remote == new.getsockname()
            old.sendto(rtp(1), ("127.0.0.1", leg.port))
            new.sendto(rtp(2), ("127.0.0.1", leg.port))
            deadline = time.monotonic() + 5.0
            while leg.received + leg.foreign < 2 and time.monotonic() < deadline:
                leg.pump(0)
                time.sleep(0.001)
            assert (leg.received, leg.foreign) == (1, 1)  # the old address is a stranger now
        finally:
            old.close()
            new.close()
            await engine.close()

    asyncio.run(main())
