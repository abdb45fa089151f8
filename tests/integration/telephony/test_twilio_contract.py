"""Contract tests of the Twilio adapter against a local impersonation of Twilio.

Two local HTTP servers on 127.0.0.1, no other network:

- ``FakeTwilio`` plays api.twilio.com's Calls endpoints. It records what the real twilio
  SDK sends (path, basic auth, form fields) and answers with the JSON bodies Twilio
  documents (a queued call, or an error with its code).
- ``OurServer`` mounts ``adapter.webhooks.handle`` the way the HTTP app will. The tests
  then act as Twilio's callback side: they POST to the very URLs the SDK put in the call
  (StatusCallback, AsyncAmdStatusCallback, the Gather action, the Redirect), signed with
  ``RequestValidator.compute_signature`` over the URL and form fields, as Twilio signs.

What this cannot show: that Twilio itself behaves as documented (no live account was
used). The request shapes come from the SDK; the callback shapes from Twilio's docs.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.telephony.twilio import TwilioTelephony
from lexdial.domain import telephony as tel
from lexdial.domain.call import CallFlow, FlowConfig, Outcome
from lexdial.errors import TelephonyError
from lexdial.service.ports import Telephony

pytestmark = pytest.mark.integration

ACCOUNT = "AC" + "3f" * 16
TOKEN = "c0ffee" + "0" * 26  # looks like an auth token; never leaves 127.0.0.1
TO = "+16145550101"
CALLER_ID = "+16145550100"
REFUSED_TO = "+15005550001"  # FakeTwilio answers this number with error 21211
AUDIO = "https://media.example.com/hartwell/message.mp3"
PROMPTS = {
    tel.MESSAGE: tel.Prompt("This is Hartwell and Ruiz. Press 9 to stop.", 12.0, AUDIO),
    tel.VOICEMAIL: tel.Prompt("This is Hartwell and Ruiz, please call us back.", 9.0, AUDIO),
    tel.OPTOUT_CONFIRM: tel.Prompt("You will not be called again.", 3.0),
    tel.SAFE_HARBOR: tel.Prompt("This is Hartwell and Ruiz. Press 9 to stop.", 6.0, AUDIO),
}


def a_dial(call_id: str = "a1", to: str = TO, **over: Any) -> tel.Dial:
    fields: dict[str, Any] = {
        "call_id": call_id,
        "to": to,
        "caller_id": CALLER_ID,
        "ring_timeout_s": 25.4,
        "prompts": PROMPTS,
    }
    return tel.Dial(**(fields | over))


# --- Twilio's REST side ---------------------------------------------------------------------


@dataclass
class Recorded:
    """One request the SDK sent."""

    method: str
    path: str
    authorization: str
    content_type: str
    form: dict[str, list[str]]

    def one(self, name: str) -> str:
        (value,) = self.form[name]
        return value


@dataclass
class FakeTwilio:
    """The Calls endpoints of api.twilio.com, recording every request."""

    requests: list[Recorded] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)  # CallSids Twilio considers over
    #: each call's CallStatus as Twilio knows it (tests' status callbacks keep it current)
    calls: dict[str, str] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def creates(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/Calls.json")]

    @property
    def updates(self) -> list[Recorded]:
        return [r for r in self.requests if not r.path.endswith("/Calls.json")]

    def answer(self, rec: Recorded) -> tuple[int, dict[str, Any]]:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        if rec.authorization != expected:
            return 401, error(20003, "Authenticate", 401)
        prefix = f"/2010-04-01/Accounts/{ACCOUNT}/Calls"
        if rec.method != "POST" or not rec.path.startswith(prefix):
            return 404, error(20404, "The requested resource was not found", 404)
        if rec.path == prefix + ".json":
            to = rec.one("To")
            if to == REFUSED_TO:  # Twilio's own text quotes the number
                return 400, error(21211, f"Invalid 'To' Phone Number: {to}", 400)
            sid = f"CA{len(self.creates):032x}"
            self.calls[sid] = "queued"
            return 201, call_body(sid, "queued", to, rec.one("From"))
        sid = rec.path.removeprefix(prefix + "/").removesuffix(".json")
        if sid in self.ended:
            return 400, error(21220, "Call is not in-progress. Cannot redirect.", 400)
        now = self.calls.get(sid, "in-progress")
        wanted = rec.form.get("Status", [None])[0]
        # the Call resource: "canceled" ends a queued or ringing call and leaves an answered
        # one as it is; "completed" ends an in-progress call (a ringing one goes on ringing)
        if (wanted, now) in {("canceled", "queued"), ("canceled", "ringing")} or (
            wanted == "completed" and now == "in-progress"
        ):
            now = self.calls[sid] = wanted
        return 200, call_body(sid, now, TO, CALLER_ID)


def error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def call_body(sid: str, status: str, to: str, from_: str) -> dict[str, Any]:
    """A Call resource as Twilio returns it (the fields the SDK reads)."""
    return {
        "sid": sid,
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "direction": "outbound-api",
        "status": status,
        "to": to,
        "to_formatted": to,
        "from": from_,
        "from_formatted": from_,
        "answered_by": None,
        "date_created": "Wed, 02 Dec 2026 16:00:00 +0000",
        "date_updated": "Wed, 02 Dec 2026 16:00:00 +0000",
        "start_time": None,
        "end_time": None,
        "duration": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{sid}.json",
        "subresource_uris": {},
    }


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # a short poll: shutdown() waits up to one interval, for each of two servers a test
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return server


def form_of(handler: BaseHTTPRequestHandler) -> dict[str, list[str]]:
    length = int(handler.headers.get("Content-Length") or 0)
    return parse_qs(handler.rfile.read(length).decode(), keep_blank_values=True)


def reply(handler: BaseHTTPRequestHandler, status: int, body: str, content_type: str) -> None:
    data = body.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def twilio_api(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Api(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = Recorded(
                "POST",
                self.path,
                self.headers.get("Authorization", ""),
                self.headers.get("Content-Type", ""),
                form_of(self),
            )
            fake.requests.append(rec)
            status, body = fake.answer(rec)
            reply(self, status, json.dumps(body), "application/json")

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    return Api


# --- our side: the webhook server, and Twilio calling it back --------------------------------


def our_server(box: list[TwilioTelephony], origin: list[str]) -> type[BaseHTTPRequestHandler]:
    """The webhook routes as the HTTP app will mount them (``box``: the adapter, built
    after this server because it needs the server's URL)."""

    class Hooks(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            params = {k: v[0] for k, v in form_of(self).items()}
            answer = box[0].webhooks.handle(
                urlsplit(self.path).path,
                origin[0] + self.path,  # the URL Twilio requested, query included
                params,
                self.headers.get("X-Twilio-Signature"),
            )
            reply(self, answer.status, answer.body, answer.content_type)

        def log_message(self, *args: object) -> None:
            pass

    return Hooks


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def post(url: str, params: dict[str, str], signature: str | None) -> tuple[int, str]:
    """POST a form as Twilio does; the answer's status and body."""
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


@dataclass
class Clock:
    """The adapter's injected clock: tests move it."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    """A Twilio impersonation, our webhook server and an adapter between them."""

    fake: FakeTwilio
    adapter: TwilioTelephony
    clock: Clock
    hooks: str  # our public webhook base URL

    def run(self, scenario: Callable[[World], Coroutine[Any, Any, None]]) -> None:
        async def main() -> None:
            await self.adapter.start()
            try:
                await scenario(self)
            finally:
                await self.adapter.close()

        asyncio.run(main())

    def sid(self, n: int = 0) -> str:
        return f"CA{n + 1:032x}"

    async def callback(
        self,
        url: str,
        sid: str,
        signature: str | Callable[[str, dict[str, str]], str | None] | None = sign,
        **fields: str,
    ) -> tuple[int, str]:
        """Twilio POSTing ``fields`` (plus what it always sends) to ``url``, signed."""
        params = {
            "AccountSid": ACCOUNT,
            "ApiVersion": "2010-04-01",
            "CallSid": sid,
            "Direction": "outbound-api",
            "From": CALLER_ID,
            "To": TO,
            "Called": TO,
            "Caller": CALLER_ID,
        } | fields
        sig = signature(url, params) if callable(signature) else signature
        return await asyncio.to_thread(post, url, params, sig)

    async def status(self, status: str, n: int = 0, **fields: str) -> tuple[int, str]:
        url = self.fake.creates[n].one("StatusCallback")
        self.fake.calls[self.sid(n)] = status
        return await self.callback(url, self.sid(n), CallStatus=status, **fields)

    async def amd(self, answered_by: str, n: int = 0) -> tuple[int, str]:
        url = self.fake.creates[n].one("AsyncAmdStatusCallback")
        return await self.callback(
            url, self.sid(n), AnsweredBy=answered_by, MachineDetectionDuration="4310"
        )

    def last_twiml(self) -> ET.Element:
        return ET.fromstring(self.fake.updates[-1].one("Twiml"))

    async def press(self, digits: str, twiml: ET.Element | None = None) -> tuple[int, str]:
        """A key pressed during the Gather of ``twiml`` (default: the last update)."""
        root = twiml if twiml is not None else self.last_twiml()
        gather = root.find("Gather")
        assert gather is not None
        return await self.callback(
            gather.get("action", ""),
            self.sid(),
            CallStatus="in-progress",
            Digits=digits,
            FinishedOnKey="",
            msg="Gather End",
        )

    async def audio_ends(self) -> tuple[int, str]:
        """The last update's audio played out: Twilio follows its Redirect."""
        redirect = self.last_twiml().find("Redirect")
        assert redirect is not None and redirect.text is not None
        return await self.callback(redirect.text, self.sid(), CallStatus="in-progress")


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name in ("NO_PROXY", "no_proxy"):  # requests and urllib honour proxy variables
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    fake = FakeTwilio()
    fake.server = serve(twilio_api(fake))
    box: list[TwilioTelephony] = []
    origin: list[str] = []
    ours = serve(our_server(box, origin))
    origin.append(f"http://127.0.0.1:{ours.server_address[1]}")
    clock = Clock()
    adapter = TwilioTelephony(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        webhook_base_url=origin[0] + "/twilio",
        base_url=fake.url,
        cps=1000.0,
        clock=clock,
    )
    box.append(adapter)
    try:
        yield World(fake, adapter, clock, origin[0] + "/twilio")
    finally:
        for server in (fake.server, ours):
            server.shutdown()
            server.server_close()


async def take(events: AsyncIterator[tel.CallEvent], n: int) -> list[tel.CallEvent]:
    return [await asyncio.wait_for(anext(events), 5) for _ in range(n)]


def kinds(events: list[tel.CallEvent]) -> list[str]:
    return [e.kind for e in events]


# --- what the SDK sends to place a call ---------------------------------------------------


def test_the_adapter_is_a_telephony_port() -> None:
    adapter: Telephony = TwilioTelephony(
        account_sid=ACCOUNT, auth_token=TOKEN, webhook_base_url="https://dialer.example.com/tw"
    )
    assert (adapter.channels, adapter.cps, adapter.timescale) == (100, 1.0, 1.0)


def test_a_dial_posts_one_call_to_the_calls_endpoint_with_the_accounts_basic_auth(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())

    world.run(scenario)
    (rec,) = world.fake.requests
    assert rec.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    user, _, password = base64.b64decode(rec.authorization.removeprefix("Basic ")).partition(b":")
    assert (user.decode(), password.decode()) == (ACCOUNT, TOKEN)
    assert rec.content_type == "application/x-www-form-urlencoded"


def test_the_call_asks_for_message_end_detection_async_and_all_four_status_callbacks(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())

    world.run(scenario)
    rec = world.fake.creates[0]
    assert (rec.one("To"), rec.one("From")) == (TO, CALLER_ID)
    assert rec.one("MachineDetection") == "DetectMessageEnd"
    assert rec.one("AsyncAmd") == "true"
    assert rec.one("AsyncAmdStatusCallback") == f"{world.hooks}/amd?call=a1"
    assert rec.one("AsyncAmdStatusCallbackMethod") == "POST"
    assert rec.one("StatusCallback") == f"{world.hooks}/status?call=a1"
    assert rec.one("StatusCallbackMethod") == "POST"
    assert rec.form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert rec.one("Timeout") == "25"  # whole seconds, as Twilio takes them
    assert "Url" not in rec.form, "the TwiML travels with the request: no fetch, no delay"


def test_a_dial_without_machine_detection_sends_no_amd_fields(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial(detect_machine=False))

    world.run(scenario)
    form = world.fake.creates[0].form
    assert not {"MachineDetection", "AsyncAmd", "AsyncAmdStatusCallback"} & form.keys()


def test_a_dial_without_its_own_caller_id_uses_the_accounts_number(world: World) -> None:
    adapter = TwilioTelephony(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        webhook_base_url=world.hooks,
        from_number="+16145550177",
        base_url=world.fake.url,
        cps=1000.0,
    )

    async def scenario() -> None:
        await adapter.start()
        await adapter.dial(a_dial(caller_id=""))
        await adapter.close()

    asyncio.run(scenario())
    assert world.fake.creates[0].one("From") == "+16145550177"


def test_the_call_starts_in_a_silent_one_digit_gather_that_ends_in_a_hangup(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())

    world.run(scenario)
    root = ET.fromstring(world.fake.creates[0].one("Twiml"))
    gather, hangup = list(root)
    assert (gather.tag, gather.get("numDigits"), gather.get("finishOnKey")) == ("Gather", "1", "")
    assert gather.get("action") == f"{world.hooks}/gather?call=a1&prompt=hold"
    assert [(c.tag, c.get("length")) for c in gather] == [("Pause", "60")]
    assert hangup.tag == "Hangup"


# --- what the SDK sends to act on a live call ----------------------------------------------


def test_playing_the_message_redirects_the_call_to_a_one_digit_gather_around_the_play(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        await w.adapter.play("a1", tel.MESSAGE)

    world.run(scenario)
    update = world.fake.updates[0]
    assert update.path == f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{world.sid()}.json"
    assert update.authorization == world.fake.creates[0].authorization
    root = ET.fromstring(update.one("Twiml"))
    gather, redirect = list(root)
    assert (gather.tag, gather.get("numDigits"), gather.get("finishOnKey")) == ("Gather", "1", "")
    assert gather.get("action") == f"{world.hooks}/gather?call=a1&prompt=message"
    assert [(c.tag, c.text) for c in gather] == [("Play", AUDIO)]
    assert (redirect.tag, redirect.text) == (
        "Redirect",
        f"{world.hooks}/played?call=a1&prompt=message",
    )


def test_a_message_without_an_audio_url_is_spoken_inside_the_gather(world: World) -> None:
    spoken = PROMPTS | {tel.MESSAGE: tel.Prompt("Press 9 to stop these calls.", 4.0, "/srv/m.wav")}

    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial(prompts=spoken))
        await w.adapter.play("a1", tel.MESSAGE)

    world.run(scenario)
    say = world.last_twiml().find("Gather/Say")
    assert say is not None and say.text == "Press 9 to stop these calls."


def test_the_opt_out_confirmation_plays_to_its_end_without_a_gather(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        await w.adapter.play("a1", tel.OPTOUT_CONFIRM)

    world.run(scenario)
    assert [c.tag for c in world.last_twiml()] == ["Say", "Redirect"]


def test_bridging_dials_the_agent_from_the_calls_caller_id(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        await w.adapter.bridge("a1", "client:desk-4")

    world.run(scenario)
    dial = world.last_twiml().find("Dial")
    assert dial is not None and dial.get("callerId") == CALLER_ID
    assert [(c.tag, c.text) for c in dial] == [("Client", "desk-4")]


def test_hangup_of_a_ringing_call_sets_its_status_to_canceled(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        await w.status("ringing")
        await w.adapter.hangup("a1")

    world.run(scenario)
    assert [u.form for u in world.fake.updates] == [{"Status": ["canceled"]}]
    assert world.fake.calls[world.sid()] == "canceled"


def test_hangup_of_a_call_not_yet_ringing_sets_its_status_to_canceled(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        await w.adapter.hangup("a1")

    world.run(scenario)
    assert [u.form for u in world.fake.updates] == [{"Status": ["canceled"]}]


def test_hangup_of_an_answered_call_sets_its_status_to_completed(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        await w.status("in-progress")
        await w.adapter.hangup("a1")

    world.run(scenario)
    assert [u.form for u in world.fake.updates] == [{"Status": ["completed"]}]
    assert world.fake.calls[world.sid()] == "completed"


def test_a_cancel_that_finds_the_call_just_answered_is_followed_by_completed(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        await w.status("ringing")
        w.fake.calls[w.sid()] = "in-progress"  # answered; its callback is still on the way
        await w.adapter.hangup("a1")

    world.run(scenario)
    assert [u.form for u in world.fake.updates] == [
        {"Status": ["canceled"]},
        {"Status": ["completed"]},
    ]
    assert world.fake.calls[world.sid()] == "completed"


def test_playing_a_prompt_the_dial_did_not_carry_is_a_telephony_error(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial(prompts={}))
        with pytest.raises(TelephonyError, match="no prompt"):
            await w.adapter.play("a1", tel.MESSAGE)

    world.run(scenario)
    assert world.fake.updates == []


def test_a_command_for_a_call_twilio_already_ended_is_not_an_error(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        w.fake.ended.add(w.sid())  # the person hung up; the callback is still on its way
        await w.adapter.play("a1", tel.MESSAGE)
        await w.adapter.hangup("a1")

    world.run(scenario)
    assert len(world.fake.updates) == 2


# --- refusals ---------------------------------------------------------------------------


def test_a_dial_with_no_caller_id_anywhere_is_refused_before_twilio_is_asked(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        with pytest.raises(TelephonyError, match="no caller ID"):
            await w.adapter.dial(a_dial(caller_id=""))
        assert w.adapter.book.get("a1") is None

    world.run(scenario)
    assert world.fake.requests == []


def test_a_number_twilio_refuses_is_a_failed_event_carrying_only_the_error_code(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial(to=REFUSED_TO))
        (event,) = await take(events, 1)
        assert (event.kind, event.t, event.detail) == (tel.FAILED, 0.0, "twilio 400 error 21211")

    world.run(scenario)


def test_wrong_credentials_raise_a_telephony_error_and_report_no_event(world: World) -> None:
    adapter = TwilioTelephony(
        account_sid=ACCOUNT,
        auth_token="not-the-token",
        webhook_base_url=world.hooks,
        base_url=world.fake.url,
        cps=1000.0,
    )

    async def scenario() -> None:
        await adapter.start()
        with pytest.raises(TelephonyError, match="HTTP 401, error 20003") as raised:
            await adapter.dial(a_dial())
        assert raised.value.__cause__ is None and raised.value.__suppress_context__
        await adapter.close()
        assert [e async for e in adapter.events()] == []

    asyncio.run(scenario())


def test_an_unreachable_twilio_raises_a_telephony_error(world: World) -> None:
    assert world.fake.server is not None
    port = world.fake.server.server_address[1]
    world.fake.server.shutdown()
    world.fake.server.server_close()  # nothing listens on that port any more
    adapter = TwilioTelephony(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        webhook_base_url=world.hooks,
        base_url=f"http://127.0.0.1:{port}",
        cps=1000.0,
        http_timeout_s=2.0,
    )

    async def scenario() -> None:
        await adapter.start()
        with pytest.raises(TelephonyError, match="unreachable"):
            await adapter.dial(a_dial())
        await adapter.close()

    asyncio.run(scenario())


# --- webhooks: Twilio calling back, signed ------------------------------------------------


def test_signed_status_callbacks_become_ringing_answered_and_hangup_on_the_dials_timeline(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        assert await w.status("initiated") == (204, "")
        w.clock.now += 2.5
        assert await w.status("ringing") == (204, "")
        w.clock.now += 6.0
        await w.status("in-progress")
        w.clock.now += 30.0
        await w.status("completed", CallDuration="30")
        got = await take(events, 3)
        assert [(e.kind, e.t) for e in got] == [
            (tel.RINGING, 2.5),
            (tel.ANSWERED, 8.5),
            (tel.HANGUP, 38.5),
        ]
        assert {e.call_id for e in got} == {"a1"}

    world.run(scenario)


def forged(url: str, params: dict[str, str]) -> str:
    return sign(url, params, token="not-our-token")


def for_another_url(url: str, params: dict[str, str]) -> str:
    return sign(url.replace("call=a1", "call=a2"), params)


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param(forged, id="signed-with-another-token"),
        pytest.param(for_another_url, id="signed-for-another-url"),
    ],
)
def test_a_callback_without_a_valid_signature_is_refused_and_reports_nothing(
    world: World, signature: str | Callable[[str, dict[str, str]], str] | None
) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        url = w.fake.creates[0].one("StatusCallback")
        assert await w.callback(url, w.sid(), signature, CallStatus="busy") == (
            403,
            "invalid Twilio signature",
        )
        answered = w.fake.creates[0].one("AsyncAmdStatusCallback")
        assert (await w.callback(answered, w.sid(), signature, AnsweredBy="human"))[0] == 403
        await w.adapter.close()
        assert [e async for e in w.adapter.events()] == []
        state = w.adapter.book.get("a1")
        assert state is not None and (state.stage, state.amd_done) == (0, False)

    world.run(scenario)


def test_a_tampered_parameter_is_refused_with_403(world: World) -> None:
    def tampered(url: str, params: dict[str, str]) -> str:
        return sign(url, params | {"CallStatus": "ringing"})  # signed as "ringing"

    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        url = w.fake.creates[0].one("StatusCallback")
        assert (await w.callback(url, w.sid(), tampered, CallStatus="busy"))[0] == 403
        await w.adapter.close()
        assert [e async for e in w.adapter.events()] == []

    world.run(scenario)


def test_digit_9_at_the_gather_action_is_a_digit_event_and_the_call_keeps_listening(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.status("in-progress")
        await w.adapter.play("a1", tel.MESSAGE)
        w.clock.now += 7.0
        status, body = await w.press("9")
        assert status == 200
        answered, digit = await take(events, 2)
        assert answered.kind == tel.ANSWERED
        assert digit == tel.CallEvent("a1", tel.DIGIT, 7.0, "9", None, "during message")
        root = ET.fromstring(body)  # the hold: silence in a one-digit Gather
        gather = root.find("Gather")
        assert gather is not None and gather.get("numDigits") == "1"
        assert gather.get("action") == f"{w.hooks}/gather?call=a1&prompt=hold"

    world.run(scenario)


def test_a_key_pressed_while_the_call_waits_for_the_flow_is_still_reported(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.status("in-progress")
        hold = ET.fromstring(w.fake.creates[0].one("Twiml"))
        status, body = await w.press("9", hold)
        _, digit = await take(events, 2)
        assert (digit.kind, digit.digit, digit.detail) == (tel.DIGIT, "9", "during hold")
        assert status == 200 and ET.fromstring(body).find("Gather/Pause") is not None

    world.run(scenario)


@pytest.mark.parametrize("key", ["#", "*"])
def test_an_opt_out_key_that_is_hash_or_star_is_a_key_like_any_other(
    world: World, key: str
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial(opt_out_key=key))
        await w.status("in-progress")
        await w.adapter.play("a1", tel.MESSAGE)
        gather = w.last_twiml().find("Gather")
        assert gather is not None and gather.get("finishOnKey") == ""
        await w.press(key)
        _, digit = await take(events, 2)
        assert (digit.kind, digit.digit) == (tel.DIGIT, key)

    world.run(scenario)


def test_another_key_during_the_message_is_reported_and_the_message_starts_again(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.status("in-progress")
        await w.adapter.play("a1", tel.MESSAGE)
        status, body = await w.press("1")
        _, digit = await take(events, 2)
        assert (status, digit.kind, digit.digit) == (200, tel.DIGIT, "1")
        gather = ET.fromstring(body).find("Gather")
        assert gather is not None
        assert gather.get("action") == f"{w.hooks}/gather?call=a1&prompt=message"
        assert [(c.tag, c.text) for c in gather] == [("Play", AUDIO)]

    world.run(scenario)


def test_amd_machine_end_beep_is_machine_then_beep(world: World) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        w.clock.now += 5.0
        await w.status("in-progress")
        w.clock.now += 11.0
        assert await w.amd("machine_end_beep") == (204, "")
        got = await take(events, 3)
        assert [(e.kind, e.t, e.detail) for e in got] == [
            (tel.ANSWERED, 5.0, "in-progress"),
            (tel.MACHINE, 16.0, "machine_end_beep"),
            (tel.BEEP, 16.0, "machine_end_beep"),
        ]

    world.run(scenario)


@pytest.mark.parametrize("answered_by", ["human", "unknown"])
def test_amd_human_or_unknown_is_a_person(world: World, answered_by: str) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.status("in-progress")
        await w.amd(answered_by)
        await w.amd("machine_end_beep")  # Twilio decides once; a repeat changes nothing
        await w.adapter.close()
        got = [e async for e in events]
        assert [(e.kind, e.detail) for e in got] == [
            (tel.ANSWERED, "in-progress"),
            (tel.HUMAN, answered_by),
        ]

    world.run(scenario)


def test_the_played_redirect_reports_played_for_the_named_prompt(world: World) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.status("in-progress")
        await w.amd("machine_end_beep")
        await w.adapter.play("a1", tel.VOICEMAIL)
        w.clock.now += 9.0
        status, body = await w.audio_ends()
        assert status == 200 and ET.fromstring(body).find("Gather") is not None
        *_, played = await take(events, 4)
        assert (played.kind, played.prompt, played.t) == (tel.PLAYED, tel.VOICEMAIL, 9.0)

    world.run(scenario)


def test_callbacks_that_overtake_each_other_still_reach_the_flow_in_a_lawful_order(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.amd("human")  # before the in-progress callback
        await w.status("in-progress")  # already implied: dropped
        await w.status("ringing")  # late: dropped
        await w.status("completed")
        await w.status("completed")  # a repeat: dropped
        await w.amd("human")  # after the end: dropped
        await w.adapter.close()
        got = [e async for e in events]
        assert [(e.kind, e.detail) for e in got] == [
            (tel.ANSWERED, "implied by amd"),
            (tel.HUMAN, "human"),
            (tel.HANGUP, "completed"),
        ]

    world.run(scenario)


def test_canceled_after_our_hangup_of_a_ringing_call_is_a_hangup(world: World) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.status("ringing")
        await w.adapter.hangup("a1")
        await w.status("canceled")
        assert kinds(await take(events, 2)) == [tel.RINGING, tel.HANGUP]

    world.run(scenario)


def test_a_busy_line_reports_busy_with_the_sip_code(world: World) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.status("busy", SipResponseCode="486")
        (busy,) = await take(events, 1)
        assert (busy.kind, busy.detail) == (tel.BUSY, "busy sip 486")

    world.run(scenario)


def test_a_signed_callback_for_a_call_this_adapter_never_placed_is_answered_with_a_hangup(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(w: World) -> None:
        gather = f"{w.hooks}/gather?call=zz9&prompt=message"
        status, body = await w.callback(gather, "CA" + "9" * 32, Digits="9")
        assert status == 200 and [c.tag for c in ET.fromstring(body)] == ["Hangup"]
        unknown = f"{w.hooks}/status?call=zz9"
        status, body = await w.callback(unknown, "CA" + "9" * 32, CallStatus="busy")
        assert status == 200 and [c.tag for c in ET.fromstring(body)] == ["Hangup"]
        await w.adapter.close()
        assert [e async for e in w.adapter.events()] == []

    with caplog.at_level(logging.WARNING):
        world.run(scenario)
    assert world.fake.updates == []  # a TwiML answer ends these; a busy call is over
    assert caplog.text.count("call zz9, which this process did not place") == 2


@pytest.mark.parametrize(
    ("route", "fields", "ending"),
    [
        pytest.param("status", {"CallStatus": "ringing"}, "canceled", id="status-ringing"),
        pytest.param("status", {"CallStatus": "in-progress"}, "completed", id="status-answered"),
        pytest.param("amd", {"AnsweredBy": "human"}, "completed", id="amd"),
    ],
)
def test_a_call_still_up_that_nobody_here_placed_is_ended_through_the_api(
    world: World, route: str, fields: dict[str, str], ending: str
) -> None:
    """A process that died (or a create that timed out after Twilio took it) leaves a call
    in its silent hold: the first callback that reaches anyone ends it."""

    async def scenario(w: World) -> None:
        url = f"{w.hooks}/{route}?call=zz9"
        w.fake.calls["CA" + "9" * 32] = fields.get("CallStatus", "in-progress")
        status, body = await w.callback(url, "CA" + "9" * 32, **fields)
        assert status == 200 and [c.tag for c in ET.fromstring(body)] == ["Hangup"]
        for _ in range(100):  # the API request goes out in the background
            if w.fake.updates:
                break
            await asyncio.sleep(0.02)

    world.run(scenario)
    (update,) = world.fake.updates
    assert update.path.endswith(f"/Calls/CA{'9' * 32}.json")
    assert update.form == {"Status": [ending]}


def test_a_callback_naming_another_calls_sid_is_refused(world: World) -> None:
    async def scenario(w: World) -> None:
        await w.adapter.dial(a_dial())
        url = w.fake.creates[0].one("StatusCallback")
        status, _ = await w.callback(url, "CA" + "e" * 32, CallStatus="busy")
        assert status == 400
        await w.adapter.close()
        assert [e async for e in w.adapter.events()] == []

    world.run(scenario)


# --- the real call flow over Twilio --------------------------------------------------------


async def drive(w: World, flow: CallFlow, events: AsyncIterator[tel.CallEvent], n: int) -> None:
    """Feed ``n`` events to the flow and carry out its commands, as the dialer does."""
    for event in await take(events, n):
        for command in flow.handle(event):
            if command.action == "play":
                await w.adapter.play(flow.call_id, str(command.arg))
            elif command.action == "hangup":
                await w.adapter.hangup(flow.call_id)


def test_a_person_who_presses_9_is_opted_out_by_the_real_call_flow_over_twilio(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        flow = CallFlow("a1", FlowConfig())
        await w.adapter.dial(a_dial())
        await w.status("ringing")
        await w.status("in-progress")
        await w.amd("human")
        await drive(w, flow, events, 3)  # → play the message
        assert w.last_twiml().find("Gather/Play") is not None
        await w.press("9")
        await drive(w, flow, events, 1)  # → opt out, play the confirmation
        await w.audio_ends()
        await drive(w, flow, events, 1)  # → hang up
        assert w.fake.updates[-1].form == {"Status": ["completed"]}
        await w.status("completed")
        await drive(w, flow, events, 1)
        assert (flow.done, flow.outcome) == (True, Outcome.OPTED_OUT)

    world.run(scenario)


def test_a_voicemail_is_dropped_after_the_beep_by_the_real_call_flow_over_twilio(
    world: World,
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        flow = CallFlow("a1", FlowConfig())
        await w.adapter.dial(a_dial())
        await w.status("in-progress")
        await w.amd("machine_end_beep")
        await drive(w, flow, events, 3)  # answered, machine, beep → play the voicemail
        assert w.last_twiml().find("Play") is not None
        await w.audio_ends()
        await drive(w, flow, events, 1)  # → hang up
        await w.status("completed")
        await drive(w, flow, events, 1)
        assert (flow.done, flow.outcome) == (True, Outcome.MACHINE)

    world.run(scenario)


# --- personal data --------------------------------------------------------------------------


def test_no_phone_number_or_credential_reaches_the_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(w: World) -> None:
        events = w.adapter.events()
        await w.adapter.dial(a_dial())
        await w.status("in-progress")
        await w.amd("human")
        await w.adapter.play("a1", tel.MESSAGE)
        await w.press("9")
        await w.adapter.bridge("a1", "+16145550199")
        await w.adapter.hangup("a1")
        await w.status("completed")
        await take(events, 4)
        await w.adapter.dial(a_dial("a2", to=REFUSED_TO))
        await take(events, 1)

    with caplog.at_level(logging.DEBUG):
        world.run(scenario)
    assert caplog.records, "the SDK and the adapter do log: the check is not vacuous"
    for secret in (TO, REFUSED_TO, CALLER_ID, "+16145550199", TOKEN, TO[2:], REFUSED_TO[2:]):
        assert secret not in caplog.text
