"""The pieces both SIP engines share: the call table, the end of an unanswered call, and
the SIP text the media plane's UA reads and writes (no network, no process)."""

from __future__ import annotations

import asyncio

import pytest

from lexdial.adapters.telephony.plane_signalling import info_digit
from lexdial.adapters.telephony.sip_calls import CallState, CallTable, refused, ring_timeout
from lexdial.adapters.telephony.sip_message import Local, build_reply, parse
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        pytest.param(486, "Busy Here", (tel.BUSY, "sip 486"), id="busy"),
        pytest.param(603, "Decline", (tel.BUSY, "sip 603"), id="declined-is-busy"),
        pytest.param(480, "", (tel.NO_ANSWER, "sip 480"), id="unavailable"),
        pytest.param(487, "", (tel.NO_ANSWER, "sip 487"), id="cancelled"),
        pytest.param(503, "", (tel.FAILED, "sip 503"), id="server-error"),
        pytest.param(None, "Connection refused", (tel.FAILED, "Connection refused"), id="errno"),
    ],
)
def test_an_unanswered_call_ends_the_same_way_on_both_engines(
    code: int | None, reason: str, expected: tuple[str, str]
) -> None:
    assert refused(code, reason) == expected


def test_a_ring_timeout_says_whether_the_call_rang() -> None:
    assert ring_timeout(True) == (tel.NO_ANSWER, "ring timeout")
    assert ring_timeout(False) == (tel.NO_ANSWER, "ring timeout, no ringing")


def _call(call_id: str) -> CallState:
    return CallState(tel.Dial(call_id, "+16145550100", "+16145550199", 30.0))


def test_the_call_table_refuses_before_start_a_duplicate_and_a_call_over_its_channels() -> None:
    async def run() -> list[str]:
        table: CallTable[CallState] = CallTable(channels=1, cps=10.0, name="test")
        refusals = []
        for step in ("before start", "first", "duplicate", "second"):
            table.started = step != "before start"
            try:
                table.admit(_call("b" if step == "second" else "a"))
            except TelephonyError as exc:
                refusals.append(str(exc))
        return refusals

    assert asyncio.run(run()) == [
        "the SIP adapter was not started",
        "call a is already up",
        "all channels are busy",
    ]


def test_the_call_table_emits_events_in_order_and_ends_them_on_close() -> None:
    async def run() -> list[tuple[str, str]]:
        table: CallTable[CallState] = CallTable(channels=2, cps=10.0, name="test")
        table.started = True
        call = _call("a")
        table.admit(call)
        table.emit(call, tel.RINGING)
        table.emit(call, tel.ANSWERED)
        table.drop(call)
        await table.close()
        return [(e.call_id, e.kind) for e in [e async for e in table.events()]]

    assert asyncio.run(run()) == [("a", tel.RINGING), ("a", tel.ANSWERED)]


def test_a_dtmf_relay_info_gives_its_digit_and_other_bodies_none() -> None:
    def info(ctype: str, body: str) -> str:
        raw = f"INFO sip:a@b SIP/2.0\r\nContent-Type: {ctype}\r\n\r\n{body}"
        msg = parse(raw.encode())
        assert msg is not None
        return info_digit(msg)

    assert info("application/dtmf-relay", "Signal=9\r\nDuration=160\r\n") == "9"
    assert info("application/dtmf", "5") == "5"
    assert info("text/plain", "Signal=9") == ""


def test_a_reply_echoes_the_request_and_names_its_transaction_by_the_via_branch() -> None:
    request = (
        "BYE sip:lexdial@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx1\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: c1\r\nCSeq: 2 BYE\r\n\r\n"
    )
    msg = parse(request.encode())
    assert msg is not None and msg.via_branch == "z9hG4bKx1"
    reply = parse(build_reply(msg, 200, Local("127.0.0.1", 5070)))
    assert reply is not None
    assert (reply.status, reply.call_id, reply.cseq) == (200, "c1", (2, "BYE"))
    assert reply.via_branch == "z9hG4bKx1" and reply.get("contact") is None
