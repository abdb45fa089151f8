"""Taking a contact off a campaign before they are called.

Rule 1: only a place not dialled yet is taken (``UNDIALLED_QUEUE``: pending, deferred,
waiting to retry, offered to a preview agent): it is cancelled with its queued attempts, as
an opt-out cancels them, under the contact's lock. A call in progress is refused (the call
runs to its outcome; the person can be taken off after). The history of calls already
made stays: nothing here deletes a row.
Rule 2: a place that is already finished (done, blocked, cancelled) is not an error: the
contact will not be called by this campaign again, which is what the removal asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lexdial.domain.states import UNDIALLED_QUEUE, QueueStatus
from lexdial.errors import CampaignError, NotFoundError
from lexdial.service.campaigns import load_campaign
from lexdial.service.ports import Audit
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize

#: the code a removed contact's place keeps (an opt-out's is ``INTERNAL_DNC``)
REMOVED = "REMOVED_BY_STAFF"


@dataclass(frozen=True, slots=True)
class Removal:
    """What a removal did: the place's status before it, and whether it was cancelled."""

    campaign_id: int
    contact_id: int
    was: str
    cancelled: bool


def remove_from_campaign(
    uow: UnitOfWork,
    audit: Audit,
    firm_id: int,
    campaign_id: int,
    contact_id: int,
    at: datetime,
    *,
    caller: Caller,
) -> Removal:
    """Take the firm's contact off the firm's campaign (rule 1); audited when a place was
    cancelled."""
    actor = authorize(uow, caller, "campaign.write", firm_id)
    load_campaign(uow, firm_id, campaign_id)  # another firm's campaign: not found
    if uow.contacts.stored(firm_id, contact_id) is None:
        raise NotFoundError(
            "contact_id", f"No contact #{contact_id}: this firm has no contact with this id."
        )
    # the dialler's gate takes the same lock before it dials: the place read below is the
    # one the dialler would see
    uow.contacts.lock(contact_id)
    was = uow.contacts.queue_place(campaign_id, contact_id)
    if was is None:
        raise NotFoundError(
            "contact_id", f"contact #{contact_id} is not on campaign #{campaign_id}'s list"
        )
    if was not in UNDIALLED_QUEUE and was != QueueStatus.DIALING:
        return Removal(campaign_id, contact_id, was, cancelled=False)
    if was == QueueStatus.DIALING or not uow.contacts.leave_campaign(
        campaign_id, contact_id, UNDIALLED_QUEUE, REMOVED
    ):
        raise CampaignError(
            f"contact #{contact_id} has a call in progress in campaign #{campaign_id}; "
            "it was not taken off: try again when the call has ended"
        )
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="campaign.contact_removed",
        subject=f"campaign:{campaign_id}",
        data={"contact": contact_id, "was": was},
    )
    return Removal(campaign_id, contact_id, was, cancelled=True)
