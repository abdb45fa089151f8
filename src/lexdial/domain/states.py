"""One source for the words the store and the call flow use for states and commands.

Rule 1: each member's value is the exact string stored in the database and sent in JSON; the
enums are ``StrEnum`` so ``AttemptStatus.DIALLED == "dialled"`` and a stored row, a report
and an API answer stay byte-for-byte what they were before the enums existed.
Rule 2: a new state is added here first; a test pins every value.
"""

from __future__ import annotations

from enum import StrEnum


class AttemptStatus(StrEnum):
    """``call_attempts.status``: what became of one gate decision."""

    ALLOWED = "allowed"  # the gate allowed it; the dial is next
    DENIED = "denied"
    DEFERRED = "deferred"
    RESCHEDULED = "rescheduled"  # allowed, but moved into the campaign's own schedule
    DIALLED = "dialled"
    COMPLETED = "completed"  # the outcome is recorded
    QUEUED = "queued"  # waiting to dial: an opt-out cancels it
    CANCELLED = "cancelled"


#: the attempts that count toward frequency caps and show as placed calls
PLACED_ATTEMPTS: tuple[AttemptStatus, ...] = (AttemptStatus.DIALLED, AttemptStatus.COMPLETED)


class QueueStatus(StrEnum):
    """``campaign_contacts.status``: where a contact stands in a campaign's queue."""

    PENDING = "pending"
    DEFERRED = "deferred"
    RETRY = "retry"
    DIALING = "dialing"
    DONE = "done"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    OFFERED = "offered"  # preview: shown to one agent, not dialled yet


#: queue states still waiting for a dial (what the dialler picks up when due)
OPEN_QUEUE: tuple[QueueStatus, ...] = (QueueStatus.PENDING, QueueStatus.DEFERRED, QueueStatus.RETRY)
#: what an opt-out or a stop cancels: everything not dialled yet, a preview offer included
#: (the agent's Call then finds the contact gone instead of bringing it back)
UNDIALLED_QUEUE: tuple[QueueStatus, ...] = (*OPEN_QUEUE, QueueStatus.OFFERED)


class CampaignStatus(StrEnum):
    """``campaigns.status``: a campaign's lifecycle (see ``service.campaigns``)."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    COMPLETED = "completed"


class AgentState(StrEnum):
    """An agent's seat on the desk: whether the dialer may hand them a call."""

    LOGGED_OUT = "logged_out"  # not on the desk: never handed a call
    READY = "ready"
    PAUSED = "paused"  # with a reason the agent chose
    PREVIEW = "preview"  # preview mode: a contact is on screen, the agent decides to call
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"  # the call ended; a disposition is required before the next one


class CommandKind(StrEnum):
    """What the call flow asks the dialer to do (``domain.call.Command.action``)."""

    PLAY = "play"
    HANGUP = "hangup"
    FIND_AGENT = "find_agent"
    CANCEL_AGENT = "cancel_agent"
    RELEASE_AGENT = "release_agent"
    BRIDGE = "bridge"
    TIMER = "timer"
    OPT_OUT = "opt_out"
