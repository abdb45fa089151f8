"""The webhook relay's parts on a real Redis (db 15), in one process: claims, the owner's
listener, the bounded wait, and the signature checked before anything is relayed."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import pytest
import redis
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters import webhook_relay_redis
from lexdial.adapters.telephony.twilio_twiml import hangup_twiml
from lexdial.adapters.telephony.twilio_webhooks import (
    TWIML_TYPE,
    CallBook,
    TwilioWebhooks,
    WebhookResponse,
)
from lexdial.adapters.webhook_relay import RELAYED_FIELDS, Listener, Message, RelayWebhooks
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


def named(name: str) -> redis.Redis:
    """A client whose connections carry ``name``: the test drops only its own."""
    return redis.Redis.from_url(BROKER, socket_timeout=10, socket_connect_timeout=5,
                                client_name=name)  # fmt: skip


def drop(name: str) -> int:
    """Redis ends every connection named ``name`` (as a restart or a lost link would)."""
    admin = redis.Redis.from_url(BROKER)
    try:
        ids = [c["id"] for c in admin.client_list() if c.get("name") == name]
        return sum(int(admin.client_kill_filter(_id=i)) for i in ids)
    finally:
        admin.close()


class Counting(Listener):
    """A worker's listener that counts the requests reaching it, re-sent copies included."""

    asked = 0

    def answer(self, request: Message) -> Message:
        self.asked += 1
        return super().answer(request)


class Cutting(Hooks):
    """A carrier whose first callback takes a while, at the end of which the connection
    named ``name`` is dropped."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.dropped = name, -1

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        if self.dropped < 0:
            time.sleep(0.7)  # the web side re-sends meanwhile: copies queue up
            self.dropped = drop(self.name)
        return super().handle(path, url, params, signature)


def test_a_web_connection_dropped_while_the_owner_answers_loses_no_callback_nor_applies_it_twice(
    owners: Owners, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the web process's wait for the answer fails with the connection: it waits again
    # (the answer is kept in its list); the copies it re-sent meanwhile reach the owner
    tag = f"lexdial-test-web-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(webhook_relay_redis, "_redis", lambda url: named(f"{tag}-owner"))
    hooks, unknown = Cutting(tag), Unknown()
    listener = Counting(owners)
    listener.add(hooks)
    listener.start()
    asking = Owners(BROKER, ttl_s=30)
    asking.redis = named(tag)
    try:
        owners.claim(listener.worker, [("call", "1-1")])
        relay = RelayWebhooks(asking, TOKEN, unknown, wait_s=5)
        began = time.monotonic()
        got = relay.handle(*signed("status", "call=1-1"))
        took = time.monotonic() - began
        time.sleep(1)  # copies still queued are answered from memory, not applied
    finally:
        listener.stop()
    assert hooks.dropped == 1
    assert got == WebhookResponse(200, WORKER_TWIML, TWIML_TYPE) and unknown.seen == []
    assert took < 5 and len(hooks.seen) == 1 and listener.asked >= 2


def test_a_request_lost_from_the_owners_inbox_is_sent_again_and_answered_once(
    owners: Owners,
) -> None:
    # an inbox is a stored list, but a restart without persistence, or a failover to a
    # replica the push had not reached yet, loses what it held
    listener, hooks, unknown = Counting(owners), Hooks(), Unknown()
    listener.add(hooks)
    owners.claim(listener.worker, [("call", "1-1")])
    relay = RelayWebhooks(Owners(BROKER, ttl_s=30), TOKEN, unknown, wait_s=5)
    got: list[WebhookResponse] = []
    asking = threading.Thread(
        target=lambda: got.append(relay.handle(*signed("status", "call=1-1")))
    )
    inbox = f"{PREFIX}req:{listener.worker}"
    began = time.monotonic()
    asking.start()
    try:
        while not owners.redis.llen(inbox):
            assert time.monotonic() - began < 2, "the request never reached the inbox"
            time.sleep(0.01)
        owners.redis.delete(inbox)  # lost before the owner took it
        listener.start()
        asking.join(10)
        time.sleep(0.5)  # copies still queued are answered from memory, not applied
    finally:
        listener.stop()
    assert got == [WebhookResponse(200, WORKER_TWIML, TWIML_TYPE)] and unknown.seen == []
    assert len(hooks.seen) == 1 and time.monotonic() - began < 6
