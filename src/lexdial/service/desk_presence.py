"""The agent's presence at the desk: log in to a campaign, ready, paused, log out (issue 12).

Rule 1: a seat is taken on a running or paused live-agent campaign of the caller's firm,
by a user with a current training attestation (``users.check_agent``), with an endpoint
of their own that the firm's carrier can reach (only the simulated carrier accepts none);
it starts paused ("logging in") while the dialler opens the leg.
Rule 2: ready is refused while the seat's last call has no disposition (field
"disposition"); logout is refused during a call, and a disposition due stays due.
Rule 3: each change is audited: ``desk.login``, ``desk.ready``, ``desk.paused``,
``desk.logout``.

    login(uow, audit, caller, campaign_id, endpoint_id, at, *, carrier) -> DeskSession
    ready(uow, audit, caller, at) -> DeskSession
    pause(uow, audit, caller, reason, at) -> DeskSession
    logout(uow, audit, caller, at) -> DeskSession
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import TYPE_CHECKING

from lexdial.domain.desk import LOGGING_IN, DeskAction, check_pause_reason
from lexdial.domain.states import AgentState, CampaignStatus
from lexdial.errors import NotFoundError, RequestError
from lexdial.service.desk_session import (
    audit_seat,
    locked_session,
    move,
    require_disposition,
    seat_of,
)
from lexdial.service.repos.desk import DeskSession
from lexdial.service.users import check_agent

if TYPE_CHECKING:
    from datetime import datetime

    from lexdial.service.desk_session import Seat
    from lexdial.service.ports import Audit
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller

#: campaign modes that hand calls to agents
DESK_MODES = frozenset({"preview", "progressive", "predictive"})
#: the endpoint kinds each carrier can reach (a browser endpoint is WebRTC to the media plane)
ENDPOINT_KINDS: dict[str, frozenset[str]] = {
    "sip": frozenset({"sip", "browser"}),
    "twilio": frozenset({"twilio_client"}),
}


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
    move(base, DeskAction.LOGIN)
    saved = uow.desk.save(
        replace(
            base, campaign_id=campaign_id, state=AgentState.PAUSED.value, reason=LOGGING_IN,
            since=at, preview_contact_id=None, dial_contact_id=None, dial_manual=False,
            line_request=None, endpoint_id=endpoint_id,
            # the same line on the same seat stays open; another endpoint is opened anew
            leg_up=base.leg_up and base.endpoint_id == endpoint_id,
        )
    )  # fmt: skip
    audit_seat(
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
    s = locked_session(uow, who)
    new = move(s, DeskAction.READY)
    require_disposition(uow, s)
    if s.state == new:
        return s
    saved = uow.desk.save(replace(s, state=new.value, reason=None, since=at))
    audit_seat(uow, audit, who, "desk.ready", at, {"campaign_id": s.campaign_id})
    return saved


def pause(
    uow: UnitOfWork, audit: Audit, caller: Caller, reason: str | None, at: datetime
) -> DeskSession:
    """Paused with a reason from ``domain.desk.PAUSE_REASONS`` (no call is handed over)."""
    who = seat_of(uow, caller)
    why = check_pause_reason(reason)
    s = locked_session(uow, who)
    new = move(s, DeskAction.PAUSE)
    saved = uow.desk.save(
        replace(s, state=new.value, reason=why, since=at, preview_contact_id=None)
    )
    audit_seat(uow, audit, who, "desk.paused", at, {"campaign_id": s.campaign_id, "reason": why})
    return saved


def logout(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Leave the desk (refused during a call: hang up first). A disposition still due stays
    due: the next ready, after the next login, asks for it."""
    who = seat_of(uow, caller)
    s = uow.desk.session(who.firm_id, who.user_id, lock=True)
    if s is None:
        raise RequestError("state", "you are not logged in to the desk")
    new = move(s, DeskAction.LOGOUT)
    if s.state == new:
        return s
    saved = uow.desk.save(
        replace(
            s, state=new.value, reason=None, since=at, campaign_id=None, preview_contact_id=None,
            dial_contact_id=None, dial_manual=False, line_request=None,
        )
    )  # fmt: skip
    audit_seat(uow, audit, who, "desk.logout", at, {"campaign_id": s.campaign_id})
    return saved
