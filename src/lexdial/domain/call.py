"""One call's life as an explicit transition table (sans-IO, in the style of h11).

Rule 1: ``CallFlow.handle(event)`` looks up (state, event kind) in ``_TABLE``; a pair
that is not there raises ``CallStateError`` and changes nothing — a carrier that
reports nonsense is a bug to see, not a state to guess.
Rule 2: the flow performs no I/O. It returns ``Command`` values (play, hang up, find an
agent, start a timer, opt the number out) that the dialer carries out, and it keeps
the facts the outcome record needs (when answered, by whom, what was pressed).
Rule 3 (47 CFR 64.1200(a)(7)(i), 16 CFR 310.4(b)(4)(i)): a person answering a live-agent
call must reach an agent within 2 seconds of their completed greeting (the rule pack's
``agent_connect_limit``); otherwise the safe-harbor message plays and the call counts as
abandoned, whatever happens next. "Reach" means audio both ways: only the carrier's BRIDGED
event ends the wait; an agent merely assigned (AGENT) does not stop the clock, and an agent
whose bridge comes too late is released.
Rule 4: a transfer is recorded on the call (``detail``); a warm transfer (or one to another
agent) keeps the call bridged, now with the new agent; a cold transfer to a number hands the
call off and ends it for us (outcome BRIDGED, detail "transferred").
Rule 5 (preview and manual calls): a call placed for one agent (``reserved_agent``, who
clicked Call) is a live call by a person: at ANSWERED the agent is bridged at once, with no
detection to wait for (what the person or a machine says is the agent's to hear), within
the same legal limit counted from the answer (earlier than the greeting's end, so
stricter); a late verdict from the carrier changes nothing. Such a call counts as a live
answer only when it is abandoned (protective: it never dilutes the abandonment rate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from lexdial.domain import telephony as tel
from lexdial.domain.states import CommandKind
from lexdial.domain.states import CommandKind as Do
from lexdial.errors import CallStateError

#: seconds from the end of the greeting within which an agent must be on the line (the
#: default; the dialler takes the rule pack's ``agent_connect_limit``)
AGENT_DEADLINE_S = 2.0
#: of that budget, what answering-machine detection spends after the greeting (silence it
#: needs to be sure) and what the safe-harbor message needs to start playing
AMD_AFTER_GREETING_S = 1.1
SAFE_HARBOR_START_S = 0.2
#: how long the flow waits for an agent after answering-machine detection says "person".
#: The greeting was complete when the person stopped talking, and detection needs 1.1 s of
#: silence to be sure (``amd.AmdConfig.after_greeting_silence_s``; 0.8 s judged a recorded
#: greeting that pauses between phrases a person): 2.0 - 1.1 leaves 0.9 s, less 0.2 s for
#: the safe-harbor message to start playing.
AGENT_WAIT_S = 0.7


def agent_wait_for(deadline_s: float) -> float:
    """How long the flow may wait for BRIDGED after the HUMAN verdict, for a legal
    ``deadline_s`` counted from the end of the greeting (``AGENT_WAIT_S`` for 2 s)."""
    return round(max(0.0, deadline_s - AMD_AFTER_GREETING_S - SAFE_HARBOR_START_S), 3)


#: how long a machine's greeting may take before we drop the voicemail without a beep
BEEP_WAIT_S = 30.0


class State(StrEnum):
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"  # picked up; waiting for human / machine detection
    PLAYING = "playing"  # message to a person, listening for the opt-out key
    CONFIRMING = "confirming"  # opt-out recorded; playing the confirmation
    AWAITING_BEEP = "awaiting_beep"
    VOICEMAIL = "voicemail"
    CONNECTING = "connecting"  # live-agent mode: waiting up to 2 s for an agent
    BRIDGED = "bridged"
    SAFE_HARBOR = "safe_harbor"
    HANGING_UP = "hanging_up"  # we hung up; waiting for the carrier to confirm
    ENDED = "ended"


class Outcome(StrEnum):
    """What a call came to; one per attempt, stored with it (``call_outcomes``)."""

    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    HUMAN = "human"  # a person heard the message (or hung up during it)
    MACHINE = "machine"  # voicemail left (or the machine hung up first)
    OPTED_OUT = "opted_out"
    ABANDONED = "abandoned"
    BRIDGED = "bridged"


class Command(NamedTuple):
    """Something the dialer must do for this call: ``action`` plus its argument."""

    action: CommandKind
    arg: str | None = None
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class FlowConfig:
    """How this campaign's calls behave (from the campaign's settings)."""

    live_agents: bool = False  # preview/progressive/predictive: connect an agent
    opt_out_key: str = "9"
    leave_voicemail: bool = True
    #: seconds after the HUMAN verdict by which BRIDGED must come (``agent_wait_for``)
    agent_wait_s: float = AGENT_WAIT_S
    #: preview / manual: the agent who asked for this call, bridged at the answer (rule 5)
    reserved_agent: str | None = None

    @property
    def reserved_wait_s(self) -> float:
        """Seconds from the answer by which a reserved agent's BRIDGED must come: the whole
        legal limit (the wait after detection plus what detection and the safe-harbor
        message would have taken), counted from the answer, before the greeting ends."""
        return round(self.agent_wait_s + AMD_AFTER_GREETING_S + SAFE_HARBOR_START_S, 3)


@dataclass(slots=True)
class CallFlow:
    """The state of one call and the facts its outcome record needs."""

    call_id: str
    config: FlowConfig
    state: State = State.DIALING
    outcome: Outcome | None = None
    answered_at: float | None = None
    human_at: float | None = None
    ended_at: float | None = None
    live_answered: bool = False  # the FCC/FTC denominator of the abandonment rate
    abandoned: bool = False
    opted_out: bool = False
    agent: str | None = None
    detail: str | None = None
    #: carrier seconds when audio first flowed both ways with an agent (BRIDGED)
    bridged_at: float | None = None
    #: the transfers made on this call, in order ("warm:TARGET" / "cold:TARGET")
    transfers: tuple[str, ...] = ()

    def handle(self, event: tel.CallEvent) -> list[Command]:
        """Apply one event; return what to do. Raises ``CallStateError`` on an illegal one."""
        if event.call_id != self.call_id:
            raise CallStateError(self.call_id, self.state, event.kind, "event for another call")
        step = _TABLE.get((self.state, event.kind))
        if step is None:
            raise CallStateError(self.call_id, self.state, event.kind, "not allowed here")
        return step(self, event)

    @property
    def done(self) -> bool:
        return self.state is State.ENDED

    @property
    def ring_s(self) -> float | None:
        """Seconds from the dial to the answer (or to the end, if never answered)."""
        return self.answered_at if self.answered_at is not None else self.ended_at

    @property
    def talk_s(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0.0, self.ended_at - self.answered_at)

    def _end(self, outcome: Outcome, t: float) -> list[Command]:
        # an opt-out pressed at any moment is what the call came to
        if self.opted_out and outcome in (Outcome.HUMAN, Outcome.MACHINE, Outcome.BRIDGED):
            outcome = Outcome.OPTED_OUT
        self.state, self.outcome, self.ended_at = State.ENDED, outcome, t
        return []

    def abort(self, t: float, why: str) -> None:
        """End a call the carrier lost track of (no event will come): what it had reached."""
        if self.state is State.ENDED:
            return
        self.detail = why
        answered = self.answered_at is not None
        self._end(_reached(self) if answered else Outcome.FAILED, t)

    def _hang_up(self, outcome: Outcome) -> list[Command]:
        self.state, self.outcome = State.HANGING_UP, outcome
        return [Command(Do.HANGUP)]


Step = Callable[[CallFlow, tel.CallEvent], list[Command]]


def _stay(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    """Events that change nothing here (a duplicate ringing, a stray digit, a late timer)."""
    return []


def _ringing(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    flow.state = State.RINGING
    return []


def _answered(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    flow.state, flow.answered_at = State.ANSWERED, event.t
    agent = flow.config.reserved_agent
    if agent is None:
        return []
    # rule 5: the agent who clicked Call is joined now; the clock runs from the answer
    flow.state, flow.human_at, flow.agent = State.CONNECTING, event.t, agent
    return [Command(Do.BRIDGE, agent), Command(Do.TIMER, "agent", flow.config.reserved_wait_s)]


def _verdict_to_agent(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    """A detection verdict (or beep) on a reserved call: the agent hears for themselves
    (rule 5). On any other call in this state it is a carrier error."""
    if flow.config.reserved_agent is None:
        raise CallStateError(flow.call_id, flow.state, event.kind, "not allowed here")
    return []


def _beep_connecting(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    if flow.config.reserved_agent is not None:
        return []  # the agent is being joined: the voicemail is theirs to leave
    return _beep_after_person(flow, event)


def _unanswered(outcome: Outcome) -> Step:
    def step(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
        flow.detail = event.detail
        return flow._end(outcome, event.t)

    return step


def _human(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    flow.human_at, flow.live_answered = event.t, True
    if flow.config.live_agents:
        flow.state = State.CONNECTING
        return [Command(Do.FIND_AGENT), Command(Do.TIMER, "agent", flow.config.agent_wait_s)]
    flow.state = State.PLAYING
    return [Command(Do.PLAY, tel.MESSAGE)]


#: AMD detail for a carrier intercept (special information tones, ``amd.BeepDetector``)
INTERCEPT = "intercept"


def _machine(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    if event.detail == INTERCEPT:
        # "not in service", "all circuits are busy": no one to leave a message with; the
        # call failed in the network, and the retry policy treats it as such
        flow.detail = "carrier intercept (special information tones)"
        return flow._hang_up(Outcome.FAILED)
    if not flow.config.leave_voicemail:
        return flow._hang_up(Outcome.MACHINE)
    flow.state = State.AWAITING_BEEP
    return [Command(Do.TIMER, "beep", BEEP_WAIT_S)]


def _drop_voicemail(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    if event.kind == tel.TIMEOUT and event.prompt != "beep":
        return []
    flow.state = State.VOICEMAIL
    return [Command(Do.PLAY, tel.VOICEMAIL)]


def _beep_after_person(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    """A record-prompt beep after detection said "person": it was a machine whose greeting
    paused like a person (or was too short to judge), and the message has been playing
    into its greeting. The beep has just ended, so the voicemail version starts now, from
    its beginning, and is recorded whole. It was no live answer (47 CFR 64.1200(a)(7)
    counts calls answered by a person), so it leaves the abandonment denominator; a
    wait for an agent is called off."""
    cmds = _give_up_agent(flow) if flow.state is State.CONNECTING else []
    flow.live_answered = False
    flow.detail = "beep after a person verdict"
    if not flow.config.leave_voicemail:
        return [*cmds, *flow._hang_up(Outcome.MACHINE)]
    flow.state = State.VOICEMAIL
    return [*cmds, Command(Do.PLAY, tel.VOICEMAIL)]


def _played(expected: str, outcome: Outcome) -> Step:
    def step(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
        if event.prompt != expected:  # a late report of an earlier prompt
            return []
        return flow._hang_up(outcome)

    return step


def _digit(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    if event.digit != flow.config.opt_out_key:
        return []
    flow.opted_out, flow.state = True, State.CONFIRMING
    return [Command(Do.OPT_OUT, event.digit), Command(Do.PLAY, tel.OPTOUT_CONFIRM)]


def _digit_anywhere(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    """The opt-out key pressed while no prompt listens for it is still a revocation by a
    reasonable means (47 CFR 64.1200(a)(10), FCC 24-24): honoured, and the call goes on
    to its end (a person waiting for an agent hears the confirmation instead)."""
    if event.digit != flow.config.opt_out_key or flow.opted_out:
        return []
    flow.opted_out = True
    if flow.state in (State.ANSWERED, State.CONNECTING):
        cancel = _give_up_agent(flow) if flow.state is State.CONNECTING else []
        flow.state = State.CONFIRMING
        return [*cancel, Command(Do.OPT_OUT, event.digit), Command(Do.PLAY, tel.OPTOUT_CONFIRM)]
    return [Command(Do.OPT_OUT, event.digit)]


def _give_up_agent(flow: CallFlow) -> list[Command]:
    """Stop waiting for an agent; one assigned but not yet bridged is released."""
    cmds = [Command(Do.CANCEL_AGENT)]
    if flow.agent is not None and flow.bridged_at is None:
        cmds.append(Command(Do.RELEASE_AGENT, flow.agent))
        flow.agent = None
    return cmds


def _agent(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    """An agent was reserved: ask the carrier to join them. The call stays CONNECTING and
    the 2-second clock runs on until the carrier says BRIDGED (rule 3)."""
    if flow.agent is not None:  # one agent per call: a second match goes back
        return [Command(Do.RELEASE_AGENT, event.detail)]
    flow.agent = event.detail
    return [Command(Do.BRIDGE, event.detail)]


def _bridged(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    """Audio flows both ways with the agent: the person has reached a live agent."""
    if flow.agent is None or (event.detail and event.detail != flow.agent):
        return []  # a bridge report for an agent this call gave up: nothing changes
    flow.state, flow.bridged_at = State.BRIDGED, event.t
    return []


def _agent_late(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    """An agent freed up after the deadline: give them back; the call is already lost."""
    return [Command(Do.RELEASE_AGENT, event.detail)]


def _agent_timeout(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    if event.prompt != "agent":
        return []
    flow.abandoned, flow.state = True, State.SAFE_HARBOR
    flow.live_answered = True  # an abandoned call is always counted (rule 5)
    if flow.agent is not None:  # assigned, but not heard in time: released (rule 3)
        flow.detail = "agent assigned but not bridged within the limit"
    return [*_give_up_agent(flow), Command(Do.PLAY, tel.SAFE_HARBOR)]


def _transferred(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    """A transfer (rule 4): warm, or to another agent, stays bridged with the new agent;
    cold to a number ends the call for us."""
    how, _, target = (event.detail or "").partition(":")
    flow.transfers = (*flow.transfers, event.detail or "")
    flow.detail = "transferred"
    if how == "warm" or target.startswith("user:"):
        if target.startswith("user:"):
            flow.agent = target
        return []
    return flow._end(Outcome.BRIDGED, event.t)


def _far_hangup(outcome: Outcome | None) -> Step:
    """The far end hung up: the outcome is what the call had reached."""

    def step(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
        if outcome is not None:
            return flow._end(outcome, event.t)
        cmds = [Command(Do.CANCEL_AGENT)] if flow.state is State.CONNECTING else []
        # hanging up while waiting for an agent is an abandoned call by the rule's terms
        # (an agent assigned but not yet bridged stays with the call for its wrap-up)
        if flow.state is State.CONNECTING:
            flow.abandoned = flow.live_answered = True
        flow._end(_reached(flow), event.t)
        return cmds

    return step


def _reached(flow: CallFlow) -> Outcome:
    if flow.opted_out:
        return Outcome.OPTED_OUT
    if flow.abandoned:
        return Outcome.ABANDONED
    if flow.bridged_at is not None:
        return Outcome.BRIDGED
    if flow.live_answered:
        return Outcome.HUMAN
    if flow.state in (State.AWAITING_BEEP, State.VOICEMAIL):
        return Outcome.MACHINE
    return Outcome.HUMAN  # answered, hung up before detection finished


def _hung_up(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    # the outcome was set when we asked for the hangup
    return flow._end(flow.outcome or _reached(flow), event.t)


def _safe_harbor_played(flow: CallFlow, event: tel.CallEvent) -> list[Command]:
    if event.prompt != tel.SAFE_HARBOR:
        return []
    return flow._hang_up(Outcome.OPTED_OUT if flow.opted_out else Outcome.ABANDONED)


S = State
_ANSWERED_STATES = (
    S.ANSWERED,
    S.PLAYING,
    S.CONFIRMING,
    S.AWAITING_BEEP,
    S.VOICEMAIL,
    S.CONNECTING,
    S.BRIDGED,
    S.SAFE_HARBOR,
)
_UNANSWERED = {
    tel.BUSY: _unanswered(Outcome.BUSY),
    tel.NO_ANSWER: _unanswered(Outcome.NO_ANSWER),
    tel.FAILED: _unanswered(Outcome.FAILED),
}
_TABLE: dict[tuple[State, str], Step] = {
    **{(S.DIALING, kind): step for kind, step in _UNANSWERED.items()},
    **{(S.RINGING, kind): step for kind, step in _UNANSWERED.items()},
    (S.DIALING, tel.RINGING): _ringing,
    (S.RINGING, tel.RINGING): _stay,
    (S.DIALING, tel.ANSWERED): _answered,
    (S.RINGING, tel.ANSWERED): _answered,
    (S.DIALING, tel.HANGUP): _unanswered(Outcome.NO_ANSWER),
    (S.RINGING, tel.HANGUP): _unanswered(Outcome.NO_ANSWER),
    (S.ANSWERED, tel.HUMAN): _human,
    (S.ANSWERED, tel.MACHINE): _machine,
    (S.ANSWERED, tel.DIGIT): _digit_anywhere,
    (S.ANSWERED, tel.HANGUP): _far_hangup(None),
    (S.PLAYING, tel.DIGIT): _digit,
    (S.PLAYING, tel.PLAYED): _played(tel.MESSAGE, Outcome.HUMAN),
    (S.PLAYING, tel.HANGUP): _far_hangup(Outcome.HUMAN),
    (S.PLAYING, tel.BEEP): _beep_after_person,
    (S.CONNECTING, tel.BEEP): _beep_connecting,
    # a reserved call (rule 5): the carrier's verdict comes while or after the agent joins
    **{
        (state, kind): _verdict_to_agent
        for state in (S.CONNECTING, S.BRIDGED)
        for kind in (tel.HUMAN, tel.MACHINE)
    },
    # an agent on the line hears the beep; the safe-harbor and opt-out prompts play on
    (S.BRIDGED, tel.BEEP): _stay,
    (S.SAFE_HARBOR, tel.BEEP): _stay,
    (S.CONFIRMING, tel.BEEP): _stay,
    (S.VOICEMAIL, tel.AGENT): _agent_late,  # reserved before the beep called the wait off
    (S.CONFIRMING, tel.DIGIT): _stay,
    (S.CONFIRMING, tel.TIMEOUT): _stay,  # an agent timer from before the key press
    (S.CONFIRMING, tel.PLAYED): _played(tel.OPTOUT_CONFIRM, Outcome.OPTED_OUT),
    (S.CONFIRMING, tel.HANGUP): _far_hangup(Outcome.OPTED_OUT),
    (S.AWAITING_BEEP, tel.BEEP): _drop_voicemail,
    (S.AWAITING_BEEP, tel.TIMEOUT): _drop_voicemail,
    (S.AWAITING_BEEP, tel.MACHINE): _stay,
    (S.AWAITING_BEEP, tel.DIGIT): _digit_anywhere,
    (S.AWAITING_BEEP, tel.HANGUP): _far_hangup(Outcome.MACHINE),
    (S.VOICEMAIL, tel.PLAYED): _played(tel.VOICEMAIL, Outcome.MACHINE),
    (S.VOICEMAIL, tel.BEEP): _stay,
    (S.VOICEMAIL, tel.DIGIT): _digit_anywhere,
    (S.VOICEMAIL, tel.TIMEOUT): _stay,
    (S.VOICEMAIL, tel.HANGUP): _far_hangup(Outcome.MACHINE),
    (S.CONNECTING, tel.AGENT): _agent,
    (S.CONNECTING, tel.BRIDGED): _bridged,
    (S.BRIDGED, tel.BRIDGED): _stay,  # the carrier re-joined (after a warm transfer)
    (S.BRIDGED, tel.TRANSFERRED): _transferred,
    (S.BRIDGED, tel.AGENT): _agent_late,
    # a bridge that completed after the safe harbor started, or after we hung up: the call
    # is lost already; the agent was released when the deadline passed
    **{
        (state, tel.BRIDGED): _stay
        for state in (S.SAFE_HARBOR, S.HANGING_UP, S.CONFIRMING, S.VOICEMAIL)
    },
    (S.CONNECTING, tel.TIMEOUT): _agent_timeout,
    (S.CONNECTING, tel.DIGIT): _digit_anywhere,
    (S.CONNECTING, tel.HANGUP): _far_hangup(None),
    (S.BRIDGED, tel.TIMEOUT): _stay,
    (S.BRIDGED, tel.DIGIT): _digit_anywhere,
    (S.BRIDGED, tel.HANGUP): _far_hangup(None),
    # the safe-harbor message offers the opt-out key: honoured; the call stays abandoned
    (S.SAFE_HARBOR, tel.DIGIT): _digit,
    (S.SAFE_HARBOR, tel.AGENT): _agent_late,
    (S.SAFE_HARBOR, tel.PLAYED): _safe_harbor_played,
    (S.SAFE_HARBOR, tel.HANGUP): _far_hangup(None),
    (S.HANGING_UP, tel.HANGUP): _hung_up,
    **{(S.HANGING_UP, kind): _stay for kind in (tel.PLAYED, tel.BEEP, tel.TIMEOUT, tel.MACHINE)},
    (S.HANGING_UP, tel.DIGIT): _digit_anywhere,
    # a carrier that drops an answered call reports it as failed: the call ends there
    **{(state, tel.FAILED): _far_hangup(None) for state in _ANSWERED_STATES},
    (S.HANGING_UP, tel.AGENT): _agent_late,
    (S.CONFIRMING, tel.AGENT): _agent_late,
}
