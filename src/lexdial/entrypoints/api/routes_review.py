"""The review queue over HTTP: possible revocations waiting for a compliance decision.

Rule 1: listing is for every role (agents see numbers masked, as on the people routes);
deciding is a compliance judgement (``review.write``); flagging a message, e.g. an agent's
note of what a caller said, is for whoever may record an opt-out.
Rule 2: the routes call ``service.review``, which audits each step; no text or number is
put in an error.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from lexdial.entrypoints.api.deps import OptOutWriter, Reader, ReviewWriter, now, store
from lexdial.entrypoints.api.id_range import BodyId
from lexdial.entrypoints.render import mask_number
from lexdial.errors import RequestError
from lexdial.service import review, views

router = APIRouter(prefix="/v1/review", tags=["review"])


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str
    text: str
    number: str | None = None
    contact: BodyId | None = None
    received_at: datetime | None = None


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str


@router.get("")
def list_open(request: Request, caller: Reader) -> list[dict[str, Any]]:
    """Open items, most urgent first, with the time left before the 10-business-day limit."""
    s = store(request)
    with s.reading() as uow:
        items = review.open_items(uow, s.cipher, s.firm_id, caller, now(request))
        full = views.sees_full_numbers(uow, caller)
    if not full:
        for item in items:
            item["number"] = mask_number(item["number"]) if item["number"] else None
    return items


@router.post("", status_code=201)
def flag(request: Request, body: ItemIn, caller: OptOutWriter) -> dict[str, Any]:
    """Queue a message that may be a revocation (an e-mail reply, an agent's note)."""
    s, at = store(request), now(request)
    received = body.received_at or at
    if received.tzinfo is None:
        raise RequestError("received_at", "needs an offset; a naive time is ambiguous")
    if received > at:
        raise RequestError("received_at", "may not be in the future")
    with s.unit_of_work() as uow:
        item = review.add_item(
            uow,
            s.cipher,
            s.audit,
            s.firm_id,
            channel=body.channel,
            text=body.text,
            number=body.number,
            contact_id=body.contact,
            received_at=received,
            caller=caller,
            at=at,
        )
    return {"item": item, "status": "open"}


@router.post("/{item_id}/confirm")
def confirm(request: Request, item_id: int, caller: ReviewWriter) -> dict[str, Any]:
    """It was a revocation: every number of the sender is opted out now."""
    s = store(request)
    with s.unit_of_work() as uow:
        done = review.confirm(uow, s.cipher, s.audit, s.firm_id, item_id, caller, now(request))
    return {"item": item_id, "status": "confirmed", "optouts": [asdict(r) for r in done.optouts]}


@router.post("/{item_id}/dismiss")
def dismiss(
    request: Request, item_id: int, body: DismissIn, caller: ReviewWriter
) -> dict[str, Any]:
    """It was not a revocation; the reason is required and audited."""
    s = store(request)
    with s.unit_of_work() as uow:
        review.dismiss(uow, s.audit, s.firm_id, item_id, body.reason, caller, now(request))
    return {"item": item_id, "status": "dismissed"}
