"""The dial-time gate's reads as prepared statements (issue 15 item 6).

Rule 1: every statement here is built once, at import, as a typed ``text()`` statement:
executing one costs a cache lookup, not an expression build, a cache-key walk and a
compilation (that was most of a gate's CPU). The SQL is the one dialect both stores
accept; result and bind types come from ``tables`` so values read back exactly as the
Core queries returned them (JSON parsed, SQLite's naive datetimes and ISO dates decoded).
Rule 2: ``CONTACT_BUNDLE`` reads in one round trip what the gate used to read in seven
(contact, primary number, firm name, internal do-not-call and tombstone, last reassigned
check, consents with their revocations). The gate runs it after it holds the contact's
row lock, in a statement of its own (on PostgreSQL a statement that waited for a lock
still reads the other tables as they were when it started), so one snapshot of those
facts is at least as fresh as seven: an opt-out takes the same lock and has committed.
Rule 3: ``gate_facts`` adds the contact's call history to the bundle (``UNION ALL``, one
more round trip saved per gate): its rows carry ``kind`` 1 and the ``h_*`` columns, the
bundle's rows ``kind`` 0; both read in the one statement's snapshot, after the lock.
Rule 4: ``gate_facts_many`` is ``gate_facts`` for a batch of gates' contacts at once (one
statement for N gates, after the batch holds all their locks), over one history window
that covers every gate's own; each row names its contact (``g_contact``). The set of ids is
bound as one value (PostgreSQL: an integer array; SQLite: a JSON array read by
``json_each``), so one prepared statement serves every batch size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import TextualSelect

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.fast import Fast

__all__ = [
    "CONSENTS",
    "CONTACT_BUNDLE",
    "CONTACT_BUNDLE_FAST",
    "gate_facts",
    "gate_facts_many",
    "history",
]


def _typed(sql: str, binds: dict[str, Any], **columns: Any) -> TextualSelect:
    """A ``text()`` select with typed bind parameters (a column's type, or a ready
    ``bindparam``) and result columns typed like the table columns given."""
    params = [
        v if isinstance(v, BindParameter) else bindparam(k, type_=v) for k, v in binds.items()
    ]
    clause = text(sql).bindparams(*params)
    return clause.columns(**{k: c.type for k, c in columns.items()})


_c, _r = t.contacts.c, t.reassigned_checks.c
_k, _v = t.consents.c, t.revocations.c

#: the contact's rows (none: no such contact): its firm's name, its primary number (NULLs
#: when it has none), whether the firm suppresses that number, the number's last reassigned
#: check by that firm (NULLs when never checked), and one row per consent the firm holds
#: for the number, by id (``consent_*``; one row of NULLs when it holds none)
_BUNDLE_TEMPLATE = """
    SELECT c.id AS g_contact, c.firm_id, c.relationship, c.address_enc,
           c.last_transaction_on, c.inquiry_on, c.subscriber, c.matter_type, c.preferences,
           c.objected_at, c.erased_at,
           c.lawful_basis, f.name AS firm_name,
           n.number_enc, n.number_bidx, n.line_type,
           CASE WHEN n.number_bidx IS NULL THEN 0
                WHEN EXISTS (SELECT 1 FROM dnc_entries d
                             WHERE d.firm_id = c.firm_id AND d.number_bidx = n.number_bidx)
                  OR EXISTS (SELECT 1 FROM dnc_tombstones s
                             WHERE s.firm_id = c.firm_id AND s.number_bidx = n.number_bidx)
                THEN 1 ELSE 0 END AS internal_dnc,
           r.result AS reassigned_result, r.checked_on AS reassigned_on,
           k.id AS consent_id, k.kind AS consent_kind, k.given_at AS consent_given_at,
           k.scope AS consent_scope, k.sellers AS consent_sellers,
           k.method AS consent_method, k.technologies AS consent_technologies,
           v.at AS consent_revoked_at
    FROM contacts c
    JOIN firms f ON f.id = c.firm_id
    LEFT JOIN contact_numbers n ON n.id = (
        SELECT n1.id FROM contact_numbers n1 WHERE n1.contact_id = c.id
        ORDER BY n1.is_primary DESC, n1.id LIMIT 1)
    LEFT JOIN reassigned_checks r ON r.id = (
        SELECT r1.id FROM reassigned_checks r1
        WHERE r1.firm_id = c.firm_id AND r1.number_bidx = n.number_bidx
        ORDER BY r1.checked_on DESC, r1.id DESC LIMIT 1)
    LEFT JOIN consents k ON k.firm_id = c.firm_id AND k.number_bidx = n.number_bidx
    LEFT JOIN revocations v ON v.consent_id = k.id
    WHERE {contacts}"""
_BUNDLE_SELECT = _BUNDLE_TEMPLATE.format(contacts="c.id = :contact_id")

#: the result types of the bundle's columns (the others are plain text and integers)
_BUNDLE_TYPES = {
    "last_transaction_on": _c.last_transaction_on,
    "inquiry_on": _c.inquiry_on,
    "preferences": _c.preferences,
    "objected_at": _c.objected_at,
    "erased_at": _c.erased_at,
    "lawful_basis": _c.lawful_basis,
    "reassigned_on": _r.checked_on,
    "consent_given_at": _k.given_at,
    "consent_scope": _k.scope,
    "consent_sellers": _k.sellers,
    "consent_technologies": _k.technologies,
    "consent_revoked_at": _v.at,
}

CONTACT_BUNDLE = _typed(
    _BUNDLE_SELECT + "\n    ORDER BY k.id", {"contact_id": t.contacts.c.id.type}, **_BUNDLE_TYPES
)

#: the bundle on the driver's cursor (``fast``): the gate's first read
CONTACT_BUNDLE_FAST = Fast(CONTACT_BUNDLE)

#: a firm's consents for one number, with their revocation instant (NULL: in force)
CONSENTS = _typed(
    """
    SELECT k.id, k.kind, k.given_at, k.scope, k.sellers, k.method, k.technologies,
           v.at AS revoked_at
    FROM consents k LEFT JOIN revocations v ON v.consent_id = k.id
    WHERE k.firm_id = :firm_id AND k.number_bidx = :number_bidx
    ORDER BY k.id
    """,
    {"firm_id": _k.firm_id.type, "number_bidx": _k.number_bidx.type},
    given_at=_k.given_at,
    scope=_k.scope,
    sellers=_k.sellers,
    technologies=_k.technologies,
    revoked_at=_v.at,
)

_a = t.call_attempts.c


def status_literals(statuses: Sequence[str]) -> str:
    """``'a', 'b'`` for ``status IN (...)``: the statuses written into the SQL, so a
    statement has plain parameters only (``fast`` rule 3); only identifiers (our own
    constants), never a value from outside; none: ``NULL`` (matches nothing)."""
    if not all(s.isidentifier() for s in statuses):
        raise ValueError(f"not statuses: {statuses!r}")
    return ", ".join(f"'{s}'" for s in statuses) or "NULL"


_HISTORIES: dict[tuple[str, ...], Fast] = {}


def history(statuses: tuple[str, ...]) -> Fast:
    """One contact's attempts in [since, until] with these statuses, and their outcomes.

    The statuses are the gate's own constants (``AttemptStatus`` values), written into the
    SQL as literals so the statement has plain parameters only (``fast`` rule 2); one
    statement per distinct list, built on first use."""
    stmt = _HISTORIES.get(statuses)
    if stmt is None:
        listed = status_literals(statuses)
        stmt = _HISTORIES[statuses] = Fast(
            _typed(
                f"""
                SELECT a.at, a.purpose, a.subject, a.debt_ref, a.technology, o.outcome
                FROM call_attempts a LEFT JOIN call_outcomes o ON o.attempt_id = a.id
                WHERE a.contact_id = :contact_id AND a.at >= :since AND a.at <= :until
                  AND a.status IN ({listed})
                ORDER BY a.at
                """,
                {"contact_id": _a.contact_id.type, "since": _a.at.type, "until": _a.at.type},
                at=_a.at,
            )
        )
    return stmt


_GATE_FACTS: dict[tuple[str, ...], Fast] = {}
#: the bundle's columns after ``g_contact``, as NULLs on the history rows of ``gate_facts``
_BUNDLE_COLUMNS = (
    "firm_id relationship address_enc last_transaction_on inquiry_on subscriber"
    " matter_type preferences objected_at erased_at lawful_basis firm_name number_enc number_bidx"
    " line_type internal_dnc reassigned_result reassigned_on consent_id consent_kind"
    " consent_given_at consent_scope consent_sellers consent_method consent_technologies"
    " consent_revoked_at"
).split()


def _facts_sql(statuses: tuple[str, ...], in_contacts: str) -> str:
    """The bundle of the contacts ``c.id {in_contacts}`` and, in the same statement, their
    attempts in [since, until] with these statuses and their outcomes (rule 3): by contact
    (``g_contact``), bundle rows first (``kind`` 0, by consent id), then history rows
    (``kind`` 1, oldest first, ``h_*``). The statuses are written into the SQL as in
    ``history``."""
    listed = status_literals(statuses)
    nulls = ", ".join(f"NULL AS {c}" for c in _BUNDLE_COLUMNS)
    bundle = _BUNDLE_TEMPLATE.format(contacts=f"c.id {in_contacts}")
    return f"""
        SELECT 0 AS kind, bundle.*, NULL AS h_id, NULL AS h_at, NULL AS h_purpose,
               NULL AS h_subject, NULL AS h_debt_ref, NULL AS h_technology,
               NULL AS h_outcome
        FROM ({bundle}) bundle
        UNION ALL
        SELECT 1 AS kind, a.contact_id, {nulls}, a.id, a.at, a.purpose, a.subject,
               a.debt_ref, a.technology, o.outcome
        FROM call_attempts a LEFT JOIN call_outcomes o ON o.attempt_id = a.id
        WHERE a.contact_id {in_contacts} AND a.at >= :since AND a.at <= :until
          AND a.status IN ({listed})
        ORDER BY g_contact, kind, consent_id, h_at, h_id
        """


def gate_facts(statuses: tuple[str, ...]) -> Fast:
    """One contact's facts and calls (``_facts_sql``); one statement per status list."""
    stmt = _GATE_FACTS.get(statuses)
    if stmt is None:
        sql = _facts_sql(statuses, "= :contact_id")
        binds = {"contact_id": _a.contact_id.type, "since": _a.at.type, "until": _a.at.type}
        stmt = _GATE_FACTS[statuses] = Fast(_typed(sql, binds, h_at=_a.at, **_BUNDLE_TYPES))
    return stmt


_GATE_FACTS_MANY: dict[tuple[str, tuple[str, ...]], Fast] = {}
#: the batch's contact ids as one bound value, per dialect (rule 4)
_ID_SET = {
    "postgresql": "= ANY(CAST(:ids AS integer[]))",
    "sqlite": "IN (SELECT value FROM json_each(:ids))",
}


def gate_facts_many(dialect: str, statuses: tuple[str, ...]) -> Fast:
    """``gate_facts`` for the contacts in ``:ids`` (rule 4): a list of ints on PostgreSQL,
    a JSON array text on SQLite (``ids_param``)."""
    stmt = _GATE_FACTS_MANY.get((dialect, statuses))
    if stmt is None:
        sql = _facts_sql(statuses, _ID_SET[dialect])
        binds = {"ids": bindparam("ids"), "since": _a.at.type, "until": _a.at.type}
        stmt = Fast(_typed(sql, binds, h_at=_a.at, **_BUNDLE_TYPES))
        _GATE_FACTS_MANY[(dialect, statuses)] = stmt
    return stmt


def ids_param(dialect: str, contact_ids: list[int]) -> Any:
    """The ``:ids`` value of ``gate_facts_many`` on ``dialect``."""
    if dialect == "sqlite":
        return "[" + ",".join(str(int(i)) for i in contact_ids) + "]"
    return [int(i) for i in contact_ids]
