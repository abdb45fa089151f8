"""Twilio's webhooks served by the process that dials (``campaign run``), end to end over
HTTP: a stand-in Twilio places the call, rings a scripted person, and delivers each
callback signed over the public https URL to the adapter's own listener, as a TLS proxy
in front of ``[telephony] webhook_listen`` would. One test per callback path (status,
AMD, the Gather action, the ``played`` Redirect), the answers' TwiML, the refusals, the
cancel of a ringing call, and Twilio's API failing on create.

No live Twilio account was used: the request shapes come from the twilio SDK, the callback
shapes and the update semantics from Twilio's documentation (``twilio_standin``).
"""

from __future__ import annotations

import asyncio
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.telephony.twilio import TwilioTelephony
from lexdial.domain import telephony as tel
from lexdial.domain.call import CallFlow, FlowConfig, Outcome
from lexdial.errors import TelephonyError

from .twilio_standin import ACCOUNT, TOKEN, Callee, TwilioStandIn

pytestmark = pytest.mark.integration

PUBLIC = "https://dialer.example.test/webhooks/twilio"  # what Twilio is told, and signs
CALLER_ID = "+16145550199"
PROMPTS = {
    tel.MESSAGE: tel.Prompt("This is Hartwell and Ruiz. Press 9 to stop.", 4.0),
    tel.VOICEMAIL: tel.Prompt("This is Hartwell and Ruiz, please call us back.", 3.0),
    tel.OPTOUT_CONFIRM: tel.Prompt("You will not be called again.", 2.0),
    tel.SAFE_HARBOR: tel.Prompt("This is Hartwell and Ruiz. Press 9 to stop.", 2.0),
}


def a_dial(call_id: str, to: str) -> tel.Dial:
    return tel.Dial(call_id=call_id, to=to, caller_id=CALLER_ID, ring_timeout_s=25,
                    prompts=PROMPTS)  # fmt: skip


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwilioStandIn]:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    twilio = TwilioStandIn()
    twilio.start()
    yield twilio
    twilio.stop()


def adapter_for(twilio: TwilioStandIn, **over: Any) -> TwilioTelephony:
    """An adapter serving its webhooks on a free port, the stand-in delivering there."""
    assert twilio.server is not None
    fields: dict[str, Any] = {
        "account_sid": ACCOUNT,
        "auth_token": TOKEN,
        "webhook_base_url": PUBLIC,
        "base_url": f"http://127.0.0.1:{twilio.server.server_address[1]}",
        "cps": 1000.0,
        "listen": ("127.0.0.1", 0),
    }
    return TwilioTelephony(**(fields | over))


async def started(twilio: TwilioStandIn, adapter: TwilioTelephony) -> None:
    await adapter.start()
    assert adapter.server is not None
    host, port = adapter.server.address
    # the proxy keeps a different prefix than the public URL's: only the route matters
    twilio.deliver_to = f"http://{host}:{port}/upstream"


async def call_flow(adapter: TwilioTelephony, call_id: str) -> tuple[CallFlow, list[str]]:
    """Carry out the real call flow's commands until it is done, as the dialer does."""
    flow, seen = CallFlow(call_id, FlowConfig()), []
    events = adapter.events()
    while not flow.done:
        event = await asyncio.wait_for(anext(events), 10)
        seen.append(event.kind)
        for command in flow.handle(event):
            if command.action == "play":
                await adapter.play(call_id, str(command.arg))
            elif command.action == "hangup":
                await adapter.hangup(call_id)
    return flow, seen


def routes(twilio: TwilioStandIn) -> list[tuple[str, int]]:
    """(route, lexdial's HTTP status) of every callback delivered, in order."""
    return [(d.url.removeprefix(PUBLIC + "/").split("?")[0], d.status) for d in twilio.delivered]


def person(twilio: TwilioStandIn, callee: Callee, to: str = "+16145550101") -> tuple[
    CallFlow, list[str]
]:  # fmt: skip
    twilio.callees[to] = callee
    adapter = adapter_for(twilio)

    async def main() -> tuple[CallFlow, list[str]]:
        await started(twilio, adapter)
        try:
            await adapter.dial(a_dial("a1", to))
            return await call_flow(adapter, "a1")
        finally:
            await adapter.close()

    return asyncio.run(main())


# --- each callback path, delivered to the dialling process ----------------------------------


def test_status_callbacks_reach_the_dialling_process_and_drive_the_flow(
    standin: TwilioStandIn,
) -> None:
    flow, seen = person(standin, Callee("busy"))
    assert seen == [tel.RINGING, tel.BUSY]
    assert flow.outcome == Outcome.BUSY
    assert routes(standin) == [("status", 204)] * 3  # initiated, ringing, busy


def test_the_amd_callback_and_the_played_redirect_leave_a_voicemail(
    standin: TwilioStandIn,
) -> None:
    flow, seen = person(standin, Callee("machine"))
    assert seen == [tel.RINGING, tel.ANSWERED, tel.MACHINE, tel.BEEP, tel.PLAYED, tel.HANGUP]
    assert flow.outcome == Outcome.MACHINE
    assert ("amd", 204) in routes(standin) and ("played", 200) in routes(standin)
    played = next(d for d in standin.delivered if "/played?" in d.url)
    assert played.url == f"{PUBLIC}/played?call=a1&prompt=voicemail"
    root = ET.fromstring(played.body)  # the answer: the listening hold, ending in a hangup
    assert [c.tag for c in root] == ["Gather", "Hangup"]


def test_a_person_hears_the_message_to_its_end_through_the_played_redirect(
    standin: TwilioStandIn,
) -> None:
    flow, seen = person(standin, Callee("human"))
    assert seen == [tel.RINGING, tel.ANSWERED, tel.HUMAN, tel.PLAYED, tel.HANGUP]
    assert flow.outcome == Outcome.HUMAN
    (_, update), *_ = standin.updates
    message = ET.fromstring(update["Twiml"][0])
    assert [c.tag for c in message] == ["Gather", "Redirect"]  # the answer/TwiML of a prompt


def test_a_key_at_the_gather_action_opts_the_person_out(standin: TwilioStandIn) -> None:
    flow, seen = person(standin, Callee("human", press="9"))
    assert seen == [tel.RINGING, tel.ANSWERED, tel.HUMAN, tel.DIGIT, tel.PLAYED, tel.HANGUP]
    assert flow.outcome == Outcome.OPTED_OUT
    gather = next(d for d in standin.delivered if "/gather?" in d.url)
    assert (gather.url, gather.status) == (f"{PUBLIC}/gather?call=a1&prompt=message", 200)
    assert gather.params["Digits"] == "9"
    # the flow hung up an answered call: completed, and Twilio's completed callback came back
    assert standin.updates[-1][1] == {"Status": ["completed"]}
    assert routes(standin)[-1] == ("status", 204)


# --- what the listener refuses ----------------------------------------------------------


def post(url: str, params: dict[str, str], signature: str | None) -> tuple[int, str]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    request = Request(url, data=urlencode(params).encode(), headers=headers, method="POST")
    try:
        with urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


def test_the_listener_checks_the_signature_against_the_public_url(
    standin: TwilioStandIn,
) -> None:
    adapter = adapter_for(standin)

    async def main() -> None:
        await started(standin, adapter)
        await adapter.dial(a_dial("a1", "+16145550101"))  # rings 0.05 s, then answers
        assert adapter.server is not None
        host, port = adapter.server.address
        local = f"http://{host}:{port}/webhooks/twilio/status?call=a1"
        params = {"CallSid": "CA" + "0" * 31 + "1", "CallStatus": "busy"}
        validator = RequestValidator(TOKEN)
        wrong = validator.compute_signature(local, params)  # signed for the local URL
        right = validator.compute_signature(f"{PUBLIC}/status?call=a1", params)
        assert (await asyncio.to_thread(post, local, params, wrong))[0] == 403
        assert (await asyncio.to_thread(post, local, params, None))[0] == 403
        assert (await asyncio.to_thread(post, local + "x", params, right))[0] == 403
        assert (await asyncio.to_thread(post, f"http://{host}:{port}/nope", params, right))[
            0
        ] == 404
        big = {"Body": "x" * 70_000}
        assert (await asyncio.to_thread(post, local, big, right))[0] == 413
        assert (await asyncio.to_thread(post, local, params, right))[0] == 204
        await adapter.close()

    asyncio.run(main())


def test_a_callback_for_a_call_the_dialling_process_does_not_know_hangs_up(
    standin: TwilioStandIn,
) -> None:
    adapter = adapter_for(standin)

    async def main() -> None:
        await started(standin, adapter)
        assert adapter.server is not None
        host, port = adapter.server.address
        url = f"{PUBLIC}/gather?call=a404&prompt=hold"
        params = {"CallSid": "CA" + "4" * 32, "CallStatus": "in-progress", "Digits": "1"}
        sig = RequestValidator(TOKEN).compute_signature(url, params)
        local = f"http://{host}:{port}/webhooks/twilio/gather?call=a404&prompt=hold"
        status, body = await asyncio.to_thread(post, local, params, sig)
        assert status == 200 and [c.tag for c in ET.fromstring(body)] == ["Hangup"]
        await adapter.close()

    asyncio.run(main())


def test_the_listener_stops_with_the_adapter_and_a_taken_port_is_a_telephony_error(
    standin: TwilioStandIn,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        adapter = adapter_for(standin, listen=("127.0.0.1", port))
        with pytest.raises(TelephonyError, match=f"127.0.0.1:{port}.*webhook_listen"):
            asyncio.run(adapter.start())
    adapter = adapter_for(standin)

    async def main() -> int:
        await adapter.start()
        assert adapter.server is not None
        served = adapter.server.address[1]
        await adapter.close()
        return served

    served = asyncio.run(main())
    with pytest.raises(OSError):
        urlopen(f"http://127.0.0.1:{served}/status", data=b"", timeout=2)


# --- cancel, and Twilio failing ---------------------------------------------------------


def test_hanging_up_a_ringing_call_cancels_it_and_its_canceled_callback_ends_the_flow(
    standin: TwilioStandIn,
) -> None:
    standin.callees["+16145550102"] = Callee("never")
    adapter = adapter_for(standin)

    async def main() -> list[str]:
        await started(standin, adapter)
        events = adapter.events()
        await adapter.dial(a_dial("a1", "+16145550102"))
        first = await asyncio.wait_for(anext(events), 5)
        assert first.kind == tel.RINGING
        await adapter.hangup("a1")  # the ring timer ran out, say
        last = await asyncio.wait_for(anext(events), 5)
        await adapter.close()
        return [first.kind, last.kind]

    assert asyncio.run(main()) == [tel.RINGING, tel.HANGUP]
    assert [form for _, form in standin.updates] == [{"Status": ["canceled"]}]
    assert standin.delivered[-1].params["CallStatus"] == "canceled"


def test_a_hangup_asked_for_while_the_create_is_under_way_is_sent_once_it_returns(
    standin: TwilioStandIn,
) -> None:
    standin.create_delay_s = 0.3
    standin.callees["+16145550102"] = Callee("never")
    adapter = adapter_for(standin)

    async def main() -> str:
        await started(standin, adapter)
        events = adapter.events()
        dialling = asyncio.create_task(adapter.dial(a_dial("a1", "+16145550102")))
        await asyncio.sleep(0.1)
        await adapter.hangup("a1")  # no CallSid yet: nothing to address
        assert standin.updates == []
        await dialling
        kinds = []
        while tel.HANGUP not in kinds:
            kinds.append((await asyncio.wait_for(anext(events), 5)).kind)
        await adapter.close()
        return kinds[-1]

    assert asyncio.run(main()) == tel.HANGUP
    assert [form for _, form in standin.updates] == [{"Status": ["canceled"]}]


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_on_create_is_one_request_and_a_telephony_error(
    standin: TwilioStandIn, status: int
) -> None:
    standin.create_fails_with = status
    adapter = adapter_for(standin)

    async def main() -> None:
        await adapter.start()
        with pytest.raises(TelephonyError, match=f"HTTP {status}"):
            await adapter.dial(a_dial("a1", "+16145550101"))
        assert adapter.book.get("a1") is None
        await adapter.close()

    asyncio.run(main())
    assert len(standin.creates) == 1  # no retry


def test_a_create_that_times_out_is_one_request_and_the_call_it_placed_is_hung_up(
    standin: TwilioStandIn,
) -> None:
    """Twilio took the create but answered too late: lexdial recorded a failure and forgot
    the call; when it rings, its first callback is answered by ending it."""
    standin.create_delay_s = 1.0
    adapter = adapter_for(standin, http_timeout_s=0.3)

    async def main() -> float:
        await started(standin, adapter)
        t0 = time.monotonic()
        with pytest.raises(TelephonyError, match="unreachable"):
            await adapter.dial(a_dial("a1", "+16145550101"))
        took = time.monotonic() - t0
        for _ in range(200):
            if standin.calls and all(c.done.is_set() for c in standin.calls.values()):
                break
            await asyncio.sleep(0.025)
        await adapter.close()
        return took

    assert asyncio.run(main()) < 0.9
    assert len(standin.creates) == 1  # no retry
    (call,) = standin.calls.values()
    assert call.status in ("canceled", "completed")  # ended, not left in the silent hold
    assert next(form for _, form in standin.updates) == {"Status": ["canceled"]}
