"""The agent's own calls: Call or skip the contact offered in preview, and click-to-call
from a contact page (issue 12).

Rule 1: the desk never dials: a Call click (preview) or a manual click-to-call sets
``dial_contact_id`` (``dial_manual`` for the latter); the dialler gates it (recorded),
dials or tells the desk why not, and clears it.
Rule 2: a click-to-call needs the seat's line up, no disposition due and no call already
waiting; it pauses the seat ("manual call") so no automatic call comes in between.
Rule 3: each click is audited (``desk.call_requested``, ``desk.preview_skipped``).

    preview_call(uow, audit, caller, at) -> DeskSession
    preview_skip(uow, audit, caller, at) -> DeskSession
    click_to_call(uow, audit, caller, contact_id, at) -> DeskSession
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lexdial.domain.desk import DeskAction
from lexdial.errors import NotFoundError, RequestError
from lexdial.service.desk_session import (
    audit_seat,
    locked_session,
    move,
    require_disposition,
    seat_of,
)

if TYPE_CHECKING:
    from datetime import datetime

    from lexdial.service.ports import Audit
    from lexdial.service.repos.desk import DeskSession
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller

#: the seat's pause reason while a manual call waits for the dialler
MANUAL_CALL = "manual call"


def preview_call(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Call the contact offered in preview: the dialler gates it again (recorded) and
    dials, or tells the desk why not."""
    who = seat_of(uow, caller)
    s = locked_session(uow, who)
    move(s, DeskAction.PREVIEW_CALL)
    if s.preview_contact_id is None:
        raise RequestError("state", "no contact is offered in preview")
    if s.dial_contact_id is not None:
        return s  # a double click asks once
    saved = uow.desk.save(replace(s, dial_contact_id=s.preview_contact_id, dial_manual=False))
    audit_seat(
        uow, audit, who, "desk.call_requested", at,
        {"contact": s.preview_contact_id, "campaign_id": s.campaign_id, "manual": False},
    )  # fmt: skip
    return saved


def preview_skip(uow: UnitOfWork, audit: Audit, caller: Caller, at: datetime) -> DeskSession:
    """Pass on the contact offered in preview: ready for the next offer."""
    who = seat_of(uow, caller)
    s = locked_session(uow, who)
    new = move(s, DeskAction.PREVIEW_SKIP)
    if s.dial_contact_id is not None:
        raise RequestError("state", "the call was already asked for")
    saved = uow.desk.save(
        replace(s, state=new.value, preview_contact_id=None, reason=None, since=at)
    )
    audit_seat(
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
    s = locked_session(uow, who)
    new = move(s, DeskAction.CLICK_TO_CALL)
    require_disposition(uow, s)
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
    audit_seat(
        uow, audit, who, "desk.call_requested", at,
        {"contact": contact_id, "campaign_id": s.campaign_id, "manual": True},
    )  # fmt: skip
    return saved
