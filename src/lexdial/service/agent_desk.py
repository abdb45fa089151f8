"""The agent desk's use cases: a seat on a live-agent campaign, its states, the line
requests, the verbal opt-out, dispositions, callbacks, preview and click-to-call (issue 12).

Rule 1: agents, managers and admins of a firm may sit at the desk; everyone acts on their
own seat only (the caller's user id picks it: there is no parameter naming another seat).
Rule 2: states move only as ``domain.desk.TRANSITIONS`` allows; ready is refused while the
seat's last call has no disposition (field "disposition"), and so is a manual call.
Rule 3: "asked not to be called" (a verbal revocation, 47 CFR 64.1200(a)(10)) goes through
``service.optout.opt_out`` at once, in the caller's unit of work, for every number of the
person on the call, before anything else can dial; it records the disposition
``asked_not_to_call`` for the call, which no later disposition replaces, and a callback for
that call is refused (the gate would deny it too).
Rule 4: a callback is checked by the same request builder and engine as a dial, at the
asked time, WITHOUT recording an attempt (a check, not a call): allow sets the contact due
in the campaign's queue at that time (the dialler gates it again, recorded, when it comes);
defer answers the earliest lawful time; deny names the reasons.
Rule 5: the desk never dials: a Call click (preview) or a manual click-to-call sets
``dial_contact_id`` (``dial_manual`` for the latter) and a hang-up or transfer sets
``line_request``; the dialler gates, records and carries them out.
Rule 6: every change is audited (``desk.login``, ``desk.ready``, ``desk.paused``,
``desk.logout``, ``desk.hangup_requested``, ``desk.transfer_requested``,
``desk.disposition``, ``desk.callback``, ``desk.verbal_opt_out``, ``desk.call_requested``,
``desk.preview_skipped``); notes are encrypted (context ``call_dispositions.notes``) and
never audited or logged.

Functions (stable signatures; the HTML desk and the JSON API call these):
    login(uow, audit, caller, campaign_id, endpoint_id, at, *, carrier) -> DeskSession
    ready(uow, audit, caller, at) -> DeskSession
    pause(uow, audit, caller, reason, at) -> DeskSession
    logout(uow, audit, caller, at) -> DeskSession
    hang_up(uow, audit, caller, at) -> DeskSession
    transfer(uow, audit, caller, target, warm, at) -> DeskSession
    verbal_opt_out(uow, cipher, audit, caller, at, *, notes=None) -> OptOutResult
    record_disposition(uow, cipher, audit, caller, code, notes, at) -> CallDisposition
    schedule_callback(uow, engine, cipher, audit, registry, caller, when, at) -> Callback
    screen_pop(uow, engine, cipher, registry, caller, at) -> ScreenPop
    preview_call(uow, audit, caller, at) -> DeskSession
    preview_skip(uow, audit, caller, at) -> DeskSession
    click_to_call(uow, audit, caller, contact_id, at) -> DeskSession
    desk_state(uow, caller) -> DeskSession | None
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lexdial.domain.desk import (
    ASKED_NOT_TO_CALL,
    LOGGING_IN,
    DeskAction,
    check_code,
    check_notes,
    check_pause_reason,
    line_request,
    next_state,
    refuse_reason,
)
from lexdial.domain.digest import request_digest
from lexdial.domain.masking import mask_value
from lexdial.domain.request_parse import parse_request
from lexdial.domain.states import AgentState, CampaignStatus
from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError
from lexdial.service.contacts import NUMBER_CTX, normalise
from lexdial.service.dispositions import active_code, firm_codes
from lexdial.service.gate_request import CallPlan, build_request
from lexdial.service.optout import OptOutResult, opt_out
from lexdial.service.repos.desk import CallDisposition, DeskSession
from lexdial.service.users import Caller, check_agent
from lexdial.service.views import sees_full_numbers

if TYPE_CHECKING:
    from lexdial.domain.decision import Decision
    from lexdial.rules.engine import Engine
    from lexdial.service.ports import Audit, Cipher, Registry
    from lexdial.service.repos.calls import NewAttempt
    from lexdial.service.storage import UnitOfWork

#: who may sit at the desk
DESK_ROLES = frozenset({"agent", "manager", "admin"})
#: campaign modes that hand calls to agents
DESK_MODES = frozenset({"preview", "progressive", "predictive"})
#: the endpoint kinds each carrier can reach (a browser endpoint is WebRTC to the media plane)
ENDPOINT_KINDS: dict[str, frozenset[str]] = {
    "sip": frozenset({"sip", "browser"}),
    "twilio": frozenset({"twilio_client"}),
}
#: the seat's pause reason while a manual call waits for the dialler
MANUAL_CALL = "manual call"
#: the opt-out channel of a revocation said during a call ("saying so during a call")
VERBAL_CHANNEL = "voice"
NOTES_CTX = "call_dispositions.notes"


@dataclass(frozen=True, slots=True)
class Seat:
    """Who is at the desk: their firm, user id, audit label and role."""

    firm_id: int
    user_id: int
    actor: str
    role: str


def seat_of(uow: UnitOfWork, caller: Caller) -> Seat:
    """The caller as a desk user (Rule 1), or PermissionDeniedError."""
    if caller.user_id is None:
        raise PermissionDeniedError("the agent desk is for signed-in users")
    role = uow.users.active_role(caller.user_id)
    if role not in DESK_ROLES:
        raise PermissionDeniedError(f"a caller with role '{role}' may not sit at the agent desk")
    firm = uow.users.firm_of(caller.user_id)
    if firm is None:
        raise PermissionDeniedError(f"no active user #{caller.user_id}")
    return Seat(firm, caller.user_id, caller.label, role)


def desk_state(uow: UnitOfWork, caller: Caller) -> DeskSession | None:
    """The caller's seat (with its ``version`` for cheap polling); None: never seated."""
    who = seat_of(uow, caller)
    return uow.desk.session(who.firm_id, who.user_id)


def _session(uow: UnitOfWork, who: Seat) -> DeskSession:
    s = uow.desk.session(who.firm_id, who.user_id, lock=True)
    if s is None or s.state == AgentState.LOGGED_OUT:
        raise RequestError("state", "log in to the desk first (choose a campaign)")
    return s


def _move(s: DeskSession, action: DeskAction) -> AgentState:
    new = next_state(s.state, action)
    if new is None:
        raise RequestError("state", refuse_reason(s.state, action))
    return new


def _audit(
    uow: UnitOfWork, audit: Audit, who: Seat, action: str, at: datetime, data: dict[str, Any]
) -> None:
    audit.record(
        uow, at=at, actor=who.actor, action=action, subject=f"user:{who.user_id}", data=data
    )


def disposition_due(uow: UnitOfWork, s: DeskSession) -> int | None:
    """The attempt id of the seat's last call when it still lacks a disposition."""
    if s.attempt_id is None or uow.desk.disposition(s.attempt_id) is not None:
        return None
    return s.attempt_id


def _require_disposition(uow: UnitOfWork, s: DeskSession) -> None:
    due = disposition_due(uow, s)
    if due is not None:
        raise RequestError("disposition", f"record a disposition for call #{due} first")


# --- the seat


def login(
    uow: UnitOfWork,
    audit: Audit,
    caller: Caller,
    campaign_id: int,
    endpoint_id: int | None,
    at: datetime,
    *,
    carrier: str,
) -> DeskSession:
    """Seat the caller on a running or paused live-agent campaign of their firm, paused with
    reason "logging in" until they say ready (the dialler opens their leg meanwhile).
    ``carrier`` is the firm's carrier name ("simulated", "sip", "twilio"): only the
    simulated one accepts no endpoint."""
    who = seat_of(uow, caller)
    at = at.astimezone(UTC)
    camp = uow.campaigns.get(campaign_id)
    if camp is None or camp.firm_id != who.firm_id:
        raise NotFoundError("campaign_id", f"no campaign #{campaign_id}")
    if camp.mode not in DESK_MODES:
        raise RequestError(
            "campaign_id",
            f"campaign #{campaign_id} is not a live-agent campaign (mode {camp.mode})",
        )
    if camp.status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        raise RequestError(
            "campaign_id", f"campaign #{campaign_id} is {camp.status}: only a running or paused "
            "campaign takes agents",
        )  # fmt: skip
    check_agent(uow, who.user_id, camp.mode, at.date())
    _check_endpoint(uow, who, endpoint_id, carrier)
    s = uow.desk.session(who.firm_id, who.user_id, lock=True)
    base = s or DeskSession(who.user_id, who.firm_id, None, AgentState.LOGGED_OUT, None, at)
    _move(base, DeskAction.LOGIN)
    saved = uow.desk.save(
        replace(
            base, campaign_id=campaign_id, state=AgentState.PAUSED.value, reason=LOGGING_IN,
            since=at, preview_contact_id=None, dial_contact_id=None, dial_manual=False,
            line_request=None, endpoint_id=endpoint_id,
            # the same line on the same seat stays open; another endpoint is opened anew
            leg_up=base.leg_up and base.endpoint_id == endpoint_id,
        )
    )  # fmt: skip
    _audit(
        uow, audit, who, "desk.login", at, {"campaign_id": campaign_id, "endpoint_id": endpoint_id}
    )
    return saved


def _check_endpoint(uow: UnitOfWork, who: Seat, endpoint_id: int | None, carrier: str) -> None:
    if endpoint_id is None:
        if carrier != "simulated":
            raise RequestError(
                "endpoint_id", f"the firm's carrier '{carrier}' needs an endpoint to reach you "
                "(lexdial users endpoint add)",
            )  # fmt: skip
        return
    ep = uow.users.endpoint(endpoint_id)
    if ep is None or ep.user_id != who.user_id:
        raise NotFoundError("endpoint_id", f"you have no endpoint #{endpoint_id}")
    kinds = ENDPOINT_KINDS.get(carrier)
    if kinds is not None and ep.kind not in kinds:
        raise RequestError(
            "endpoint_id", f"a {ep.kind} endpoint cannot be reached by the '{carrier}' carrier "
            "(use " + " or ".join(sorted(kinds)) + ")",
        )  # fmt: skip


def ready(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Ready for the next call (Rule 2: refused while a disposition is due, or on a call)."""
    who = seat_of(uow, caller)
    s = _session(uow, who)
    new = _move(s, DeskAction.READY)
    _require_disposition(uow, s)
    if s.state == new:
        return s
    saved = uow.desk.save(replace(s, state=new.value, reason=None, since=at))
    _audit(uow, audit, who, "desk.ready", at, {"campaign_id": s.campaign_id})
    return saved


def pause(
    uow: UnitOfWork, audit: Audit, caller: Caller, reason: str | None, at: datetime
) -> DeskSession:
    """Paused with a reason from ``domain.desk.PAUSE_REASONS`` (no call is handed over)."""
    who = seat_of(uow, caller)
    why = check_pause_reason(reason)
    s = _session(uow, who)
    new = _move(s, DeskAction.PAUSE)
    saved = uow.desk.save(
        replace(s, state=new.value, reason=why, since=at, preview_contact_id=None)
    )
    _audit(uow, audit, who, "desk.paused", at, {"campaign_id": s.campaign_id, "reason": why})
    return saved


def logout(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Leave the desk (refused during a call: hang up first). A disposition still due stays
    due: the next ready, after the next login, asks for it."""
    who = seat_of(uow, caller)
    s = uow.desk.session(who.firm_id, who.user_id, lock=True)
    if s is None:
        raise RequestError("state", "you are not logged in to the desk")
    new = _move(s, DeskAction.LOGOUT)
    if s.state == new:
        return s
    saved = uow.desk.save(
        replace(
            s, state=new.value, reason=None, since=at, campaign_id=None, preview_contact_id=None,
            dial_contact_id=None, dial_manual=False, line_request=None,
        )
    )  # fmt: skip
    _audit(uow, audit, who, "desk.logout", at, {"campaign_id": s.campaign_id})
    return saved


# --- the line


def _on_call(uow: UnitOfWork, who: Seat, what: str) -> DeskSession:
    s = _session(uow, who)
    if s.state != AgentState.ON_CALL or s.attempt_id is None:
        raise RequestError("state", f"there is no call to {what}")
    return s


def hang_up(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Ask the dialler to hang up the agent's call (``line_request`` "hangup")."""
    who = seat_of(uow, caller)
    s = _on_call(uow, who, "hang up")
    saved = uow.desk.save(replace(s, line_request=line_request("hangup")))
    _audit(uow, audit, who, "desk.hangup_requested", at, {"attempt_id": s.attempt_id})
    return saved


def transfer(
    uow: UnitOfWork, audit: Audit, caller: Caller, target: str, warm: bool, at: datetime
) -> DeskSession:
    """Ask the dialler to transfer the call: ``target`` is "user:ID" (another agent of the
    firm, ready on the same campaign) or an E.164 number; warm: the agent speaks to the
    target first."""
    who = seat_of(uow, caller)
    s = _on_call(uow, who, "transfer")
    to, kind = _transfer_target(uow, who, s, (target or "").strip())
    saved = uow.desk.save(replace(s, line_request=line_request("warm" if warm else "cold", to)))
    # a number may be a person's: the audit names its kind, not the number
    _audit(
        uow, audit, who, "desk.transfer_requested", at,
        {"attempt_id": s.attempt_id, "warm": bool(warm), "target": to if kind == "agent" else kind},
    )  # fmt: skip
    return saved


def _transfer_target(uow: UnitOfWork, who: Seat, s: DeskSession, target: str) -> tuple[str, str]:
    if target.startswith("user:"):
        raw = target[5:]
        if not raw.isdigit():
            raise RequestError("target", "must be user:ID or an E.164 number")
        other_id = int(raw)
        if other_id == who.user_id:
            raise RequestError("target", "cannot transfer a call to yourself")
        other = uow.desk.session(who.firm_id, other_id)
        if other is None or other.campaign_id != s.campaign_id:
            raise RequestError("target", f"user #{other_id} is not seated on this campaign")
        if other.state != AgentState.READY:
            raise RequestError("target", f"user #{other_id} is not ready ({other.state})")
        return f"user:{other_id}", "agent"
    if not target.startswith("+"):
        raise RequestError("target", "must be user:ID or an E.164 number (+ and digits)")
    try:
        return normalise(target, field="target"), "number"
    except RequestError as e:  # the parser names its own field: the API's is "target"
        raise RequestError("target", "is not a valid, dialable telephone number") from e


# --- the person's requests and the agent's record


def _attempt(uow: UnitOfWork, who: Seat, attempt_id: int) -> NewAttempt:
    a = uow.attempts.stored_attempt(attempt_id)
    if a is None or a.firm_id != who.firm_id:  # pragma: no cover - the seat's own attempt
        raise NotFoundError("attempt", f"no call #{attempt_id}")
    return a


def verbal_opt_out(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    caller: Caller,
    at: datetime,
    *,
    notes: str | None = None,
) -> OptOutResult:
    """The person on the agent's call (or the call in wrap-up) asked not to be called: opt
    out every number of theirs now, in this unit of work (Rule 3); idempotent. The line is
    not hung up: the agent decides. Returns the opt-out of the number called."""
    who = seat_of(uow, caller)
    s = _session(uow, who)
    if s.attempt_id is None or s.state not in (AgentState.ON_CALL, AgentState.WRAP_UP):
        raise RequestError("state", "there is no call whose person could have asked that")
    text = check_notes(notes)
    attempt = _attempt(uow, who, s.attempt_id)
    numbers = uow.views.contact_numbers(who.firm_id, attempt.contact_id)
    # the number called first: its result is the answer; then the person's other numbers
    numbers.sort(key=lambda n: n.number_bidx != attempt.number_bidx)
    results = [
        opt_out(
            uow, cipher, audit, who.firm_id, cipher.decrypt(n.number_enc, context=NUMBER_CTX),
            VERBAL_CHANNEL, f"asked the agent on call #{s.attempt_id}", caller, at,
        )
        for n in numbers
    ]  # fmt: skip
    if not results:  # the contact was erased meanwhile: nothing left to call
        raise NotFoundError("attempt", f"the person of call #{s.attempt_id} has no number on file")
    firm_codes(uow, who.firm_id)
    if uow.desk.disposition(s.attempt_id) is None:
        uow.desk.add_disposition(
            CallDisposition(
                s.attempt_id, who.firm_id, who.user_id, ASKED_NOT_TO_CALL,
                cipher.encrypt(text, context=NOTES_CTX) if text else None, None, at,
            )
        )  # fmt: skip
    _audit(
        uow, audit, who, "desk.verbal_opt_out", at,
        {"attempt_id": s.attempt_id, "contact": attempt.contact_id, "numbers": len(results),
         "dnc_entry": results[0].dnc_entry_id},
    )  # fmt: skip
    return results[0]


def record_disposition(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    caller: Caller,
    code: str,
    notes: str | None,
    at: datetime,
) -> CallDisposition:
    """Record the disposition of the seat's last call (in wrap-up, or on the call once its
    hang-up is asked): a code from the firm's active list, notes encrypted; once per call
    (a second one is refused, so the ``asked_not_to_call`` a verbal opt-out recorded
    stands)."""
    who = seat_of(uow, caller)
    value = check_code(code)
    text = check_notes(notes)
    s = _session(uow, who)
    if s.attempt_id is None:
        raise RequestError("attempt", "there is no call to record a disposition for")
    done = uow.desk.disposition(s.attempt_id)
    if done is not None:
        raise RequestError(
            "code", f"call #{s.attempt_id} already has its disposition ({done.code})"
        )
    if s.state == AgentState.ON_CALL and s.line_request != "hangup":
        raise RequestError("state", "the call is still on: hang up first, then record it")
    active_code(uow, who.firm_id, value)
    d = CallDisposition(
        s.attempt_id, who.firm_id, who.user_id, value,
        cipher.encrypt(text, context=NOTES_CTX) if text else None, None, at,
    )  # fmt: skip
    uow.desk.add_disposition(d)
    uow.desk.save(s)  # the version moves: a polling desk sees the disposition is in
    _audit(
        uow, audit, who, "desk.disposition", at,
        {"attempt_id": s.attempt_id, "code": value, "notes": text is not None},
    )  # fmt: skip
    return d


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback the gate's check allowed: the contact is due again at ``when``."""

    attempt_id: int
    contact_id: int
    campaign_id: int
    when: datetime
    rulepack: str


def schedule_callback(
    uow: UnitOfWork,
    engine: Engine,
    cipher: Cipher,
    audit: Audit,
    registry: Registry,
    caller: Caller,
    when: datetime,
    at: datetime,
) -> Callback:
    """Schedule a callback of the seat's last call's person at ``when`` (Rule 4). Needs the
    call's disposition first; refused after a verbal opt-out."""
    who = seat_of(uow, caller)
    if when.tzinfo is None:
        raise RequestError("when", "must carry a time zone offset (e.g. 2026-12-08T15:00:00-05:00)")
    when, at = when.astimezone(UTC), at.astimezone(UTC)
    if when <= at:
        raise RequestError("when", "must be in the future")
    s = _session(uow, who)
    if s.attempt_id is None:
        raise RequestError("attempt", "there is no call to schedule a callback for")
    d = uow.desk.disposition(s.attempt_id)
    if d is None:
        raise RequestError("disposition", f"record a disposition for call #{s.attempt_id} first")
    if d.code == ASKED_NOT_TO_CALL:
        raise RequestError(
            "when", "the person asked not to be called (47 CFR 64.1200(a)(10)): no callback; "
            "the gate would deny it too",
        )  # fmt: skip
    attempt = _attempt(uow, who, s.attempt_id)
    campaign_id = attempt.campaign_id or s.campaign_id
    if campaign_id is None:
        raise RequestError("campaign_id", "a callback is dialled from a campaign: log in to one")
    status = uow.campaigns.status(campaign_id)
    if status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        raise RequestError("when", f"campaign #{campaign_id} is {status}: it dials no callback")
    raw, _, _ = build_request(
        uow, cipher, registry, firm_id=who.firm_id, contact_id=attempt.contact_id, at=when,
        campaign_id=campaign_id, plan=None,
    )  # fmt: skip
    decision = engine.decide(parse_request(raw), digest=request_digest(raw))
    if decision.verdict == "defer":
        raise RequestError("when", _deferred(decision, raw))
    if decision.verdict != "allow":
        raise RequestError("when", "the gate would deny a call then: " + _reasons(decision))
    if not uow.attempts.queue_callback(campaign_id, attempt.contact_id, when):
        raise RequestError(
            "when", f"the person's place in campaign #{campaign_id} was cancelled (an opt-out or "
            "a stop): no callback",
        )  # fmt: skip
    uow.desk.set_disposition_callback(s.attempt_id, when)
    _audit(
        uow, audit, who, "desk.callback", at,
        {"attempt_id": s.attempt_id, "contact": attempt.contact_id, "campaign_id": campaign_id,
         "when": when.isoformat(), "verdict": decision.verdict, "rulepack": decision.rulepack},
    )  # fmt: skip
    return Callback(s.attempt_id, attempt.contact_id, campaign_id, when, decision.rulepack)


def _zone(raw: dict[str, Any]) -> ZoneInfo:
    name = (raw.get("address") or {}).get("time_zone")
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else ZoneInfo("UTC")
    except (ValueError, KeyError):  # pragma: no cover - the request parser checked it
        return ZoneInfo("UTC")


def _deferred(decision: Decision, raw: dict[str, Any]) -> str:
    earliest = decision.earliest_allowed_at
    if earliest is None:
        return "not lawful at that time: " + _reasons(decision)
    zone = _zone(raw)
    local = earliest.astimezone(zone)
    return (
        f"not lawful at that time; the earliest lawful time is {local.isoformat()} "
        f"({zone.key}): " + _reasons(decision)
    )


def _reasons(decision: Decision) -> str:
    return "; ".join(f"{r.code} ({r.citation}): {r.message}" for r in decision.reasons)


# --- preview and manual calls


def preview_call(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Call the contact offered in preview: the dialler gates it again (recorded) and
    dials, or tells the desk why not."""
    who = seat_of(uow, caller)
    s = _session(uow, who)
    _move(s, DeskAction.PREVIEW_CALL)
    if s.preview_contact_id is None:
        raise RequestError("state", "no contact is offered in preview")
    if s.dial_contact_id is not None:
        return s  # a double click asks once
    saved = uow.desk.save(replace(s, dial_contact_id=s.preview_contact_id, dial_manual=False))
    _audit(
        uow, audit, who, "desk.call_requested", at,
        {"contact": s.preview_contact_id, "campaign_id": s.campaign_id, "manual": False},
    )  # fmt: skip
    return saved


def preview_skip(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Pass on the contact offered in preview: ready for the next offer."""
    who = seat_of(uow, caller)
    s = _session(uow, who)
    new = _move(s, DeskAction.PREVIEW_SKIP)
    if s.dial_contact_id is not None:
        raise RequestError("state", "the call was already asked for")
    saved = uow.desk.save(
        replace(s, state=new.value, preview_contact_id=None, reason=None, since=at)
    )
    _audit(
        uow, audit, who, "desk.preview_skipped", at,
        {"contact": s.preview_contact_id, "campaign_id": s.campaign_id},
    )  # fmt: skip
    return saved


def click_to_call(
    uow: UnitOfWork, audit: Audit, caller: Caller, contact_id: int, at: datetime
) -> DeskSession:
    """A manual call from a contact page: the caller must be seated with their line up and
    no disposition due; the seat pauses ("manual call") so no automatic call comes in
    between, and the dialler gates the call (recorded) like any other."""
    who = seat_of(uow, caller)
    s = _session(uow, who)
    new = _move(s, DeskAction.CLICK_TO_CALL)
    _require_disposition(uow, s)
    if not s.leg_up:
        raise RequestError("state", "your line is not up yet: wait for it, then call")
    if s.dial_contact_id is not None:
        raise RequestError("state", "a call is already waiting for the dialler")
    if not uow.campaigns.contacts_in_firm(who.firm_id, [contact_id]):
        raise NotFoundError("contact_id", f"no contact #{contact_id}")
    saved = uow.desk.save(
        replace(
            s, state=new.value, reason=MANUAL_CALL, since=at, preview_contact_id=None,
            dial_contact_id=contact_id, dial_manual=True,
        )
    )  # fmt: skip
    _audit(
        uow, audit, who, "desk.call_requested", at,
        {"contact": contact_id, "campaign_id": s.campaign_id, "manual": True},
    )  # fmt: skip
    return saved


# --- the screen pop


@dataclass(frozen=True, slots=True)
class ScreenPop:
    """What the desk shows for the seat's call or preview (see ``screen_pop``)."""

    state: str
    reason: str | None
    version: int
    leg_up: bool
    campaign_id: int | None
    #: "call" (the seat's current/last call), "preview" (offered, not called) or None
    kind: str | None
    attempt_id: int | None
    contact: dict[str, Any] | None
    consents: list[dict[str, Any]]
    #: verdict, reasons (code, citation, message), earliest_allowed_at, decision_id,
    #: recorded (False: a dry run computed now for a preview, not recorded)
    decision: dict[str, Any] | None
    script: str | None
    disclosures: list[dict[str, str]]
    disposition_due: bool
    disposition: dict[str, Any] | None


def screen_pop(
    uow: UnitOfWork,
    engine: Engine,
    cipher: Cipher,
    registry: Registry,
    caller: Caller,
    at: datetime,
) -> ScreenPop:
    """The seat's screen: the person (name, number as the role may see it, matter), their
    consents, the gate's decision (the stored one for a call; for a preview a dry run now,
    labelled ``recorded: False``), the campaign's script with the disclosures this call
    needs, and whether a disposition is due."""
    who = seat_of(uow, caller)
    s = uow.desk.session(who.firm_id, who.user_id)
    if s is None:
        raise RequestError("state", "log in to the desk first (choose a campaign)")
    kind: str | None = None
    contact_id: int | None = None
    decision: dict[str, Any] | None = None
    purpose: str | None = None
    campaign_id = s.campaign_id
    if s.attempt_id is not None and s.state in (AgentState.ON_CALL, AgentState.WRAP_UP):
        attempt = _attempt(uow, who, s.attempt_id)
        kind, contact_id, purpose = "call", attempt.contact_id, attempt.purpose
        campaign_id = attempt.campaign_id or campaign_id
        decision = _stored_decision(attempt)
    elif s.preview_contact_id is not None and s.state == AgentState.PREVIEW:
        kind, contact_id = "preview", s.preview_contact_id
        decision, purpose = _dry_run(uow, engine, cipher, registry, who, s, at)
    card, consents = (
        (None, []) if contact_id is None else _card(uow, cipher, caller, who, contact_id)
    )
    script, firm_name = None, uow.attempts.firm_name(who.firm_id)
    if campaign_id is not None:
        camp = uow.campaigns.get(campaign_id)
        if camp is not None:
            script = ((camp.settings or {}).get("message") or {}).get("text")
            purpose = purpose or camp.purpose
    done = None if s.attempt_id is None else uow.desk.disposition(s.attempt_id)
    return ScreenPop(
        state=s.state, reason=s.reason, version=s.version, leg_up=s.leg_up,
        campaign_id=s.campaign_id, kind=kind,
        attempt_id=s.attempt_id if kind == "call" else None, contact=card, consents=consents,
        decision=decision, script=script,
        disclosures=disclosures(purpose, firm_name) if kind else [],
        disposition_due=disposition_due(uow, s) is not None,
        disposition=None if done is None else {
            "attempt_id": done.attempt_id, "code": done.code,
            "callback_at": done.callback_at.isoformat() if done.callback_at else None,
        },
    )  # fmt: skip


def _stored_decision(attempt: NewAttempt) -> dict[str, Any]:
    d = attempt.decision or {}
    return {
        "recorded": True,
        "decision_id": attempt.decision_id,
        "verdict": attempt.verdict,
        "earliest_allowed_at": d.get("earliest_allowed_at"),
        "reasons": [
            {"code": r.get("code"), "citation": r.get("citation"), "message": r.get("message")}
            for r in d.get("reasons", [])
        ],
        "rulepack": attempt.rulepack,
    }


def _dry_run(
    uow: UnitOfWork,
    engine: Engine,
    cipher: Cipher,
    registry: Registry,
    who: Seat,
    s: DeskSession,
    at: datetime,
) -> tuple[dict[str, Any] | None, str | None]:
    assert s.preview_contact_id is not None
    try:
        raw, _, plan = build_request(
            uow, cipher, registry, firm_id=who.firm_id, contact_id=s.preview_contact_id,
            at=at.astimezone(UTC), campaign_id=s.campaign_id,
            plan=None if s.campaign_id is not None else CallPlan("informational", "manual"),
        )  # fmt: skip
    except RequestError as e:  # an erased contact, a number gone: say so, do not guess
        return {"recorded": False, "verdict": None, "error": str(e), "reasons": []}, None
    decision = engine.decide(parse_request(raw), digest=request_digest(raw))
    return {
        "recorded": False,
        "decision_id": None,
        "verdict": decision.verdict,
        "earliest_allowed_at": decision.earliest_allowed_at.isoformat()
        if decision.earliest_allowed_at
        else None,
        "reasons": [
            {"code": r.code, "citation": r.citation, "message": r.message} for r in decision.reasons
        ],
        "rulepack": decision.rulepack,
        "note": "a check now, not recorded: the gate runs again, recorded, at the Call click",
    }, plan.purpose


def _card(
    uow: UnitOfWork, cipher: Cipher, caller: Caller, who: Seat, contact_id: int
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    row = uow.views.contact(who.firm_id, contact_id)
    if row is None:
        return None, []
    full = sees_full_numbers(uow, caller)
    numbers = uow.views.contact_numbers(who.firm_id, contact_id)
    shown = []
    consents: list[dict[str, Any]] = []
    for n in numbers:
        e164 = cipher.decrypt(n.number_enc, context=NUMBER_CTX)
        shown.append(e164 if full else mask_value(e164, "number"))
        for c in uow.attempts.consents_for(who.firm_id, n.number_bidx):
            consents.append(
                {
                    "kind": c.kind,
                    "given_at": c.given_at.isoformat() if c.given_at else None,
                    "scope": list(c.scope),
                    "revoked": c.revoked_at is not None,
                    "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                    "number": shown[-1],
                }
            )
    name = cipher.decrypt(row.name_enc, context="contacts.name") if row.name_enc else None
    card = {
        "id": contact_id,
        "name": name,
        "numbers": shown,
        "number_masked": not full,
        "matter_type": row.matter_type,
        "erased": row.erased_at is not None,
    }
    return card, consents


#: what the person must hear on a live call, whatever the script says
_IDENTITY = {
    "code": "identity",
    "citation": "47 CFR 64.1200(b)(1); 16 CFR 310.4(d)(1)",
}
_PURPOSE = {"code": "purpose", "citation": "16 CFR 310.4(d)(2)-(4); 47 CFR 64.1200(b)"}
_MINI_MIRANDA = {
    "code": "mini_miranda",
    "citation": "12 CFR 1006.18(e); 15 USC 1692e(11)",
    "text": "This is a communication from a debt collector. This is an attempt to collect a "
    "debt and any information obtained will be used for that purpose.",
}


def disclosures(purpose: str | None, firm_name: str) -> list[dict[str, str]]:
    """The disclosures the agent must make on this call: who is calling and why at the
    start (47 CFR 64.1200(b), 16 CFR 310.4(d)); for debt collection the Reg F
    "mini-Miranda" (12 CFR 1006.18(e))."""
    out = [
        {**_IDENTITY, "text": f"Say your name and that you are calling for {firm_name}."},
        {**_PURPOSE, "text": "Say why you are calling before anything else."},
    ]
    if purpose == "debt_collection":
        out.append(dict(_MINI_MIRANDA))
    return out
