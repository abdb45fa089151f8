"""The webhook relay over PostgreSQL (issue 15 item 4: any broker), on a real database of
the test's own: two web relays and two worker listeners (threads, and a worker in a
process of its own, SIGKILLed), each a ``PgRelay`` with its own connections as separate
processes would have. Claims in ``relay_routes``, requests and answers over LISTEN/NOTIFY."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.db import tables as t
from lexdial.adapters.telephony.twilio_twiml import hangup_twiml
from lexdial.adapters.telephony.twilio_webhooks import TWIML_TYPE, WebhookResponse
from lexdial.adapters.webhook_relay import RELAYED_FIELDS, Listener, Message, RelayWebhooks
from lexdial.adapters.webhook_relay_pg import PgRelay, request_channel

pytestmark = pytest.mark.integration

TOKEN = "ab" * 16
BASE = "https://dialer.example.test/webhooks/twilio"
HERE = Path(__file__).resolve().parent
SRC = HERE.parents[2] / "src"


@pytest.fixture
def url(pg_db: str) -> str:
    """The test's database with the relay's table (the migration itself is run by the
    routing test's cluster and by the migration tests)."""
    engine = create_engine(pg_db)
    t.relay_routes.create(engine)
    engine.dispose()
    return pg_db


@pytest.fixture
def relays(url: str) -> Iterator[list[PgRelay]]:
    """Relays made by the test, closed after it (their engines and listening threads)."""
    made: list[PgRelay] = []
    yield made
    for relay in made:
        relay.close()


class Owner:
    """A worker carrier's webhooks: owns some calls, answers with TwiML naming itself."""

    def __init__(self, name: str, calls: set[str], body: str | None = None) -> None:
        self.name, self.calls, self.body = name, calls, body
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def owns(self, query: Mapping[str, str]) -> bool:
        return query.get("call") in self.calls

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        # the relayed signature holds over what crossed (rule 2: the owner checks it)
        ok = bool(signature) and RequestValidator(TOKEN).validate(url, dict(params), signature)
        with self.lock:
            self.seen.append((url, dict(params)))
        if not ok:
            return WebhookResponse(403, "invalid Twilio signature")
        return WebhookResponse(200, self.body or f"<Response><Say>{self.name}</Say></Response>",
                               TWIML_TYPE)  # fmt: skip


class HangUp(Owner):
    """The web process's unknown-call handler: hangs up whatever reaches it."""

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        self.seen.append((url, dict(params)))
        return WebhookResponse(200, hangup_twiml(), TWIML_TYPE)


def signed(route: str, query: str, token: str = TOKEN) -> tuple[str, str, dict[str, str], str]:
    address = f"{BASE}/{route}?{query}"
    params = {"CallSid": "CA" + "1" * 32, "CallStatus": "in-progress", "To": "+16145550101",
              "From": "+16145550199", "ToCity": "COLUMBUS"}  # fmt: skip
    return (f"/webhooks/twilio/{route}", address, params,
            RequestValidator(token).compute_signature(address, params))  # fmt: skip


class Counting(Listener):
    """A worker's listener that counts the requests reaching it, re-sent copies included."""

    asked = 0

    def answer(self, request: Message) -> Message:
        self.asked += 1
        return super().answer(request)


def worker(relays: list[PgRelay], url: str, hooks: Owner, ttl_s: float = 30) -> Counting:
    relay = PgRelay(url, ttl_s=ttl_s)
    relays.append(relay)
    listener = Counting(relay)
    listener.add(hooks)
    listener.start()
    relay.claim(listener.worker, [("call", c) for c in hooks.calls])
    return listener


def web(relays: list[PgRelay], url: str, unknown: Owner, wait_s: float = 5) -> RelayWebhooks:
    relay = PgRelay(url, ttl_s=30)
    relays.append(relay)
    return RelayWebhooks(relay, TOKEN, unknown, wait_s=wait_s)


def settle() -> None:
    time.sleep(0.5)  # each listener's LISTEN is issued by its own thread


def test_each_callback_reaches_its_owner_through_either_web_relay_and_its_answer_returns(
    url: str, relays: list[PgRelay]
) -> None:
    one, two, unknown = Owner("one", {"1-1", "1-2"}), Owner("two", {"2-1"}), Owner("?", set())
    workers = [worker(relays, url, one), worker(relays, url, two)]
    webs = [web(relays, url, unknown), web(relays, url, unknown)]
    settle()
    got: dict[tuple[int, str], WebhookResponse] = {}

    def ask(i: int, call: str) -> None:
        got[(i, call)] = webs[i].handle(*signed("gather", f"call={call}&prompt=message"))

    threads = [threading.Thread(target=ask, args=(i, c)) for i in (0, 1)
               for c in ("1-1", "1-2", "2-1")]  # fmt: skip
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
    finally:
        for w in workers:
            w.stop()
    for (_, call), answer in got.items():
        owner = "one" if call.startswith("1-") else "two"
        assert answer == WebhookResponse(200, f"<Response><Say>{owner}</Say></Response>",
                                         TWIML_TYPE), (call, answer)  # fmt: skip
    assert len(got) == 6 and unknown.seen == []
    assert sorted(u.split("call=")[1][:3] for u, _ in one.seen) == ["1-1", "1-1", "1-2", "1-2"]
    assert [u.split("call=")[1][:3] for u, _ in two.seen] == ["2-1", "2-1"]
    # only the relayed fields crossed: never the callee's number or place
    for _, params in one.seen + two.seen:
        assert set(params) <= RELAYED_FIELDS and "+16145550101" not in params.values()


def test_an_answer_longer_than_notifys_8000_bytes_comes_back_whole(
    url: str, relays: list[PgRelay]
) -> None:
    long = "<Response><Say>" + "Please call us back. " * 2000 + "</Say></Response>"
    owner, unknown = Owner("long", {"3-1"}, body=long), Owner("?", set())
    listener = worker(relays, url, owner)
    relay = web(relays, url, unknown)
    settle()
    try:
        got = relay.handle(*signed("gather", "call=3-1&prompt=message"))
    finally:
        listener.stop()
    assert len(long) > 40_000 and got == WebhookResponse(200, long, TWIML_TYPE)


def test_a_forged_callback_is_refused_at_the_web_relay_and_never_reaches_the_owner(
    url: str, relays: list[PgRelay]
) -> None:
    owner, unknown = Owner("one", {"1-1"}), Owner("?", set())
    listener = worker(relays, url, owner)
    relay = web(relays, url, unknown)
    settle()
    try:
        got = relay.handle(*signed("status", "call=1-1", token="cd" * 16))
        time.sleep(1)  # had anything been relayed, the listener would have taken it by now
    finally:
        listener.stop()
    assert got.status == 403 and owner.seen == [] and unknown.seen == []


def test_unknown_expired_and_silent_owners_leave_the_call_to_the_hang_up_handler(
    url: str, relays: list[PgRelay]
) -> None:
    unknown = HangUp("?", set())
    relay = web(relays, url, unknown, wait_s=1)
    short = PgRelay(url, ttl_s=0.5)
    relays.append(short)
    short.claim("gone", [("call", "8-8")])
    assert short.owner({"call": "8-8"}) == "gone"
    relay_claims = PgRelay(url, ttl_s=30)
    relays.append(relay_claims)
    relay_claims.claim(f"silent-{uuid.uuid4().hex}", [("call", "9-9")])  # nobody listens
    time.sleep(0.8)
    began = time.monotonic()
    nobody = relay.handle(*signed("status", "call=7-7"))
    expired = relay.handle(*signed("status", "call=8-8"))
    fast = time.monotonic() - began
    began = time.monotonic()
    silent = relay.handle(*signed("gather", "call=9-9&prompt=message"))
    waited = time.monotonic() - began
    assert nobody.body == expired.body == silent.body == hangup_twiml()
    assert len(unknown.seen) == 3
    assert fast < waited  # no owner: no wait; a silent owner: the bounded wait
    assert 0.9 <= waited < 4  # Twilio waits 15 s for an answer


def test_expired_claims_are_reaped_and_a_room_is_found_by_its_agent(
    url: str, relays: list[PgRelay]
) -> None:
    a = PgRelay(url, ttl_s=0.3)
    relays.append(a)
    a.claim("w1", [("call", "5-5"), ("agent", "user:7")])
    assert a.owner({"room": "agent-7-2"}) == "w1"  # before the room itself is claimed
    assert a.owner({"room": "agent-8"}) is None and a.owner({"to": "+16145550101"}) is None
    time.sleep(0.5)
    assert a.owner({"call": "5-5"}) is None
    a.claim("w2", [("call", "6-6")])  # more than a TTL since the last reap: reaped now
    with a.db.connect() as conn:
        names = {r[0] for r in conn.execute(select(t.relay_routes.c.name))}
        assert names == {"6-6"}
        assert conn.execute(select(func.count()).select_from(t.relay_routes)).scalar() == 1


def test_a_killed_workers_claims_run_out_and_its_calls_fall_to_the_hang_up_handler(
    url: str, relays: list[PgRelay]
) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "relay_pg_worker.py"), url, "4-4", "1.5"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    unknown = HangUp("?", set())
    relay = web(relays, url, unknown, wait_s=3)
    try:
        assert proc.stdout is not None
        worker_id = proc.stdout.readline().strip()
        assert worker_id, proc.communicate(timeout=5)
        time.sleep(2)  # past one TTL: still owned, as it refreshes its claim
        assert relay._owners.owner({"call": "4-4"}) == worker_id
        alive = relay.handle(*signed("gather", "call=4-4&prompt=message"))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 5  # the TTL (1.5 s) after its last refresh, and slack
        while relay._owners.owner({"call": "4-4"}) is not None:
            assert time.monotonic() < deadline, "the killed worker's claim did not run out"
            time.sleep(0.1)
        dead = relay.handle(*signed("gather", "call=4-4&prompt=message"))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert alive == WebhookResponse(200, f"<Response><Say>pid {proc.pid}</Say></Response>",
                                    TWIML_TYPE)  # fmt: skip
    assert dead.body == hangup_twiml() and len(unknown.seen) == 1


def test_a_listener_skips_a_bad_message_and_listens_again_after_losing_its_connection(
    url: str, relays: list[PgRelay]
) -> None:
    owner, unknown = Owner("one", {"1-1"}), HangUp("?", set())
    listener = worker(relays, url, owner)
    relay = web(relays, url, unknown, wait_s=2)
    settle()
    channel = request_channel(listener.worker)
    try:
        with relays[0].db.begin() as conn:  # someone NOTIFYing rubbish on the worker's channel
            conn.execute(text("SELECT pg_notify(:c, 'not a message')"), {"c": channel})
        first = relay.handle(*signed("gather", "call=1-1&prompt=message"))
        with relays[0].db.begin() as conn:  # the server drops every LISTENing connection
            dropped = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )).scalar()  # fmt: skip
        # the callback relayed at once, while both sides listen again, is re-sent until
        # they do: answered within the wait, never left to the hang-up handler
        again = relay.handle(*signed("gather", "call=1-1&prompt=message"))
    finally:
        listener.stop()
    expected = WebhookResponse(200, "<Response><Say>one</Say></Response>", TWIML_TYPE)
    assert first == expected
    assert dropped == 2  # the worker's inbox and the web process's reply channel
    assert again == expected and unknown.seen == [] and len(owner.seen) == 2


def drop(url: str, channel: str) -> int:
    """The server ends the connection LISTENing on ``channel`` (a channel of this test's
    own), and is waited for until it is gone: as a restart or a dropped link would."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return int(conn.execute(text(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query = :listen"
            ), {"listen": f'LISTEN "{channel}"'}).scalar() or 0)  # fmt: skip
    finally:
        engine.dispose()


def test_a_callback_sent_while_the_owner_listens_again_is_answered_in_time_and_applied_once(
    url: str, relays: list[PgRelay]
) -> None:
    owner, unknown = Owner("one", {"1-1"}), HangUp("?", set())
    listener = worker(relays, url, owner)
    relay = web(relays, url, unknown, wait_s=5)
    settle()
    try:
        # the owner's LISTEN connection is gone when the callback is sent: that NOTIFY is
        # lost; a copy re-sent once the owner listens again is answered
        assert drop(url, request_channel(listener.worker)) == 1
        began = time.monotonic()
        got = relay.handle(*signed("gather", "call=1-1&prompt=message"))
        took = time.monotonic() - began
    finally:
        listener.stop()
    assert got == WebhookResponse(200, "<Response><Say>one</Say></Response>", TWIML_TYPE)
    assert unknown.seen == [] and len(owner.seen) == 1 and took < 5


class Cutting(Owner):
    """An owner whose first callback takes a while, at the end of which the web process's
    reply connection is dropped: the answer it then sends is NOTIFYed to nobody."""

    def __init__(self, url: str, web: PgRelay) -> None:
        super().__init__("one", {"1-1"})
        self.url, self.web, self.dropped = url, web, -1

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        if self.dropped < 0:
            time.sleep(0.7)  # the web side re-sends meanwhile: copies queue up here
            self.dropped = drop(self.url, self.web._reply_channel)
        return super().handle(path, url, params, signature)


def test_an_answer_lost_while_the_web_side_listens_again_is_sent_again_not_applied_again(
    url: str, relays: list[PgRelay]
) -> None:
    unknown = HangUp("?", set())
    relay = web(relays, url, unknown, wait_s=5)
    owner = Cutting(url, relay._owners)  # type: ignore[arg-type]
    listener = worker(relays, url, owner)
    settle()
    try:
        began = time.monotonic()
        got = relay.handle(*signed("status", "call=1-1"))
        took = time.monotonic() - began
        time.sleep(0.5)  # copies still on their way are answered from memory, not applied
    finally:
        listener.stop()
    assert owner.dropped == 1
    assert got == WebhookResponse(200, "<Response><Say>one</Say></Response>", TWIML_TYPE)
    assert unknown.seen == [] and took < 5
    # the status callback is applied once though several copies reached the owner
    assert len(owner.seen) == 1 and listener.asked >= 2
