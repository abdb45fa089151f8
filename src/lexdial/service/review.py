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

from sqlalchemy import Connection, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.errors import RequestError
from lexdial.rules.calendar import is_holiday
from lexdial.service.consent import CHANNELS
from lexdial.service.contacts import NUMBER_CTX, find_contact_id, normalise, number_index
from lexdial.service.optout import OptOutResult, opt_out
from lexdial.service.ports import Audit, Cipher
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
    conn: Connection,
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
    actor = authorize(conn, caller, "optout.write", firm_id)
    if channel not in CHANNELS:
        raise RequestError("channel", "must be one of " + ", ".join(sorted(CHANNELS)))
    if not text.strip():
        raise RequestError("text", "is required")
    if len(text) > MAX_TEXT:
        raise RequestError("text", f"is longer than {MAX_TEXT} characters")
    e164 = normalise(number) if number else None
    bidx = number_index(cipher, e164) if e164 else None
    if contact_id is None and bidx is not None:
        contact_id = find_contact_id(SqlUnitOfWork(conn), firm_id, bidx)
    elif contact_id is not None and not _contact_exists(conn, firm_id, contact_id):
        raise RequestError("contact", "no such contact")
    if e164 is None and contact_id is None:
        raise RequestError("number", "give the number or the contact the message came from")
    received = received_at.astimezone(UTC)
    due = due_at(received, tz)
    envelope = json.dumps({"text": text, "number": e164})
    item_id = t.new_id(
        conn.execute(
            insert(t.review_items).values(
                firm_id=firm_id,
                contact_id=contact_id,
                number_bidx=bidx,
                channel=channel,
                text_enc=cipher.encrypt(envelope, context=TEXT_CTX),
                received_at=received,
                due_at=due,
                status="open",
            )
        )
    )
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="review.queued",
        subject=f"review:{item_id}",
        data={"channel": channel, "contact": contact_id, "due_at": due.isoformat()},
    )
    return item_id


def open_items(
    conn: Connection, cipher: Cipher, firm_id: int, caller: Caller, at: datetime
) -> list[dict[str, Any]]:
    """Open items, the most urgent first, each with the time left before its limit."""
    authorize(conn, caller, "read", firm_id)
    r = t.review_items.c
    rows = conn.execute(
        select(r.id, r.contact_id, r.channel, r.text_enc, r.received_at, r.due_at)
        .where(r.firm_id == firm_id, r.status == "open")
        .order_by(r.due_at, r.id)
    ).mappings()
    today = at.astimezone(ZoneInfo(DEFAULT_TZ)).date()
    out = []
    for row in rows:
        body = json.loads(cipher.decrypt(row["text_enc"], context=TEXT_CTX))
        due = _utc(row["due_at"])
        left = (due - at).total_seconds()
        out.append(
            {
                "id": row["id"],
                "contact": row["contact_id"],
                "channel": row["channel"],
                "text": body["text"],
                "number": body.get("number"),
                "received_at": _utc(row["received_at"]).isoformat(),
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
    conn: Connection,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    item_id: int,
    caller: Caller,
    at: datetime,
) -> Confirmed:
    """It was a revocation: opt out the sender's number and every number of the contact."""
    actor = authorize(conn, caller, "review.write", firm_id)
    row = _claim(conn, firm_id, item_id, "confirmed", actor, at)
    body = json.loads(cipher.decrypt(row["text_enc"], context=TEXT_CTX))
    numbers: list[str] = [body["number"]] if body.get("number") else []
    if row["contact_id"] is not None:
        tokens = conn.execute(
            select(t.contact_numbers.c.number_enc).where(
                t.contact_numbers.c.contact_id == row["contact_id"]
            )
        ).scalars()
        numbers += [cipher.decrypt(tok, context=NUMBER_CTX) for tok in tokens]
    unique = list(dict.fromkeys(numbers))
    if not unique:
        raise RequestError("item_id", "no number is known for this message; opt out by hand")
    results = tuple(
        opt_out(
            SqlUnitOfWork(conn), cipher, audit, firm_id, n, row["channel"], body["text"], caller, at
        )
        for n in unique
    )
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="review.confirmed",
        subject=f"review:{item_id}",
        data={
            "channel": row["channel"],
            "contact": row["contact_id"],
            "dnc_entries": [r.dnc_entry_id for r in results],
        },
    )
    return Confirmed(item_id, results)


def dismiss(
    conn: Connection,
    audit: Audit,
    firm_id: int,
    item_id: int,
    reason: str,
    caller: Caller,
    at: datetime,
) -> None:
    """It was not a revocation; the reason is kept in the audit trail (write a reason, not
    a quote of the message: the trail cannot be erased)."""
    actor = authorize(conn, caller, "review.write", firm_id)
    reason = " ".join(reason.split())
    if not reason:
        raise RequestError("reason", "say why this message is not a revocation")
    if len(reason) > MAX_REASON:
        raise RequestError("reason", f"is longer than {MAX_REASON} characters")
    row = _claim(conn, firm_id, item_id, "dismissed", actor, at)
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="review.dismissed",
        subject=f"review:{item_id}",
        data={"channel": row["channel"], "contact": row["contact_id"], "reason": reason},
    )


def _claim(
    conn: Connection, firm_id: int, item_id: int, status: str, actor: str, at: datetime
) -> Any:
    """Close an open item (once: a second decision, even a concurrent one, is refused)."""
    r = t.review_items.c
    row = (
        conn.execute(
            select(r.id, r.contact_id, r.channel, r.text_enc).where(
                r.id == item_id, r.firm_id == firm_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise RequestError("item_id", "no such review item")
    done = conn.execute(
        update(t.review_items)
        .where(r.id == item_id, r.status == "open")
        .values(status=status, decided_by=actor[:100], decided_at=at.astimezone(UTC))
    ).rowcount
    if done != 1:
        raise RequestError("item_id", "this item was already decided")
    return row


def _contact_exists(conn: Connection, firm_id: int, contact_id: int) -> bool:
    c = t.contacts.c
    hit = conn.execute(select(c.id).where(c.id == contact_id, c.firm_id == firm_id)).first()
    return hit is not None


def _utc(value: datetime) -> datetime:
    """SQLite gives naive UTC back, PostgreSQL an aware time: both become aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
