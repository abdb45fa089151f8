"""What the dialer and a telephony adapter say to each other (pure values).

Rule 1: an adapter reports everything that happens on a call as a ``CallEvent`` on one
stream; the call flow (``domain.call``) alone decides what to do next, and the dialer
turns its commands into adapter calls. So the simulated carrier, SIP and Twilio drive
the very same flow, and a test of the flow is a test of all three.
Rule 2: event times are seconds on the call's own timeline (0 = the dial was sent), in
the carrier's time: the simulated carrier may run faster than the wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple

#: prompt names a ``Dial`` may carry (``domain.call`` plays them by name)
MESSAGE: Final = "message"
VOICEMAIL: Final = "voicemail"
OPTOUT_CONFIRM: Final = "optout_confirm"
SAFE_HARBOR: Final = "safe_harbor"
PROMPTS: Final = frozenset({MESSAGE, VOICEMAIL, OPTOUT_CONFIRM, SAFE_HARBOR})

#: event kinds an adapter may emit
RINGING: Final = "ringing"  # the far end is alerting
ANSWERED: Final = "answered"  # 200 OK / in-progress: someone or something picked up
HUMAN: Final = "human"  # answering-machine detection: a person (greeting finished)
MACHINE: Final = "machine"  # answering-machine detection: a machine greeting
BEEP: Final = "beep"  # the voicemail tone ended: a drop may start
DIGIT: Final = "digit"  # a key press (RFC 2833, SIP INFO, or a Twilio Gather)
PLAYED: Final = "played"  # a prompt finished playing (``prompt`` says which)
HANGUP: Final = "hangup"  # the far end hung up, or our hangup completed
BUSY: Final = "busy"
NO_ANSWER: Final = "no_answer"  # rang for the ring timeout with no answer
FAILED: Final = "failed"  # the carrier could not place the call
#: events the dialer itself injects (timers and the agent pool)
AGENT: Final = "agent"  # an agent was reserved for this call
#: agent legs (issue 12): events about an agent's nailed-up line, not about a call. Their
#: ``call_id`` is "" and ``detail`` is the agent's label ("user:ID")
AGENT_UP: Final = "agent_up"  # the agent's endpoint answered: the leg is open and idle
AGENT_DOWN: Final = "agent_down"  # the agent's leg ended (hung up, refused, lost)
#: a call joined to an agent: audio flows both ways (``detail``: the agent). Only this
#: event makes a call BRIDGED; an agent assigned but not yet heard is still CONNECTING
BRIDGED: Final = "bridged"
#: the call was handed to another agent or number (``detail``: "warm:TARGET"/"cold:TARGET")
TRANSFERRED: Final = "transferred"
TIMEOUT: Final = "timeout"  # a timer the flow asked for ran out (``prompt`` names it)
EVENT_KINDS: Final = frozenset(
    {RINGING, ANSWERED, HUMAN, MACHINE, BEEP, DIGIT, PLAYED, HANGUP, BUSY, NO_ANSWER, FAILED}
    | {AGENT, TIMEOUT, BRIDGED, TRANSFERRED}
)
#: the kinds that concern an agent's leg rather than a call (``call_id`` is "")
AGENT_LEG_KINDS = frozenset({AGENT_UP, AGENT_DOWN})


@dataclass(frozen=True, slots=True)
class Prompt:
    """One recorded prompt: the text it says, its audio file, and how long it plays."""

    text: str
    seconds: float
    audio_path: str | None = None


@dataclass(frozen=True, slots=True)
class Dial:
    """Everything an adapter needs to place one call and play its prompts."""

    call_id: str
    to: str  # E.164; personal data: adapters must not log it
    caller_id: str
    ring_timeout_s: float
    prompts: Mapping[str, Prompt] = field(default_factory=dict)
    opt_out_key: str = "9"
    detect_machine: bool = True


@dataclass(frozen=True, slots=True)
class AgentLeg:
    """Where to reach an agent for a nailed-up leg: ``kind`` is an endpoint kind
    (``sip``: ``address`` a SIP URI, also a browser softphone behind lexdial's WebRTC
    gateway; ``twilio_client``: ``address`` the Client identity)."""

    agent: str  # "user:ID"
    kind: str
    address: str
    caller_id: str = ""


class CallEvent(NamedTuple):
    """Something that happened on a call, at ``t`` seconds after the dial."""

    call_id: str
    kind: str
    t: float
    digit: str | None = None
    prompt: str | None = None  # PLAYED / TIMEOUT: which prompt or timer
    detail: str | None = None  # free text for the record (SIP cause, AMD reason, ...)
