"""Queries more than one repository needs, written once.

The repositories are cut by use case, so a few reads recur: finding a firm's contact by a
number's blind index, and the 30-day abandonment counts (the gate reads them for one call,
the reports for the campaign's page).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from lexdial.adapters.db import tables as t


def contact_id_by_number(conn: Connection, firm_id: int, number_bidx: str) -> int | None:
    """The firm's contact holding the number with this blind index, if any."""
    row = conn.execute(
        select(t.contact_numbers.c.contact_id).where(
            t.contact_numbers.c.firm_id == firm_id,
            t.contact_numbers.c.number_bidx == number_bidx,
        )
    ).first()
    return None if row is None else int(row[0])


def abandonment_counts(conn: Connection, campaign_id: int, since: datetime) -> tuple[int, int]:
    """(abandoned, live-answered) calls of the campaign with an outcome after ``since``
    (47 CFR 64.1200(a)(7)(i); 16 CFR 310.4(b)(4)(i): the rate is per campaign, 30 days)."""
    row = conn.execute(
        select(
            func.count().filter(t.call_outcomes.c.abandoned.is_(True)),
            func.count().filter(t.call_outcomes.c.live_answered.is_(True)),
        )
        .select_from(
            t.call_outcomes.join(
                t.call_attempts, t.call_attempts.c.id == t.call_outcomes.c.attempt_id
            )
        )
        .where(t.call_attempts.c.campaign_id == campaign_id, t.call_outcomes.c.at > since)
    ).one()
    return int(row[0]), int(row[1])
