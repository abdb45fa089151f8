"""Twilio: calls placed with the twilio SDK, reported through signed webhooks.

Rule 1 (from ``domain.telephony``): the call flow alone decides what plays when. So the
call is created holding silently in a one-digit Gather (the *hold*, see
``twilio_twiml``), and each command redirects the live call with Twilio's "modify a
call in progress" API (``calls(sid).update(twiml=...)``):

=====================  ========================================================
``dial``               ``calls.create``: hold TwiML, AMD ``DetectMessageEnd`` (async),
                       status callbacks initiated/ringing/answered/completed
``play`` message,      the prompt's ``<Play>`` (``<Say>`` without an audio URL) inside
safe_harbor            ``<Gather numDigits="1">``; a key → DIGIT, the end → PLAYED
``play`` voicemail,    ``<Play>`` then ``<Redirect>`` to ``played``: PLAYED at the end
optout_confirm
``bridge``             "user:ID": the customer's call moves into the agent's room
                       (``<Dial><Conference>``), BRIDGED on its participant-join;
                       an address: ``<Dial>`` to the number, ``client:`` or ``sip:``
``agent_login``        ``calls.create`` to ``client:IDENTITY`` into a room named for
                       the agent; AGENT_UP on its join, AGENT_DOWN when it ends
``transfer``           cold: the customer moves (another agent's room, or
                       ``<Dial><Number>``); warm: the target joins the customer's
                       room, then the first agent leaves (``twilio_agents``)
``hangup``             ringing (or not yet ringing): ``update(status="canceled")``;
                       answered: ``update(status="completed")`` (Twilio's Call
                       resource: ``canceled`` ends a queued or ringing call and
                       leaves an answered one up, ``completed`` ends an
                       in-progress one; answered meanwhile: ``completed``
                       follows). Asked before ``create`` returned: sent once it has.
=====================  ========================================================

Rule 2: every method returns once Twilio accepted the request; what then happens arrives
on ``events()`` from ``webhooks.handle`` (mounted by the HTTP server). Twilio refusing a
dial for this number (a 4xx other than 401/403/429) is the call's FAILED event; a carrier
that is unreachable, rejects our credentials or throttles us raises ``TelephonyError``.
Rule 3: no phone number or credential is logged or put in an error message: Twilio's
error text may quote the number, so only its HTTP status and error code are kept.
Rule 4: a REST request is sent once (the SDK's client does not retry): a 5xx or a timeout
on ``create`` is that call's failure, and the dialer records it as failed; a retry storm
against a struggling API could also place the same call twice. A create that timed out
may still have been placed: its callbacks then name a call this adapter forgot, and are
answered by hanging it up (``twilio_webhooks`` Rule 4).
Rule 5: with ``listen`` (``campaign run``), ``start()`` serves the webhooks in this
process (``twilio_server``); ``lexdial serve`` mounts them in its web app instead.

The SDK is synchronous (``requests``); each REST call runs in a worker thread. Its
asyncio client is not used: with the installed aiohttp it raises a DeprecationWarning
(``BasicAuth``) on every request.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

from twilio.base.exceptions import TwilioRestException  # type: ignore[import-untyped]
from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from lexdial.adapters.telephony import twilio_twiml as twiml
from lexdial.adapters.telephony.twilio_agents import AgentLegs, Expected
from lexdial.adapters.telephony.twilio_server import TwilioWebhookServer
from lexdial.adapters.telephony.twilio_webhooks import CallBook, CallState, TwilioWebhooks
from lexdial.domain.telephony import FAILED, TRANSFERRED, AgentLeg, CallEvent, Dial
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

#: status callbacks we ask for (each arrives at the ``status`` webhook)
STATUS_EVENTS: Final = ("initiated", "ringing", "answered", "completed")
#: HTTP statuses that mean Twilio itself is unusable for us, not this one number
_CARRIER_DOWN: Final = frozenset({401, 403, 429})
#: Twilio error 21220: "call is not in-progress": it ended while we sent a command
_NOT_IN_PROGRESS: Final = 21220
#: Twilio accepts a ring timeout of 5 to 600 seconds
_RING_LIMITS: Final = (5, 600)
#: CallStatus values of a call not answered yet: ``canceled`` ends these
_NOT_ANSWERED: Final = frozenset({"queued", "initiated", "ringing"})
#: a Twilio Client identity (as ``service.agent_endpoints`` stores it), an E.164 number
_IDENTITY: Final = re.compile(r"[A-Za-z0-9_.-]{1,121}")
_E164: Final = re.compile(r"\+[1-9]\d{6,14}")


class TwilioTelephony:
    """A ``Telephony`` on Twilio's Programmable Voice.

    ``webhook_base_url`` is where Twilio reaches ``webhooks`` (public, e.g.
    ``https://dialer.example.com/twilio``); ``base_url`` replaces
    ``https://api.twilio.com`` (contract tests point it at a local server).
    ``from_number`` is the caller ID when a ``Dial`` carries none. ``clock`` gives event
    times (seconds; only differences are used). ``hold_s``: how long a call waits
    silently for the flow's next command before Twilio hangs it up. ``listen``
    (host, port): serve the webhooks in this process from ``start()`` to ``close()``.
    """

    timescale: float = 1.0  # Twilio runs in real time

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        webhook_base_url: str,
        from_number: str | None = None,
        base_url: str | None = None,
        channels: int = 100,
        cps: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        hold_s: int = 60,
        http_timeout_s: float = 10.0,
        listen: tuple[str, int] | None = None,
    ) -> None:
        if cps <= 0 or channels <= 0 or hold_s <= 0:
            raise ValueError("channels, cps and hold_s must be positive")
        self.channels = channels  # Twilio has no concurrent-call cap: the firm's own
        self.cps = cps
        self._from = from_number
        self._base = webhook_base_url.rstrip("/")
        self._hold_s = hold_s
        self._http = TwilioHttpClient(timeout=http_timeout_s, max_retries=0)  # Rule 4
        self._client: Any = Client(account_sid, auth_token, http_client=self._http)
        if base_url is not None:
            self._client.api.base_url = base_url.rstrip("/")
            # TWILIO_EDGE / TWILIO_REGION from the environment would rewrite the host
            self._client.edge = self._client.region = None
        self.book = CallBook(clock)
        #: the agents' nailed-up legs and their rooms (``twilio_agents``)
        self.legs = AgentLegs(self.book, send_home=self.send_home, end_unknown=self.end_unknown)
        #: the webhook handler the HTTP server mounts at ``webhook_base_url``
        self.webhooks = TwilioWebhooks(
            self.book, auth_token, self._base, hold_s, on_unknown=self.end_unknown, legs=self.legs
        )
        #: the in-process webhook server (``listen``), or None when a web app mounts them
        self.server = (
            None if listen is None else TwilioWebhookServer(self.webhooks, self._base, *listen)
        )
        self._pace_lock = asyncio.Lock()
        self._next_dial_at = 0.0

    async def start(self) -> None:
        """Bind the event stream to the running loop; serve the webhooks if ``listen``."""
        self.book.bind(asyncio.get_running_loop())
        if self.server is not None:
            self.server.start()

    async def close(self) -> None:
        """End ``events()`` and release the HTTP connections (calls are not hung up)."""
        if self.server is not None:
            await asyncio.to_thread(self.server.close)
        self.book.close()
        session = self._http.session
        if session is not None:
            session.close()

    def end_unknown(self, sid: str, call_status: str) -> None:
        """End a live call nobody here knows (``TwilioWebhooks``' ``on_unknown``), in the
        background: the webhook's answer must not wait for Twilio's API."""
        status = "canceled" if call_status in _NOT_ANSWERED else "completed"
        threading.Thread(
            target=self._end_quietly, args=(sid, status), name="twilio-end", daemon=True
        ).start()

    def _end_quietly(self, sid: str, status: str) -> None:
        try:
            now = str(self._client.calls(sid).update(status=status).status or "")
            if status == "canceled" and now == "in-progress":
                self._client.calls(sid).update(status="completed")  # answered meanwhile
        except TwilioRestException as exc:
            log.warning(
                "twilio: ending unknown call failed: HTTP %s, error %s", exc.status, exc.code
            )
        except Exception as exc:  # a background thread: log it, never raise it
            log.warning("twilio: ending unknown call failed: %s", type(exc).__name__)

    def events(self) -> AsyncIterator[CallEvent]:
        """Every event of every call this adapter placed, in the order reported."""
        return self.book.events()

    async def dial(self, dial: Dial) -> None:
        """Place the call; Twilio's refusal of this number is reported as FAILED.

        When Twilio as a whole fails (unreachable, credentials, throttling, 5xx) this
        raises ``TelephonyError`` and reports no event: the dialer ends the call's flow
        itself and can back off.
        """
        caller_id = dial.caller_id or self._from
        if not caller_id:
            raise TelephonyError(f"call {dial.call_id}: no caller ID (Dial or from_number)")
        await self._pace()
        state = self.book.add(dial)  # t = 0 now: the request goes out next
        low, high = _RING_LIMITS
        fields: dict[str, object] = {
            "to": dial.to,
            "from_": caller_id,
            "twiml": twiml.hold_twiml(self._base, dial.call_id, self._hold_s),
            "timeout": min(high, max(low, round(dial.ring_timeout_s))),
            "status_callback": self._url(twiml.STATUS, dial.call_id),
            "status_callback_event": list(STATUS_EVENTS),
            "status_callback_method": "POST",
        }
        if dial.detect_machine:
            fields |= {
                "machine_detection": "DetectMessageEnd",  # wait for the beep: drop after it
                "async_amd": "true",  # a string: the SDK sends it as is
                "async_amd_status_callback": self._url(twiml.AMD, dial.call_id),
                "async_amd_status_callback_method": "POST",
            }
        try:
            sid = await asyncio.to_thread(self._create, fields)
        except TwilioRestException as exc:
            status, code = int(exc.status), exc.code
            if status in _CARRIER_DOWN or status >= 500:
                self.book.forget(dial.call_id)
                raise TelephonyError(f"Twilio dial failed: HTTP {status}, error {code}") from None
            log.info("twilio refused call %s: HTTP %s, error %s", dial.call_id, status, code)
            self.book.emit(state, FAILED, detail=f"twilio {status} error {code}", ends=True)
            return
        except OSError as exc:  # requests' errors are OSErrors: no connection, timeout
            self.book.forget(dial.call_id)
            raise TelephonyError(f"Twilio unreachable: {type(exc).__name__}") from None
        with self.book.lock:
            if state.sid is None:
                state.sid = sid
            hangup = state.hangup_requested
        log.debug("call %s placed as %s", dial.call_id, sid)
        if hangup:  # the flow hung up while the create was under way
            await self._end(state)

    async def play(self, call_id: str, prompt: str) -> None:
        """Redirect the call to play ``prompt`` (listening for a key if it offers one)."""
        state = self._state(call_id)
        if prompt not in state.dial.prompts:
            raise TelephonyError(f"call {call_id}: no prompt {prompt!r} was given with the dial")
        body = twiml.prompt_twiml(self._base, call_id, prompt, state.dial.prompts[prompt])
        await self._update(state, "play", twiml=body)

    async def bridge(self, call_id: str, agent: str) -> None:
        """Move the call into the room of the agent's open leg (``agent``: "user:ID");
        BRIDGED once Twilio reports the customer joined it. An address (a number,
        ``client:ID`` or ``sip:``) is ``<Dial>``ed directly instead, without a leg."""
        state = self._state(call_id)
        if agent.startswith("user:"):
            with self.legs.lock:
                leg = self.legs.leg(agent)
                if leg is None or not leg.up:
                    raise TelephonyError(f"agent {agent} has no open leg")
                if self.legs.busy(agent):
                    raise TelephonyError(f"agent {agent} is on another call")
                self.legs.expect_call(Expected(call_id, leg.room, "bridge", agent, agent))
                body = twiml.room_twiml(self._base, leg.room, agent=False)
            await self._update(state, "bridge", twiml=body)
            return
        caller_id = state.dial.caller_id or self._from or ""
        await self._update(state, "bridge", twiml=twiml.bridge_twiml(agent, caller_id))

    async def agent_login(self, leg: AgentLeg) -> None:
        """Call the agent's Client identity into a room of their own (``twilio_agents``);
        AGENT_UP once the leg joined it. Only ``twilio_client`` legs reach Twilio."""
        if leg.kind != "twilio_client":
            raise TelephonyError(f"{leg.kind} agent legs are not supported on Twilio "
                                 "(a twilio_client endpoint is)")  # fmt: skip
        if not _IDENTITY.fullmatch(leg.address):
            raise TelephonyError(f"agent {leg.agent}: not a Twilio Client identity")
        caller_id = leg.caller_id or self._from
        if not caller_id:
            raise TelephonyError(f"agent {leg.agent}: no caller ID (AgentLeg or from_number)")
        with self.legs.lock:
            if self.legs.leg(leg.agent) is not None:
                return  # open already (or being opened): one leg per agent
            state = self.legs.open(leg)
        fields: dict[str, object] = {
            "to": f"client:{leg.address}",
            "from_": caller_id,
            "twiml": twiml.room_twiml(self._base, state.room, agent=True),
            "status_callback": twiml.leg_url(self._base, twiml.AGENT, agent=leg.agent),
            "status_callback_event": list(STATUS_EVENTS),
            "status_callback_method": "POST",
        }
        try:
            sid = await self._rest(f"agent {leg.agent} login", self._create, fields)
        except TelephonyError:
            with self.legs.lock:
                self.legs.forget(leg.agent)
            raise
        with self.legs.lock:
            if state.sid is None:
                state.sid = sid

    async def agent_logout(self, agent: str) -> None:
        """End the agent's leg; AGENT_DOWN follows from Twilio's callback."""
        with self.legs.lock:
            state = self.legs.leg(agent)
            sid, answered = (None, False) if state is None else (state.sid, state.answered)
        if sid is None:
            return
        status = "completed" if answered else "canceled"
        now = await self._rest(f"agent {agent} logout", self._set_status, sid, status)
        if status == "canceled" and now == "in-progress":
            await self._rest(f"agent {agent} logout", self._set_status, sid, "completed")

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        """Hand a bridged call to an agent ("user:ID", into their room) or a number.

        Cold: the customer moves (to the target's room, or ``<Dial><Number>``). Warm: the
        target joins the customer's room and the first agent leaves once it has
        (``twilio_agents`` Rule 3). TRANSFERRED follows Twilio's report of the join (a cold
        transfer to a number: once Twilio took the redirect).
        """
        state = self._state(call_id)
        with self.legs.lock:
            room, current = self.legs.with_agent.get(call_id, (None, None))
        if room is None or current is None:
            raise TelephonyError(f"call {call_id} is not bridged to an agent")
        if target == current:
            raise TelephonyError(f"call {call_id} is with {target} already")
        how = "warm" if warm else "cold"
        if target.startswith("user:"):
            await self._to_agent(state, room, current, target, warm)
        elif _E164.fullmatch(target):
            await self._to_number(state, room, current, target, warm)
        else:
            raise TelephonyError(f"transfer target must be user:ID or an E.164 number ({how})")

    async def _to_agent(
        self, state: CallState, room: str, current: str, target: str, warm: bool
    ) -> None:
        call_id = state.dial.call_id
        with self.legs.lock:
            leg = self.legs.leg(target)
            if leg is None or not leg.up or leg.sid is None:
                raise TelephonyError(f"agent {target} has no open leg")
            if self.legs.busy(target):
                raise TelephonyError(f"agent {target} is on another call")
            target_room, target_sid = leg.room, leg.sid
        if not warm:
            with self.legs.lock:
                self.legs.expect_call(
                    Expected(call_id, target_room, "cold", f"cold:{target}", target)
                )
            await self._update(
                state, "transfer", twiml=twiml.room_twiml(self._base, target_room, agent=False)
            )
            return
        await self._release_room(room, current)
        with self.legs.lock:
            self.legs.expect_sid(
                target_sid, Expected(call_id, room, "warm", f"warm:{target}", target, current)
            )
        body = twiml.room_twiml(self._base, room, agent=True)  # the target owns it now
        await self._rest("transfer", self._redirect, target_sid, body)

    async def _to_number(
        self, state: CallState, room: str, current: str, number: str, warm: bool
    ) -> None:
        call_id = state.dial.call_id
        caller_id = state.dial.caller_id or self._from or ""
        if not warm:
            sent = await self._update(
                state, "transfer", twiml=twiml.number_twiml(number, caller_id)
            )
            if sent is not None:
                with self.legs.lock:
                    self.legs.drop_call(call_id)
                self.book.emit(state, TRANSFERRED, detail=f"cold:{number}")
            return
        conference = await self._release_room(room, current)
        fields: dict[str, object] = {
            "from_": caller_id,
            "to": number,
            "end_conference_on_exit": True,  # the room is theirs and the customer's now
            "beep": "false",  # the room's own callbacks report the join
        }
        create = self._client.conferences(conference).participants.create
        sid = await self._rest("transfer", lambda: str(create(**fields).call_sid))
        with self.legs.lock:
            self.legs.expect_sid(
                sid, Expected(call_id, room, "warm", f"warm:{number}", None, current)
            )

    async def _release_room(self, room: str, agent: str) -> str:
        """Let ``agent`` leave ``room`` without ending it; the room's ConferenceSid."""
        with self.legs.lock:
            conference = self.legs.conference_sids.get(room)
            leg = self.legs.leg(agent)
            sid = None if leg is None else leg.sid
        if conference is None or sid is None:
            raise TelephonyError(f"agent {agent}'s room is not up: no warm transfer")
        participant = self._client.conferences(conference).participants(sid)
        await self._rest("transfer", lambda: participant.update(end_conference_on_exit=False))
        return conference

    def send_home(self, agent: str) -> None:
        """Move ``agent``'s leg to a fresh room of their own (after a warm transfer), in the
        background: a webhook's answer must not wait for Twilio's API."""
        with self.legs.lock:
            leg = self.legs.leg(agent)
            if leg is None or leg.sid is None:
                return
            sid, room = leg.sid, self.legs.new_room(agent)
            leg.room = room  # reserved now: a bridge meanwhile goes to the new room
        body = twiml.room_twiml(self._base, room, agent=True)

        def move() -> None:
            try:
                self._redirect(sid, body)
            except Exception as exc:  # a background thread: log it, never raise it
                log.warning("twilio: moving agent %s to a new room failed: %s", agent,
                            getattr(exc, "code", type(exc).__name__))  # fmt: skip

        threading.Thread(target=move, name="twilio-home", daemon=True).start()

    def _set_status(self, sid: str, status: str) -> str:
        return str(self._client.calls(sid).update(status=status).status or "")

    def _redirect(self, sid: str, body: str) -> str:
        return str(self._client.calls(sid).update(twiml=body).status or "")

    async def _rest(self, what: str, fn: Callable[..., Any], *args: object) -> Any:
        """One REST request in a worker thread; Twilio's refusals as ``TelephonyError``."""
        try:
            return await asyncio.to_thread(fn, *args)
        except TwilioRestException as exc:
            status, code = int(exc.status), exc.code
            raise TelephonyError(f"Twilio refused {what}: HTTP {status}, error {code}") from None
        except OSError as exc:
            raise TelephonyError(f"Twilio unreachable: {type(exc).__name__}") from None

    async def hangup(self, call_id: str) -> None:
        """Hang up, or cancel a call not answered yet; HANGUP follows from Twilio's callback.

        Before ``create`` returned there is no CallSid to address: the request is kept and
        sent by ``dial`` as soon as it has one.
        """
        state = self.book.get(call_id)
        if state is None:
            return
        with self.book.lock:
            state.hangup_requested = True
        await self._end(state)

    async def _end(self, state: CallState) -> None:
        with self.book.lock:
            answered = state.stage >= 2
        if answered:
            await self._update(state, "hangup", status="completed")
            return
        status = await self._update(state, "cancel", status="canceled")
        if status == "in-progress":
            # answered between our last callback and the cancel: Twilio left it up
            await self._update(state, "hangup", status="completed")

    # --- internals --------------------------------------------------------------------

    def _url(self, route: str, call_id: str) -> str:
        return twiml.webhook_url(self._base, route, call_id)

    def _state(self, call_id: str) -> CallState:
        state = self.book.get(call_id)
        if state is None:
            raise TelephonyError(f"call {call_id} was not placed by this adapter")
        return state

    async def _pace(self) -> None:
        # A safety net under the dialer's own pacing: Twilio queues calls above the
        # account's CPS, which would put seconds between "dial sent" (t = 0) and ringing.
        loop = asyncio.get_running_loop()
        async with self._pace_lock:
            wait = self._next_dial_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_dial_at = loop.time() + 1.0 / self.cps

    def _create(self, fields: dict[str, object]) -> str:
        return str(self._client.calls.create(**fields).sid)

    async def _update(self, state: CallState, what: str, **fields: object) -> str | None:
        """Update the call; its CallStatus as Twilio answered (None: nothing was sent)."""
        with self.book.lock:
            sid, over = state.sid, state.stage == 3
        if over or sid is None:
            return None  # ended (or not placed yet): nothing to act on, no error in that
        try:
            call = await asyncio.to_thread(lambda: self._client.calls(sid).update(**fields))
            return str(getattr(call, "status", "") or "")
        except TwilioRestException as exc:
            if exc.code == _NOT_IN_PROGRESS:
                return None  # the far end hung up meanwhile: its callback reports the end
            status, code = int(exc.status), exc.code
            raise TelephonyError(f"Twilio refused {what}: HTTP {status}, error {code}") from None
        except OSError as exc:
            raise TelephonyError(f"Twilio unreachable: {type(exc).__name__}") from None
