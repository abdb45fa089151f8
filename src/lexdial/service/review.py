"""The review queue: messages that may be revocations but are not a stop word.

Rule 1: the FCC lets a person revoke consent "by any reasonable means" and gives the caller
at most 10 business days to honour it (47 CFR 64.1200(a)(10), (a)(12)). A free-text SMS or
e-mail reply, or an agent's note, that *may* be a revocation is therefore never dropped: it
is queued with its due time, and a person (compliance) decides. Confirming runs the same
``optout.opt_out`` as every other channel; dismissing needs a reason. Both are audited.
Rule 2: "business day" is a US federal one (weekends and federal holidays, observed dates
included, skipped), counted in the firm's time zone (default America/New_York). The due
time is the same local wall time on the 10th business day after receipt; a message received
on a weekend or holiday counts from midnight of the next business day. That never gives
more than 10 full business days.
Rule 3: the message is personal data: it is stored encrypted (``text_enc`` holds an AES-GCM
token of a small JSON envelope ``{"text", "number"}``, context ``review_items.text``), so a
confirmation can opt out the number it came from even when no contact has it yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lexdial.errors import NotFoundError, RequestError
from lexdial.rules.calendar import is_holiday
from lexdial.service.consent import CHANNELS
from lexdial.service.contacts import NUMBER_CTX, normalise, number_index
from lexdial.service.optout import OptOutResult, opt_out
from lexdial.service.ports import Audit, Cipher
from lexdial.service.repos.campaigns import ReviewItem
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize

TEXT_CTX = "review_items.text"
LIMIT_BUSINESS_DAYS = 10
DEFAULT_TZ = "America/New_York"
MAX_TEXT = 5000
MAX_REASON = 300


def is_business_day(day: date) -> bool:
    """A US federal business day: Monday to Friday and not a federal holiday (observed)."""
    return day.weekday() < 5 and not is_holiday("US", None, day)


def add_business_days(day: date, n: int) -> date:
    """The ``n``-th business day after ``day`` (``day`` itself never counts)."""
    while n > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            n -= 1
    return day


def due_at(received: datetime, tz: str = DEFAULT_TZ) -> datetime:
    """When a possible revocation received at ``received`` must be honoured at the latest."""
    if received.tzinfo is None:
        raise ValueError("received needs an offset; a naive time is ambiguous")
    zone = ZoneInfo(tz)
    local = received.astimezone(zone)
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    if not is_business_day(day):  # counts from the start of the next business day
        day, clock = add_business_days(day, 1), time(0)
    return datetime.combine(add_business_days(day, LIMIT_BUSINESS_DAYS), clock, zone).astimezone(
        UTC
    )


def business_days_between(start: date, end: date) -> int:
    """Business days in (start, end]; negative when ``end`` is before ``start``."""
    if end < start:
        return -business_days_between(end, start)
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        n += is_business_day(day)
    return n


@dataclass(frozen=True, slots=True)
class Confirmed:
    item_id: int
    optouts: tuple[OptOutResult, ...]


def add_item(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    *,
    channel: str,
    text: str,
    number: str | None,
    contact_id: int | None,
    received_at: datetime,
    caller: Caller,
    at: datetime,
    tz: str = DEFAULT_TZ,
) -> int:
    """Queue a message for review; whoever may record an opt-out may flag a possible one."""
    actor = authorize(uow, caller, "optout.write", firm_id)
    if channel not in CHANNELS:
        raise RequestError("channel", "must be one of " + ", ".join(sorted(CHANNELS)))
    if not text.strip():
        raise RequestError("text", "is required")
    if len(text) > MAX_TEXT:
        raise RequestError("text", f"is longer than {MAX_TEXT} characters")
    e164 = normalise(number) if number else None
    bidx = number_index(cipher, e164) if e164 else None
    if contact_id is None and bidx is not None:
        contact_id = uow.reports.number_owner(firm_id, bidx)
    elif contact_id is not None and not _contact_exists(uow, firm_id, contact_id):
        raise NotFoundError("contact", "no such contact")
    if e164 is None and contact_id is None:
        raise RequestError("number", "give the number or the contact the message came from")
    received = received_at.astimezone(UTC)
    due = due_at(received, tz)
    envelope = json.dumps({"text": text, "number": e164})
    item_id = uow.inbox.add_review_item(
        firm_id,
        contact_id,
        bidx,
        channel,
        cipher.encrypt(envelope, context=TEXT_CTX),
        received,
        due,
    )
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="review.queued",
        subject=f"review:{item_id}",
        data={"channel": channel, "contact": contact_id, "due_at": due.isoformat()},
    )
    return item_id


def open_items(
    uow: UnitOfWork, cipher: Cipher, firm_id: int, caller: Caller, at: datetime
) -> list[dict[str, Any]]:
    """Open items, the most urgent first, each with the time left before its limit."""
    authorize(uow, caller, "read", firm_id)
    rows = uow.inbox.open_review_items(firm_id)
    today = at.astimezone(ZoneInfo(DEFAULT_TZ)).date()
    out = []
    for row in rows:
        body = json.loads(cipher.decrypt(row.text_enc, context=TEXT_CTX))
        assert row.due_at is not None and row.received_at is not None  # listed with both
        due = row.due_at
        left = (due - at).total_seconds()
        out.append(
            {
                "id": row.id,
                "contact": row.contact_id,
                "channel": row.channel,
                "text": body["text"],
                "number": body.get("number"),
                "received_at": row.received_at.isoformat(),
                "due_at": due.isoformat(),
                "seconds_left": int(left),
                "overdue": left <= 0,
                "business_days_left": business_days_between(
                    today, due.astimezone(ZoneInfo(DEFAULT_TZ)).date()
                ),
            }
        )
    return out


def confirm(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    item_id: int,
    caller: Caller,
    at: datetime,
) -> Confirmed:
    """It was a revocation: opt out the sender's number and every number of the contact."""
    actor = authorize(uow, caller, "review.write", firm_id)
    row = _claim(uow, firm_id, item_id, "confirmed", actor, at)
    body = json.loads(cipher.decrypt(row.text_enc, context=TEXT_CTX))
    numbers: list[str] = [body["number"]] if body.get("number") else []
    if row.contact_id is not None:
        tokens = uow.inbox.contact_number_tokens(row.contact_id)
        numbers += [cipher.decrypt(tok, context=NUMBER_CTX) for tok in tokens]
    unique = list(dict.fromkeys(numbers))
    if not unique:
        raise RequestError("item_id", "no number is known for this message; opt out by hand")
    results = tuple(
        opt_out(uow, cipher, audit, firm_id, n, row.channel, body["text"], caller, at)
        for n in unique
    )
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="review.confirmed",
        subject=f"review:{item_id}",
        data={
            "channel": row.channel,
            "contact": row.contact_id,
            "dnc_entries": [r.dnc_entry_id for r in results],
        },
    )
    return Confirmed(item_id, results)


def dismiss(
    uow: UnitOfWork,
    audit: Audit,
    firm_id: int,
    item_id: int,
    reason: str,
    caller: Caller,
    at: datetime,
) -> None:
    """It was not a revocation; the reason is kept in the audit trail (write a reason, not
    a quote of the message: the trail cannot be erased)."""
    actor = authorize(uow, caller, "review.write", firm_id)
    reason = " ".join(reason.split())
    if not reason:
        raise RequestError("reason", "say why this message is not a revocation")
    if len(reason) > MAX_REASON:
        raise RequestError("reason", f"is longer than {MAX_REASON} characters")
    row = _claim(uow, firm_id, item_id, "dismissed", actor, at)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="review.dismissed",
        subject=f"review:{item_id}",
        data={"channel": row.channel, "contact": row.contact_id, "reason": reason},
    )


def _claim(
    uow: UnitOfWork, firm_id: int, item_id: int, status: str, actor: str, at: datetime
) -> ReviewItem:
    """Close an open item (once: a second decision, even a concurrent one, is refused)."""
    row = uow.inbox.review_item(firm_id, item_id)
    if row is None:
        raise NotFoundError("item_id", "no such review item")
    if not uow.inbox.close_review_item(item_id, status, actor[:100], at.astimezone(UTC)):
        raise RequestError("item_id", "this item was already decided")
    return row


def _contact_exists(uow: UnitOfWork, firm_id: int, contact_id: int) -> bool:
    return bool(uow.campaigns.contacts_in_firm(firm_id, [contact_id]))
