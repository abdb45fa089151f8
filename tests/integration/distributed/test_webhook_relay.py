"""The webhook relay's parts on a real Redis (db 15), in one process: claims, the owner's
listener, the bounded wait, and the signature checked before anything is relayed."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.telephony.twilio_twiml import hangup_twiml
from lexdial.adapters.telephony.twilio_webhooks import (
    TWIML_TYPE,
    CallBook,
    TwilioWebhooks,
    WebhookResponse,
)
from lexdial.adapters.webhook_relay import RELAYED_FIELDS, Listener, RelayWebhooks
from lexdial.adapters.webhook_relay_claims import ClaimingTelephony
from lexdial.adapters.webhook_relay_redis import PREFIX
from lexdial.adapters.webhook_relay_redis import RedisRelay as Owners
from lexdial.domain.telephony import HANGUP, AgentLeg, CallEvent, Dial

from .conftest import BROKER, _broker_ok

pytestmark = pytest.mark.integration

TOKEN = "ab" * 16
BASE = "https://dialer.example.test/webhooks/twilio"
WORKER_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="60"/></Response>'


@pytest.fixture
def owners() -> Iterator[Owners]:
    problem = _broker_ok()
    if problem is not None:
        pytest.skip(f"Redis not reachable at {BROKER} ({problem})")
    o = Owners(BROKER, ttl_s=30)
    yield o
    for key in o.redis.scan_iter(f"{PREFIX}*"):
        o.redis.delete(key)


class Hooks:
    """A carrier's webhooks that own ``call=1-1`` and answer with TwiML."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def owns(self, query: Mapping[str, str]) -> bool:
        return query.get("call") == "1-1"

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        self.seen.append((path, url))
        return WebhookResponse(200, WORKER_TWIML, TWIML_TYPE)


class Recording(TwilioWebhooks):
    """The real adapter's webhooks (the signature checked), recording what reached them."""

    seen: list[Mapping[str, str]]

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        self.seen.append(dict(params))
        return super().handle(path, url, params, signature)


def test_the_owner_checks_the_relayed_signature_and_gets_no_number(owners: Owners) -> None:
    book = CallBook(time.monotonic)
    book.add(Dial(call_id="1-1", to="+16145550101", caller_id="+16145550199",
                  ring_timeout_s=20))  # fmt: skip
    hooks = Recording(book, TOKEN, BASE, 60)
    hooks.seen = []
    listener, unknown = Listener(owners), Unknown()
    listener.add(hooks)
    listener.start()
    try:
        owners.claim(listener.worker, [("call", "1-1")])
        got = RelayWebhooks(owners, TOKEN, unknown, wait_s=5).handle(*signed("status", "call=1-1"))
    finally:
        listener.stop()
    assert got.status == 204 and unknown.seen == []  # the adapter's answer to a status
    assert hooks.seen == [{"CallSid": "CA" + "1" * 32, "CallStatus": "in-progress"}]
    assert book.get("1-1") is not None and book.get("1-1").stage == 2  # type: ignore[union-attr]


def test_every_field_the_twilio_adapters_read_is_relayed() -> None:
    src = Path(__file__).resolve().parents[3] / "src/lexdial/adapters/telephony"
    read = set()
    for path in src.glob("twilio*.py"):
        read |= set(re.findall(r'params(?:\.get\(|\[)"([A-Za-z]+)"', path.read_text()))
    assert read and read <= RELAYED_FIELDS, read - RELAYED_FIELDS


class Unknown(Hooks):
    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        self.seen.append((path, url))
        return WebhookResponse(200, hangup_twiml(), TWIML_TYPE)


def signed(route: str, query: str, token: str = TOKEN) -> tuple[str, str, dict[str, str], str]:
    url = f"{BASE}/{route}?{query}"
    params = {"CallSid": "CA" + "1" * 32, "CallStatus": "in-progress", "To": "+16145550101",
              "From": "+16145550199", "ToCity": "COLUMBUS"}  # fmt: skip
    return (f"/webhooks/twilio/{route}", url, params,
            RequestValidator(token).compute_signature(url, params))  # fmt: skip


def test_a_callback_for_a_claimed_call_is_answered_by_the_owner_listener(owners: Owners) -> None:
    listener, hooks, unknown = Listener(owners), Hooks(), Unknown()
    listener.add(hooks)
    listener.start()
    try:
        owners.claim(listener.worker, [("call", "1-1")])
        relay = RelayWebhooks(owners, TOKEN, unknown, wait_s=5)
        got = relay.handle(*signed("gather", "call=1-1&prompt=message"))
    finally:
        listener.stop()
    assert got == WebhookResponse(200, WORKER_TWIML, TWIML_TYPE)
    assert hooks.seen == [("/webhooks/twilio/gather", f"{BASE}/gather?call=1-1&prompt=message")]
    assert unknown.seen == []


def test_a_forged_signature_is_refused_before_anything_is_relayed(owners: Owners) -> None:
    worker = f"w-{uuid.uuid4().hex}"
    owners.claim(worker, [("call", "1-1")])
    unknown = Unknown()
    relay = RelayWebhooks(owners, TOKEN, unknown, wait_s=5)
    got = relay.handle(*signed("status", "call=1-1", token="cd" * 16))
    assert got.status == 403
    assert owners.redis.llen(f"{PREFIX}req:{worker}") == 0 and unknown.seen == []


def test_an_owner_that_does_not_answer_in_time_leaves_the_call_to_the_hang_up(
    owners: Owners,
) -> None:
    owners.claim(f"dead-{uuid.uuid4().hex}", [("call", "1-1")])  # nobody listens there
    unknown = Unknown()
    relay = RelayWebhooks(owners, TOKEN, unknown, wait_s=1)
    began = time.monotonic()
    got = relay.handle(*signed("gather", "call=1-1&prompt=message"))
    assert time.monotonic() - began < 4  # bounded: Twilio waits 15 s for an answer
    assert got.body == hangup_twiml() and len(unknown.seen) == 1


def test_a_call_nobody_claimed_is_hung_up_without_waiting(owners: Owners) -> None:
    unknown = Unknown()
    relay = RelayWebhooks(owners, TOKEN, unknown, wait_s=5)
    began = time.monotonic()
    got = relay.handle(*signed("status", f"call={uuid.uuid4().hex}"))
    assert time.monotonic() - began < 2
    assert got.body == hangup_twiml() and len(unknown.seen) == 1


def test_a_listener_whose_carrier_no_longer_knows_the_call_lets_the_web_hang_it_up(
    owners: Owners,
) -> None:
    listener, unknown = Listener(owners), Unknown()
    listener.add(Hooks())
    listener.start()
    try:
        owners.claim(listener.worker, [("call", "2-2")])  # claimed, but its carrier closed
        got = RelayWebhooks(owners, TOKEN, unknown, wait_s=5).handle(*signed("status", "call=2-2"))
    finally:
        listener.stop()
    assert got.body == hangup_twiml() and len(unknown.seen) == 1


def test_claims_run_out_unless_refreshed_and_a_room_is_found_by_its_agent(
    owners: Owners,
) -> None:
    short = Owners(BROKER, ttl_s=0.3)
    short.claim("w1", [("call", "9-9"), ("agent", "user:7")])
    assert short.owner({"call": "9-9"}) == "w1"
    assert short.owner({"room": "agent-7-3"}) == "w1"  # before the room itself is claimed
    assert short.owner({"room": "agent-8"}) is None
    assert short.owner({"to": "+16145550101"}) is None
    time.sleep(0.5)
    assert short.owner({"call": "9-9"}) is None


class Inner:
    """A carrier that records whether its call was claimed when it was dialled."""

    channels, cps, timescale = 10, 1.0, 1.0

    def __init__(self, owners: Owners) -> None:
        self.owners = owners
        self.claimed_at_dial: list[str | None] = []
        self.webhooks = Hooks()
        self.queue: asyncio.Queue[CallEvent] = asyncio.Queue()

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def dial(self, dial: Dial) -> None:
        self.claimed_at_dial.append(self.owners.owner({"call": dial.call_id}))
        await self.queue.put(CallEvent(dial.call_id, HANGUP, 1.0))

    async def agent_login(self, leg: AgentLeg) -> None:
        self.claimed_at_dial.append(self.owners.owner({"agent": leg.agent}))

    async def events(self) -> AsyncIterator[CallEvent]:
        yield await self.queue.get()


def test_a_worker_claims_a_call_and_an_agent_before_the_carrier_hears_of_them(
    owners: Owners,
) -> None:
    listener = Listener(owners)
    inner = Inner(owners)
    carrier = ClaimingTelephony(inner, owners, listener)  # type: ignore[arg-type]
    dial = Dial(call_id="5-1", to="+16145550101", caller_id="+16145550199", ring_timeout_s=20)

    async def main() -> list[CallEvent]:
        await carrier.start()
        await carrier.dial(dial)
        await carrier.agent_login(AgentLeg("user:3", "twilio_client", "mia"))
        got = [e async for e in carrier.events()]
        await carrier.close()
        return got

    events = asyncio.run(main())
    assert inner.claimed_at_dial == [listener.worker, listener.worker]
    assert [e.kind for e in events] == [HANGUP]
    assert "5-1" not in carrier._calls  # an ended call's claim is no longer refreshed
