"""Queries more than one repository needs, written once.

The repositories are cut by use case, so a few reads recur: finding a firm's contact by a
number's blind index, and the 30-day abandonment counts (the gate reads them for one call,
the reports for the campaign's page).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

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
    (47 CFR 64.1200(a)(7)(i); 16 CFR 310.4(b)(4)(i): the rate is per campaign, 30 days).

    Whole UTC days after ``since``'s day come from ``campaign_day_counts`` (kept by
    ``record_day_counts`` as each outcome is recorded); ``since``'s own day, cut at
    ``since``, is counted from the outcomes of that day alone (an index on their instant).
    The sum is exactly what counting every outcome after ``since`` gives."""
    since = since.astimezone(UTC)
    day = since.date()
    next_day = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    d = t.campaign_day_counts
    whole = conn.execute(
        select(
            func.coalesce(func.sum(d.c.abandoned), 0), func.coalesce(func.sum(d.c.live_answered), 0)
        ).where(d.c.campaign_id == campaign_id, d.c.day > day)
    ).one()
    o, a = t.call_outcomes, t.call_attempts
    edge = conn.execute(
        select(
            func.count().filter(o.c.abandoned.is_(True)),
            func.count().filter(o.c.live_answered.is_(True)),
        )
        .select_from(o.join(a, a.c.id == o.c.attempt_id))
        .where(o.c.at > since, o.c.at < next_day, a.c.campaign_id == campaign_id)
    ).one()
    return int(whole[0]) + int(edge[0]), int(whole[1]) + int(edge[1])


def record_day_counts(
    conn: Connection, attempt_id: int, at: datetime, *, live_answered: bool, abandoned: bool
) -> None:
    """Add one recorded outcome to its campaign's counts for the outcome's UTC day (no-op
    for a call outside any campaign, or one that counts toward neither figure)."""
    if not (live_answered or abandoned):
        return
    day = at.astimezone(UTC).date()
    d, a = t.campaign_day_counts, t.call_attempts
    campaign_id = conn.execute(select(a.c.campaign_id).where(a.c.id == attempt_id)).scalar()
    if campaign_id is None:
        return
    live, aband = int(live_answered), int(abandoned)
    insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    stmt = insert(d).values(campaign_id=campaign_id, day=day, live_answered=live, abandoned=aband)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[d.c.campaign_id, d.c.day],
            set_={
                "live_answered": d.c.live_answered + live,
                "abandoned": d.c.abandoned + aband,
            },
        )
    )
