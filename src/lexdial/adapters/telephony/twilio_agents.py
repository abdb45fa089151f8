"""Agents' nailed-up legs on Twilio: one call per logged-in agent to their Client identity,
sitting in a conference room named for the agent; customers are moved into that room.

Rule 1: an agent's leg owns its room (starts it, ends it on leaving); a customer neither
starts nor ends it, so when the customer hangs up the agent stays in the room, and when
the agent hangs up the room ends and the customer's call with it.
Rule 2: events follow what Twilio reports, never what was asked: AGENT_UP when the agent's
leg joined its room (``participant-join``), AGENT_DOWN when that call ended; BRIDGED when
the customer's CallSid joined the agent's room (audio flows then, not when the redirect
was accepted); a transfer's TRANSFERRED when the customer (cold) or the target (warm)
joined the target room. Agent events carry call_id "" and the agent label as ``detail``.
Rule 3: a warm transfer keeps the customer where they are: the first agent's leg stops
owning the room (``EndConferenceOnExit`` false), the target joins it (an agent's leg
becomes its owner; a number is added as a participant that ends it on leaving), and only
once the target joined is the first agent moved to a fresh room of their own.
Rule 4: all state is under the call book's lock (webhooks arrive on any thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lexdial.adapters.telephony import twilio_twiml as twiml
from lexdial.adapters.telephony.twilio_webhooks import CallBook, WebhookResponse
from lexdial.domain.telephony import AGENT_DOWN, AGENT_UP, BRIDGED, TRANSFERRED, AgentLeg, CallEvent

log = logging.getLogger(__name__)

#: a call in one of these CallStatus values is over
ENDED_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


@dataclass(slots=True)
class Leg:
    """One agent's leg as the adapter knows it."""

    leg: AgentLeg
    room: str  # the conference the leg sits in (and owns)
    started: float
    sid: str | None = None
    up: bool = False  # joined its room: AGENT_UP was reported
    answered: bool = False


@dataclass(slots=True)
class Expected:
    """A join the adapter waits for: ``sid`` (or the customer's call) entering ``room``."""

    call_id: str  # the customer's call
    room: str
    kind: str  # "bridge" | "cold" | "warm"
    detail: str  # BRIDGED: the agent; TRANSFERRED: "cold:TARGET" / "warm:TARGET"
    agent: str | None  # the agent the customer is with once it happened (None: a number)
    leaving: str | None = None  # warm: the agent to move to a room of their own after


class AgentLegs:
    """The agents' legs and rooms, and the ``agent`` / ``conference`` webhooks."""

    def __init__(
        self,
        book: CallBook,
        *,
        send_home: Callable[[str], None],
        end_unknown: Callable[[str, str], None],
    ) -> None:
        self.book = book
        self.lock = book.lock
        self._legs: dict[str, Leg] = {}
        #: the room each live customer call is in, and the agent it is with there
        self.with_agent: dict[str, tuple[str, str | None]] = {}
        #: ConferenceSid of each room, once Twilio reported a join
        self.conference_sids: dict[str, str] = {}
        #: joins waited for: by customer call id (bridge, cold) or the joining CallSid (warm)
        self._by_call: dict[str, Expected] = {}
        self._by_sid: dict[str, Expected] = {}
        self._rooms_made = 0
        self._send_home = send_home  # moves an agent's leg to a fresh room (REST, async)
        self._end_unknown = end_unknown

    # --- bookkeeping (callers hold ``lock``) --------------------------------------------

    def leg(self, agent: str) -> Leg | None:
        """The agent's leg, if one is open (or being opened)."""
        return self._legs.get(agent)

    def _prune(self) -> None:
        """Forget the rooms of customers' calls that ended."""
        for call_id in list(self.with_agent):
            state = self.book.get(call_id)
            if state is None or state.stage == 3:
                del self.with_agent[call_id]
        for call_id in list(self._by_call):
            state = self.book.get(call_id)
            if state is None or state.stage == 3:
                del self._by_call[call_id]

    def busy(self, agent: str) -> bool:
        """Whether a live customer is with ``agent`` or on the way to them: a second one
        would make the room a three-way call."""
        self._prune()
        waiting = list(self._by_call.values()) + list(self._by_sid.values())
        return any(a == agent for _, a in self.with_agent.values()) or any(
            e.agent == agent for e in waiting
        )

    def new_room(self, agent: str) -> str:
        """A room name for ``agent``: ``agent-<id>``, then ``agent-<id>-<n>`` (a room that
        passed to another agent in a warm transfer keeps its name)."""
        self._prune()
        base = "agent-" + agent.removeprefix("user:").replace(":", "-")
        taken = {leg.room for leg in self._legs.values()} | {r for r, _ in self.with_agent.values()}
        if base not in taken:
            return base
        self._rooms_made += 1
        return f"{base}-{self._rooms_made}"

    def open(self, leg: AgentLeg) -> Leg:
        state = Leg(leg, self.new_room(leg.agent), self.book.now())
        self._legs[leg.agent] = state
        return state

    def forget(self, agent: str) -> None:
        self._legs.pop(agent, None)

    def expect_call(self, expected: Expected) -> None:
        self._by_call[expected.call_id] = expected

    def expect_sid(self, sid: str, expected: Expected) -> None:
        self._by_sid[sid] = expected

    def drop_call(self, call_id: str) -> None:
        """The customer's call left the rooms (ended, or handed to a number)."""
        self.with_agent.pop(call_id, None)
        self._by_call.pop(call_id, None)

    # --- webhooks (signature already checked) -----------------------------------------

    def owns(self, query: Mapping[str, str]) -> bool:
        """Whether ``agent=`` names a leg here, or ``room=`` a room of one of them."""
        with self.lock:
            agent, room = query.get("agent"), query.get("room")
            if agent:
                return agent in self._legs
            rooms = {leg.room for leg in self._legs.values()}
            return bool(room) and (room in rooms or room in self.conference_sids)

    def handle(
        self, route: str, query: Mapping[str, str], params: Mapping[str, str]
    ) -> WebhookResponse:
        with self.lock:
            if route == twiml.AGENT:
                return self._agent_status(query.get("agent", ""), params)
            return self._conference(query.get("room", ""), params)

    def _agent_status(self, agent: str, params: Mapping[str, str]) -> WebhookResponse:
        state = self._legs.get(agent)
        sid, status = params.get("CallSid", ""), params.get("CallStatus", "")
        if state is None or (state.sid is not None and sid and sid != state.sid):
            if status not in ENDED_STATUSES and sid:  # a leg nobody here opened: end it
                log.warning("twilio agent-leg callback for a leg this process did not open")
                self._end_unknown(sid, status)
            return WebhookResponse(204)
        if state.sid is None:
            state.sid = sid or None
        if status in ("in-progress", "answered"):
            state.answered = True
        elif status in ENDED_STATUSES:
            self._legs.pop(agent, None)
            self._emit(state, AGENT_DOWN)
        return WebhookResponse(204)

    def _conference(self, room: str, params: Mapping[str, str]) -> WebhookResponse:
        event = params.get("StatusCallbackEvent", "")
        sid, conference = params.get("CallSid", ""), params.get("ConferenceSid", "")
        if event == "conference-end":
            self.conference_sids.pop(room, None)
            return WebhookResponse(204)
        if event != "participant-join" or not sid:
            return WebhookResponse(204)  # leaves and starts change nothing we report
        if conference:
            self.conference_sids[room] = conference
        agent = next((a for a, leg in self._legs.items() if leg.sid == sid), None)
        if agent is not None:
            self._agent_joined(agent, room, sid)
            return WebhookResponse(204)
        warm = self._by_sid.get(sid)
        if warm is not None and warm.room == room:  # a number added to the room
            del self._by_sid[sid]
            self._happened(warm)
            return WebhookResponse(204)
        customer = self.book.by_sid(sid)
        if customer is not None:
            expected = self._by_call.get(customer.dial.call_id)
            if expected is not None and expected.room == room and expected.kind != "warm":
                del self._by_call[customer.dial.call_id]
                self._happened(expected)
        return WebhookResponse(204)

    def _agent_joined(self, agent: str, room: str, sid: str) -> None:
        state = self._legs[agent]
        state.room = room
        if not state.up:
            state.up = True
            self._emit(state, AGENT_UP)
        warm = self._by_sid.pop(sid, None)
        if warm is not None and warm.room == room:
            self._happened(warm)

    def _happened(self, expected: Expected) -> None:
        customer = self.book.get(expected.call_id)
        if customer is None or customer.stage == 3:
            return  # the customer hung up meanwhile: nothing to report on an ended call
        self.with_agent[expected.call_id] = (expected.room, expected.agent)
        kind = BRIDGED if expected.kind == "bridge" else TRANSFERRED
        self.book.emit(customer, kind, detail=expected.detail)
        if expected.leaving is not None:
            self._send_home(expected.leaving)

    def _emit(self, state: Leg, kind: str) -> None:
        t = round(self.book.now() - state.started, 3)
        self.book.push(CallEvent("", kind, t, detail=state.leg.agent))
