"""The UA hands the far end's in-dialog requests to a call only when they carry the
dialog's two tags (RFC 3261 §12.2.2): a stranger who learnt a Call-ID gets 481 and can
neither hang the call up nor move its media."""

from __future__ import annotations

import pytest

from lexdial.adapters.telephony.sip_dialog import Dialog
from lexdial.adapters.telephony.sip_message import Message, parse
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.adapters.telephony.sip_ua import SipUa

CALL_ID = "abc@lexdial"


def request(method: str, to_tag: str | None, from_tag: str | None) -> bytes:
    to = "<sip:+16145550101@trunk>" + (f";tag={to_tag}" if to_tag else "")
    frm = "<sip:+16145550101@trunk>" + (f";tag={from_tag}" if from_tag else "")
    return (
        f"{method} sip:lexdial@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n"
        f"From: {frm}\r\nTo: {to}\r\nCall-ID: {CALL_ID}\r\nCSeq: 2 {method}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


class Wired:
    """A UA with one answered call, its replies caught instead of sent."""

    def __init__(self) -> None:
        self.ua = SipUa(Trunk(address="127.0.0.1:5999"))
        self.ua.udp.local = ("127.0.0.1", 5060)  # our address for the replies' Via/Contact
        self.sent: list[Message] = []
        self.handed: list[str] = []

        def caught(data: bytes, addr: tuple[str, int] | None = None) -> None:
            msg = parse(data)
            assert msg is not None
            self.sent.append(msg)

        self.ua._send = caught  # type: ignore[method-assign]
        d = Dialog(CALL_ID, "sip:+16145550101@trunk", "<sip:lexdial@127.0.0.1>", b"")
        d.from_tag, d.to_tag = "ours", "theirs"
        d.on_request = lambda msg: self.handed.append(msg.method)
        self.ua.dialogs[CALL_ID] = d


@pytest.fixture
def wired() -> Wired:
    return Wired()  # no socket is opened: replies are caught


@pytest.mark.parametrize("method", ["BYE", "INVITE", "INFO", "NOTIFY"])
def test_a_request_with_the_dialog_s_tags_is_answered_200_and_reaches_the_call(
    wired: Wired, method: str
) -> None:
    wired.ua.received(request(method, "ours", "theirs"), ("127.0.0.1", 5999))
    assert [m.status for m in wired.sent] == [200]
    assert wired.handed == [method]


@pytest.mark.parametrize("method", ["BYE", "INVITE", "INFO", "NOTIFY"])
@pytest.mark.parametrize(
    "to_tag, from_tag",
    [
        ("guess", "theirs"),  # a stranger who knows the Call-ID and the far end's tag
        ("ours", "other"),  # another party's request on our Call-ID
        (None, "theirs"),  # no To tag: a new request, not one of this dialog
        ("ours", None),
    ],
)
def test_a_request_naming_the_call_without_its_tags_gets_481_and_never_reaches_it(
    wired: Wired, method: str, to_tag: str | None, from_tag: str | None
) -> None:
    wired.ua.received(request(method, to_tag, from_tag), ("127.0.0.1", 5999))
    assert [m.status for m in wired.sent] == [481]
    assert wired.handed == []
