"""The statements a dialled call runs beside the gate's, prebuilt (issue 15 item 6, after
``gate_reads``): the campaign's status and settings, the queue row's claim and moves, the
attempt's status and the outcome.

Rule 1: each is a ``Fast`` statement (``adapters.db.fast``) made of the Core expression it
replaces, so the SQL, the bound types and the values read back are Core's; what a call no
longer pays is an expression build and a cache-key walk per statement (about a tenth of a
millisecond of CPU each, ten statements a call).
Rule 2: a statement whose shape depends on its caller (the queue columns an update sets, a
list of statuses) is one ``Fast`` per shape, built on first use and kept: the callers pass
constants, so there are a handful. Statuses are written into the SQL as literals (``fast``
rule 3: no expanding ``IN``), and only when each is an identifier: never a value from
outside.
Rule 3: a WHERE parameter is never named after a column of the table a statement writes:
an UPDATE or INSERT is compiled with its first call's parameter names, and would set that
column too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, false, insert, literal_column, select, update
from sqlalchemy.exc import NoResultFound

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.fast import Fast

_c, _q, _a = t.campaigns.c, t.campaign_contacts.c, t.call_attempts.c

#: a campaign's status (``campaign_status``)
CAMPAIGN_STATUS = Fast(select(_c.status).where(_c.id == bindparam("campaign_id")))
#: a campaign's row, every column (``campaign_for_gate``)
CAMPAIGN = Fast(select(t.campaigns).where(_c.id == bindparam("campaign_id")))
#: an attempt's status (``set_status``)
SET_ATTEMPT_STATUS = Fast(
    update(t.call_attempts)
    .where(_a.id == bindparam("attempt_id"))
    .values(status=bindparam("status", type_=_a.status.type))
)
#: an outcome: every column ``record_outcome`` gives, as Core's ``insert().values(...)``
INSERT_OUTCOME = Fast(insert(t.call_outcomes))
#: a queue row leaves "dialing" with its outcome (``close_call``)
CLOSE_CALL = Fast(
    update(t.campaign_contacts)
    .where(_q.id == bindparam("queue_id"), _q.status == "dialing")
    .values(
        status=bindparam("status", type_=_q.status.type),
        last_outcome=bindparam("last_outcome", type_=_q.last_outcome.type),
        next_at=bindparam("next_at", type_=_q.next_at.type),
    )
)

_CLAIMS: dict[tuple[str, ...], Fast] = {}
_QUEUE_UPDATES: dict[tuple[str, ...], Fast] = {}


def one(rows: list[dict[str, Any]], column: str) -> Any:
    """The one row's ``column``, as Core's ``scalar_one()``: no row raises ``NoResultFound``
    (the callers read by primary key, so there is never more than one)."""
    if not rows:
        raise NoResultFound("No row was found when one was required")
    return rows[0][column]


def _in_statuses(statuses: tuple[str, ...]) -> Any:
    """``status IN ('a', 'b')`` with the statuses as literals (rule 2); none: never true,
    as Core's empty ``IN``."""
    if not all(s.isidentifier() for s in statuses):  # never a value from outside
        raise ValueError(f"not queue statuses: {statuses!r}")
    if not statuses:
        return false()
    return _q.status.in_([literal_column(f"'{s}'") for s in statuses])


def claim(statuses: Sequence[str]) -> Fast:
    """The queue row ``:queue_id`` set "dialing" if it has one of ``statuses``; run with
    ``count``: 1 claimed, 0 taken since (one statement per list, rule 2)."""
    key = tuple(statuses)
    stmt = _CLAIMS.get(key)
    if stmt is None:
        stmt = _CLAIMS[key] = Fast(
            update(t.campaign_contacts)
            .where(_q.id == bindparam("queue_id"), _in_statuses(key))
            .values(status="dialing")
        )
    return stmt


def queue_update(columns: tuple[str, ...]) -> Fast:
    """The queue row ``:queue_id`` with these columns set from the parameters named after
    them (one statement per column set, rule 2)."""
    stmt = _QUEUE_UPDATES.get(columns)
    if stmt is None:
        table = t.campaign_contacts
        stmt = _QUEUE_UPDATES[columns] = Fast(
            update(table)
            .where(_q.id == bindparam("queue_id"))
            .values({c: bindparam(c, type_=table.c[c].type) for c in columns})
        )
    return stmt
