"""Queries more than one repository needs, written once.

The repositories are cut by use case, so a few reads recur: finding a firm's contact by a
number's blind index, and the 30-day abandonment counts (the gate reads them for one call,
the reports for the campaign's page).

The statements a dialled call runs (the abandonment counts its gate reads, the day counts
its outcome adds to) are prebuilt ``Fast`` statements (``adapters.db.fast``), made of the
Core expressions they replaced: the same SQL, bound and read as Core does, without an
expression build per call.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.fast import Fast


def contact_id_by_number(conn: Connection, firm_id: int, number_bidx: str) -> int | None:
    """The firm's contact holding the number with this blind index, if any."""
    row = conn.execute(
        select(t.contact_numbers.c.contact_id).where(
            t.contact_numbers.c.firm_id == firm_id,
            t.contact_numbers.c.number_bidx == number_bidx,
        )
    ).first()
    return None if row is None else int(row[0])


_d, _o, _a = t.campaign_day_counts, t.call_outcomes, t.call_attempts
#: the campaign's (abandoned, live) sums over whole days after ``:day``; labelled, as the
#: row is read by name (PostgreSQL names both ``coalesce``)
_WHOLE_DAYS = Fast(
    select(
        func.coalesce(func.sum(_d.c.abandoned), 0).label("abandoned"),
        func.coalesce(func.sum(_d.c.live_answered), 0).label("live"),
    ).where(_d.c.campaign_id == bindparam("campaign_id"), _d.c.day > bindparam("day"))
)
#: the campaign's (abandoned, live) outcomes in (``:since``, ``:next_day``)
_EDGE_DAY = Fast(
    select(
        func.count().filter(_o.c.abandoned.is_(True)).label("abandoned"),
        func.count().filter(_o.c.live_answered.is_(True)).label("live"),
    )
    .select_from(_o.join(_a, _a.c.id == _o.c.attempt_id))
    .where(
        _o.c.at > bindparam("since", type_=_o.c.at.type),
        _o.c.at < bindparam("next_day", type_=_o.c.at.type),
        _a.c.campaign_id == bindparam("campaign_id"),
    )
)


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
    # aggregates: exactly one row each
    (whole,) = _WHOLE_DAYS.rows(conn, {"campaign_id": campaign_id, "day": day})
    edge_params = {"campaign_id": campaign_id, "since": since, "next_day": next_day}
    (edge,) = _EDGE_DAY.rows(conn, edge_params)
    return (
        int(whole["abandoned"]) + int(edge["abandoned"]),
        int(whole["live"]) + int(edge["live"]),
    )


#: the campaign an attempt belongs to (NULL: outside any)
_ATTEMPT_CAMPAIGN = Fast(select(_a.c.campaign_id).where(_a.c.id == bindparam("attempt_id")))
_LIVE = bindparam("live", type_=_d.c.live_answered.type)
_ABANDONED = bindparam("aband", type_=_d.c.abandoned.type)
#: one outcome added to its campaign's day, per dialect (each has its own upsert); the
#: increments are parameters (Core bound them as literals: the same SQL)
_ADD_TO_DAY = {
    name: Fast(
        upsert(_d)
        .values(
            campaign_id=bindparam("campaign_id", type_=_d.c.campaign_id.type),
            day=bindparam("day", type_=_d.c.day.type),
            live_answered=_LIVE,
            abandoned=_ABANDONED,
        )
        .on_conflict_do_update(
            index_elements=[_d.c.campaign_id, _d.c.day],
            set_={
                "live_answered": _d.c.live_answered + _LIVE,
                "abandoned": _d.c.abandoned + _ABANDONED,
            },
        )
    )
    for name, upsert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}


def record_day_counts(
    conn: Connection, attempt_id: int, at: datetime, *, live_answered: bool, abandoned: bool
) -> None:
    """Add one recorded outcome to its campaign's counts for the outcome's UTC day (no-op
    for a call outside any campaign, or one that counts toward neither figure)."""
    if not (live_answered or abandoned):
        return
    day = at.astimezone(UTC).date()
    rows = _ATTEMPT_CAMPAIGN.rows(conn, {"attempt_id": attempt_id})
    campaign_id: Any = rows[0]["campaign_id"] if rows else None
    if campaign_id is None:
        return
    params = {"campaign_id": campaign_id, "day": day}
    add = _ADD_TO_DAY["sqlite" if conn.dialect.name == "sqlite" else "postgresql"]
    add.run(conn, {**params, "live": int(live_answered), "aband": int(abandoned)})
