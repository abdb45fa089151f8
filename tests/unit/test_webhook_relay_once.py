"""The relay's re-send and answer-once scheme (``webhook_relay_once``), on fakes: no
transport, short real waits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping

from lexdial.adapters.telephony.twilio_webhooks import WebhookResponse
from lexdial.adapters.webhook_relay import Listener, Message
from lexdial.adapters.webhook_relay_once import Once, ask

REQUEST: Message = {"path": "/webhooks/twilio/status", "query": {"call": "1-1"}, "id": "r1",
                    "reply": "rep_1", "params": {"CallStatus": "completed"}}  # fmt: skip


class Transport:
    """A transport that loses the first ``lose`` sends and fails the first ``fail`` ones."""

    def __init__(self, lose: int = 0, fail: int = 0) -> None:
        self.lose, self.fail = lose, fail
        self.sends = 0
        self.answer: Message | None = None
        self.arrived = threading.Event()

    def send(self, left: float) -> None:
        self.sends += 1
        if self.sends <= self.fail:
            raise ConnectionError("down")
        if self.sends > self.lose + self.fail:
            self.answer = {"status": 200}
            self.arrived.set()

    def take(self, timeout: float) -> Message | None:
        self.arrived.wait(timeout)
        return self.answer


def test_a_request_lost_twice_is_sent_again_until_answered() -> None:
    transport = Transport(lose=2)
    got = ask(transport.send, transport.take, wait_s=2, every_s=0.02)
    assert got == {"status": 200} and transport.sends == 3


def test_a_request_answered_at_once_is_sent_once() -> None:
    transport = Transport()
    assert ask(transport.send, transport.take, wait_s=2, every_s=0.02) == {"status": 200}
    assert transport.sends == 1


def test_a_failing_send_is_tried_again_at_the_next_tick() -> None:
    transport = Transport(fail=2)
    assert ask(transport.send, transport.take, wait_s=2, every_s=0.02) == {"status": 200}
    assert transport.sends == 3


def test_a_failing_wait_is_waited_again_and_the_request_sent_again() -> None:
    calls: list[float] = []

    def take(timeout: float) -> Message | None:
        calls.append(timeout)
        if len(calls) == 1:
            raise ConnectionError("lost")
        return {"status": 204}

    sends: list[float] = []
    assert ask(sends.append, take, wait_s=2, every_s=0.02) == {"status": 204}
    assert len(calls) == 2 and len(sends) == 2


def test_an_unanswered_request_is_given_up_at_the_end_of_the_wait_not_later() -> None:
    transport = Transport(lose=10**6)
    began = time.monotonic()
    assert ask(transport.send, transport.take, wait_s=0.3, every_s=0.05) is None
    took = time.monotonic() - began
    assert 0.3 <= took < 1.0 and 2 <= transport.sends <= 7  # (a busy machine: fewer ticks)
    waits: list[float] = []
    ask(lambda left: None, lambda t: waits.append(t), wait_s=0.1, every_s=0.04)
    assert waits and all(0 < w <= 0.04 for w in waits)  # never a wait past the end


class Counter:
    def __init__(self) -> None:
        self.applied: list[Message] = []

    def __call__(self, request: Message) -> Message:
        self.applied.append(request)
        return {"status": 200, "body": f"answer {len(self.applied)}"}


def test_a_copy_of_a_request_gets_the_same_answer_and_is_not_applied_again() -> None:
    once, apply = Once(), Counter()
    first = once(REQUEST, apply)
    again = once(dict(REQUEST), apply)
    assert first == again == {"status": 200, "body": "answer 1"} and len(apply.applied) == 1


def test_another_request_even_under_the_same_id_is_applied() -> None:
    once, apply = Once(), Counter()
    once(REQUEST, apply)
    once({**REQUEST, "id": "r2"}, apply)
    once({**REQUEST, "params": {"CallStatus": "busy"}}, apply)  # not a copy: its own answer
    assert len(apply.applied) == 3


def test_a_request_without_an_id_is_applied_each_time() -> None:
    once, apply = Once(), Counter()
    plain = {k: v for k, v in REQUEST.items() if k != "id"}
    once(plain, apply)
    once(plain, apply)
    assert len(apply.applied) == 2 and len(once) == 0


def test_answers_are_forgotten_past_their_age_and_beyond_their_number() -> None:
    now = [0.0]
    once, apply = Once(keep_s=10, keep_max=3, clock=lambda: now[0]), Counter()
    for i in range(5):
        once({**REQUEST, "id": f"r{i}"}, apply)
    assert len(once) == 3  # the two oldest dropped for the number
    once({**REQUEST, "id": "r0"}, apply)  # forgotten: applied again (an old copy)
    assert len(apply.applied) == 6
    once({**REQUEST, "id": "r4"}, apply)  # still kept
    assert len(apply.applied) == 6
    now[0] = 10.5
    once({**REQUEST, "id": "r9"}, apply)  # the others are too old now
    assert len(once) == 1


def test_long_answers_are_forgotten_beyond_their_bytes_whatever_their_number() -> None:
    size = len(json.dumps({"status": 200, "body": "x" * 1000}))

    def long(request: Message) -> Message:
        return {"status": 200, "body": "x" * 1000}

    once = Once(keep_max=1000, keep_bytes=3 * size)
    for i in range(5):
        once({**REQUEST, "id": f"r{i}"}, long)
    assert len(once) == 3  # the two oldest dropped for the bytes, far under the number
    applied = Counter()
    once({**REQUEST, "id": "r4"}, applied)  # kept: its answer again, not applied
    once({**REQUEST, "id": "r0"}, applied)  # forgotten: applied again
    assert len(applied.applied) == 1


def test_a_copy_arriving_while_the_first_is_applied_waits_for_its_answer() -> None:
    once = Once()
    started, release = threading.Event(), threading.Event()
    applied: list[str] = []

    def slow(request: Message) -> Message:
        applied.append("slow")
        started.set()
        release.wait(5)
        return {"status": 200, "body": "first"}

    got: list[Message] = []
    first = threading.Thread(target=lambda: got.append(once(REQUEST, slow)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: got.append(once(REQUEST, slow)))
    second.start()
    time.sleep(0.05)
    assert got == []  # the copy waits
    release.set()
    first.join(5)
    second.join(5)
    assert applied == ["slow"] and got == [{"status": 200, "body": "first"}] * 2


def test_a_listener_applies_a_re_sent_callback_to_its_carrier_once() -> None:
    class Hooks:
        seen = 0

        def owns(self, query: Mapping[str, str]) -> bool:
            return True

        def handle(
            self, path: str, url: str, params: Mapping[str, str], signature: str | None
        ) -> WebhookResponse:
            Hooks.seen += 1
            return WebhookResponse(204, "")

    listener = Listener(relay=None, worker="w")  # type: ignore[arg-type]  # never started
    listener.add(Hooks())
    request = {**REQUEST, "url": "https://x.example/status?call=1-1", "signature": "s"}
    assert (
        listener.answer(request)
        == listener.answer(dict(request))
        == {"status": 204, "body": "", "content_type": WebhookResponse(204, "").content_type}
    )
    assert Hooks.seen == 1
