"""Twilio's webhooks, validated and turned into ``CallEvent``s; framework-free.

Rule 1: nothing happens before the signature is checked. A request whose
``X-Twilio-Signature`` does not match the URL and form parameters (HMAC-SHA1 with the
account's auth token, checked by the SDK's ``RequestValidator``) gets 403 and changes
nothing: no event, no state.
Rule 2: the flow sees one call's events in a lawful order although Twilio's callbacks are
separate HTTP requests that may overtake each other: a call's stage only moves forward
(ringing < answered < ended), a late ``ringing`` after ``in-progress`` is dropped, and an
AMD result or a key press that arrives before the ``in-progress`` callback is preceded by
the ANSWERED it implies. Nothing is reported after a call ended.
Rule 3: ``handle`` may run on any thread (a web server's worker pool); ``CallBook`` hands
events to the adapter's event loop thread-safely.
Rule 4: a signed callback for a call this process does not know (placed by a process that
died, or whose create timed out after Twilio took it) never leaves the person in silence:
it is answered with TwiML that hangs up, logged (call id and route, no number), and, where
Twilio says the call is still up, ``on_unknown`` ends it through the REST API.

The HTTP server in front (the FastAPI app) passes ``url`` exactly as Twilio requested it
(the public URL, scheme, host and query included: the signature covers it) and the form
fields as ``params``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.telephony import twilio_twiml as twiml
from lexdial.domain.telephony import (
    ANSWERED,
    BEEP,
    BUSY,
    DIGIT,
    FAILED,
    HANGUP,
    HUMAN,
    MACHINE,
    NO_ANSWER,
    PLAYED,
    PROMPTS,
    RINGING,
    CallEvent,
    Dial,
)
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

TWIML_TYPE: Final = "application/xml; charset=utf-8"
#: CallStatus values of a call that is not over yet (an unknown one of these is ended)
LIVE_STATUSES: Final = frozenset({"queued", "initiated", "ringing", "in-progress", "answered"})

#: Twilio CallStatus → our event kind (None: nothing the flow needs to hear)
STATUS_KINDS: Final[Mapping[str, str | None]] = {
    "queued": None,
    "initiated": None,
    "ringing": RINGING,
    "in-progress": ANSWERED,
    "answered": ANSWERED,
    "busy": BUSY,
    "no-answer": NO_ANSWER,
    "failed": FAILED,
    "canceled": FAILED,
    "completed": HANGUP,
}
#: AnsweredBy (MachineDetection=DetectMessageEnd) → event kinds, in order. A machine is
#: reported once its greeting ended (beep, silence or other), so BEEP follows at once: the
#: voicemail drop may start. ``unknown`` counts as a person: the live-person rules are the
#: stricter ones. A fax is a machine without a beep (``domain.call`` allows no FAILED once
#: answered): the flow hangs up, or drops the voicemail when its beep timer runs out.
AMD_KINDS: Final[Mapping[str, tuple[str, ...]]] = {
    "human": (HUMAN,),
    "unknown": (HUMAN,),
    "machine_end_beep": (MACHINE, BEEP),
    "machine_end_silence": (MACHINE, BEEP),
    "machine_end_other": (MACHINE, BEEP),
    "machine_start": (MACHINE,),  # only with MachineDetection=Enable, which we do not send
    "fax": (MACHINE,),
}
_ENDED: Final = frozenset({BUSY, NO_ANSWER, FAILED, HANGUP})
_STAGE: Final[Mapping[str, int]] = {RINGING: 1, ANSWERED: 2} | dict.fromkeys(_ENDED, 3)


def status_kind(call_status: str, *, hangup_requested: bool = False) -> str | None:
    """The event kind for a CallStatus; ``canceled`` after our own hangup is a HANGUP."""
    if call_status == "canceled" and hangup_requested:
        return HANGUP
    return STATUS_KINDS.get(call_status)


def amd_kinds(answered_by: str) -> tuple[str, ...]:
    """The event kinds for an AnsweredBy value (an unknown value counts as a person)."""
    return AMD_KINDS.get(answered_by, (HUMAN,))


class AgentRoutes(Protocol):
    """The agent-leg routes' handler (``twilio_agents.AgentLegs``), called once signed."""

    def handle(
        self, route: str, query: Mapping[str, str], params: Mapping[str, str]
    ) -> WebhookResponse: ...

    def owns(self, query: Mapping[str, str]) -> bool: ...


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    """What to answer Twilio: a status, and TwiML or nothing."""

    status: int
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"


@dataclass(slots=True)
class CallState:
    """One call as the adapter knows it; mutated only under ``CallBook.lock``."""

    dial: Dial
    started: float  # clock reading when the dial was sent: t = 0
    sid: str | None = None  # Twilio's CallSid, once the REST reply or a webhook told us
    stage: int = 0  # 0 dialled, 1 ringing, 2 answered, 3 ended (see Rule 2)
    amd_done: bool = False
    hangup_requested: bool = False


class CallBook:
    """The calls an adapter placed and its one event stream, safe across threads."""

    def __init__(self, clock: Callable[[], float], keep_ended: int = 4096) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._calls: dict[str, CallState] = {}
        # ended calls are kept a while so late webhooks are recognised, then forgotten
        self._ended: OrderedDict[str, CallState] = OrderedDict()
        self._keep_ended = keep_ended
        self._pending: deque[CallEvent] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver events to consumers on ``loop`` (called from ``start()`` on that loop)."""
        self._loop, self._wake = loop, asyncio.Event()

    def add(self, dial: Dial) -> CallState:
        """Register a new call; its timeline starts now."""
        with self.lock:
            if dial.call_id in self._calls or dial.call_id in self._ended:
                raise TelephonyError(f"call {dial.call_id} was already dialled")
            state = CallState(dial=dial, started=self._clock())
            self._calls[dial.call_id] = state
            return state

    def forget(self, call_id: str) -> None:
        """Drop a call that never reached Twilio (its dial raised)."""
        with self.lock:
            self._calls.pop(call_id, None)

    def get(self, call_id: str) -> CallState | None:
        """A live or recently ended call, or None."""
        with self.lock:
            return self._calls.get(call_id) or self._ended.get(call_id)

    def emit(
        self,
        state: CallState,
        kind: str,
        *,
        digit: str | None = None,
        prompt: str | None = None,
        detail: str | None = None,
        ends: bool = False,
    ) -> None:
        """Report ``kind`` for ``state`` at the clock's now; ``ends``: the call is over."""
        with self.lock:
            call_id = state.dial.call_id
            t = round(self._clock() - state.started, 3)
            event = CallEvent(call_id, kind, t, digit, prompt, detail)
            self._pending.append(event)
            if ends and self._calls.pop(call_id, None) is not None:
                state.stage = 3
                self._ended[call_id] = state
                while len(self._ended) > self._keep_ended:
                    self._ended.popitem(last=False)
        self._notify()

    def push(self, event: CallEvent) -> None:
        """Report an event that belongs to no placed call (an agent's leg: call_id "")."""
        with self.lock:
            self._pending.append(event)
        self._notify()

    def now(self) -> float:
        """The book's clock reading."""
        return self._clock()

    def by_sid(self, sid: str) -> CallState | None:
        """The live call Twilio knows as ``sid``, or None."""
        with self.lock:
            return next((s for s in self._calls.values() if s.sid == sid), None)

    def _notify(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return  # not started yet: events wait in the queue for ``events()``
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody listens any more
            loop.call_soon_threadsafe(wake.set)

    def close(self) -> None:
        """End ``events()`` once the queued events are delivered."""
        self._closed = True
        self._notify()

    async def events(self) -> AsyncIterator[CallEvent]:
        """Every event in the order reported; ends after ``close()``."""
        if self._wake is None:
            self.bind(asyncio.get_running_loop())
        wake = self._wake
        assert wake is not None
        while True:
            wake.clear()  # before draining: an event queued meanwhile sets it again
            while True:
                with self.lock:
                    event = self._pending.popleft() if self._pending else None
                if event is None:
                    break
                yield event
            if self._closed:
                return
            await wake.wait()


class TwilioWebhooks:
    """Validates Twilio's webhook requests and reports them as events on a ``CallBook``."""

    def __init__(
        self,
        book: CallBook,
        auth_token: str,
        webhook_base: str,
        hold_s: int,
        on_unknown: Callable[[str, str], None] | None = None,
        legs: AgentRoutes | None = None,
    ) -> None:
        self._book = book
        #: the agents' legs' routes (``twilio_agents``), or None: those routes are 404
        self._legs = legs
        self._validator = RequestValidator(auth_token)
        self._base = webhook_base
        self._hold_s = hold_s
        #: ``on_unknown(CallSid, CallStatus)``: end a live call nobody here knows
        self._on_unknown = on_unknown

    def owns(self, query: Mapping[str, str]) -> bool:
        """Whether this handler knows what a callback's query names (``call=``, or an
        agent leg's ``agent=`` / ``room=``): a web app serving several carriers routes the
        callback to the one that does."""
        call = query.get("call")
        if call:
            return self._book.get(call) is not None
        return self._legs is not None and self._legs.owns(query)

    def signed(self, url: str, params: Mapping[str, str], signature: str | None) -> bool:
        """Whether Twilio signed this request (``signature``: the X-Twilio-Signature)."""
        if not signature:
            return False
        return bool(self._validator.validate(url, dict(params), signature))

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        """Answer one webhook: ``path`` ends in the route, ``url`` is what Twilio signed."""
        if not self.signed(url, params, signature):
            return WebhookResponse(403, "invalid Twilio signature")
        route = path.rstrip("/").rsplit("/", 1)[-1]
        if route not in twiml.ROUTES:
            return WebhookResponse(404, "no such webhook")
        query = parse_qs(urlsplit(url).query)
        if route in (twiml.AGENT, twiml.CONFERENCE):
            if self._legs is None:
                return WebhookResponse(404, "no such webhook")
            return self._legs.handle(route, {k: v[0] for k, v in query.items()}, params)
        call_id = query.get("call", [""])[0]
        prompt = query.get("prompt", [""])[0]
        if not call_id:
            return WebhookResponse(400, "missing call")
        known = PROMPTS | {twiml.HOLD} if route == twiml.GATHER else PROMPTS
        if route in (twiml.GATHER, twiml.PLAYED) and prompt not in known:
            return WebhookResponse(400, "missing or unknown prompt")
        with self._book.lock:
            state = self._book.get(call_id)
            if state is None:
                return self._unknown(route, call_id, params)
            if state.stage == 3:
                return self._ended_answer(route)  # late: the call is over
            sid = params.get("CallSid", "")
            if state.sid is None:
                state.sid = sid or None  # Twilio may call back before the REST reply lands
            elif sid and sid != state.sid:
                return WebhookResponse(400, "CallSid does not match the call")
            if route == twiml.STATUS:
                return self._status(state, params)
            if route == twiml.AMD:
                return self._amd(state, params)
            if route == twiml.GATHER:
                return self._gather(state, prompt, params.get("Digits", ""))
            return self._played(state, prompt)

    # --- routes (called with the book's lock held) ------------------------------------

    def _unknown(self, route: str, call_id: str, params: Mapping[str, str]) -> WebhookResponse:
        sid = params.get("CallSid", "")
        status = params.get("CallStatus", "") or ("in-progress" if route == twiml.AMD else "")
        # the TwiML answer ends a Gather's or Redirect's call; a status or AMD callback's
        # answer is ignored by Twilio, so a call still up is ended through the API
        live = status in LIVE_STATUSES and route in (twiml.STATUS, twiml.AMD)
        log.warning(
            "twilio %s callback for call %s, which this process did not place: "
            "answered with <Hangup/>%s",
            route,
            call_id,
            " and ended through the API" if live and sid and self._on_unknown else "",
        )
        if live and sid and self._on_unknown is not None:
            self._on_unknown(sid, status)
        return WebhookResponse(200, twiml.hangup_twiml(), TWIML_TYPE)

    def _ended_answer(self, route: str) -> WebhookResponse:
        if route in (twiml.GATHER, twiml.PLAYED):
            return WebhookResponse(200, twiml.hangup_twiml(), TWIML_TYPE)
        return WebhookResponse(204)

    def _advance(self, state: CallState, kind: str, detail: str | None = None) -> None:
        stage = _STAGE[kind]
        if stage > state.stage:
            state.stage = stage
            self._book.emit(state, kind, detail=detail, ends=kind in _ENDED)

    def _answered(self, state: CallState, why: str) -> None:
        if state.stage < 2:
            self._advance(state, ANSWERED, detail=f"implied by {why}")

    def _status(self, state: CallState, params: Mapping[str, str]) -> WebhookResponse:
        status = params.get("CallStatus", "")
        kind = status_kind(status, hangup_requested=state.hangup_requested)
        if kind is not None:
            sip = params.get("SipResponseCode")
            self._advance(state, kind, detail=status if not sip else f"{status} sip {sip}")
        return WebhookResponse(204)

    def _amd(self, state: CallState, params: Mapping[str, str]) -> WebhookResponse:
        if not state.amd_done:
            state.amd_done = True
            answered_by = params.get("AnsweredBy", "unknown")
            self._answered(state, "amd")
            for kind in amd_kinds(answered_by):
                self._book.emit(state, kind, detail=answered_by)
        return WebhookResponse(204)

    def _gather(self, state: CallState, prompt: str, digits: str) -> WebhookResponse:
        if digits:
            self._answered(state, "a key")
            self._book.emit(state, DIGIT, digit=digits[0], detail=f"during {prompt}")
            dial = state.dial
            # Twilio's Gather stops its audio at any key, where SIP keeps playing: a key
            # other than the opt-out key restarts the prompt (Twilio cannot resume
            # mid-file), so only the opt-out key cuts the message short.
            listening = prompt in twiml.LISTENING_PROMPTS and prompt in dial.prompts
            if listening and digits[0] != dial.opt_out_key:
                body = twiml.prompt_twiml(self._base, dial.call_id, prompt, dial.prompts[prompt])
                return WebhookResponse(200, body, TWIML_TYPE)
        return self._hold(state)

    def _played(self, state: CallState, prompt: str) -> WebhookResponse:
        self._answered(state, "a prompt")
        self._book.emit(state, PLAYED, prompt=prompt)
        return self._hold(state)

    def _hold(self, state: CallState) -> WebhookResponse:
        body = twiml.hold_twiml(self._base, state.dial.call_id, self._hold_s)
        return WebhookResponse(200, body, TWIML_TYPE)
