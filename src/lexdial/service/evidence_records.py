"""Do a number's records still say what the audit trail recorded about them?

Why: the hash chain proves the audit entries were not altered, not the rows they describe.
A decision, consent, call outcome or opt-out edited or deleted directly in the database
leaves the chain intact; an evidence bundle that printed "chain intact" beside such a row
would vouch for it. So each row is compared with the audited facts about it:

Rule 1: every audited fact must still have its row (``decision.recorded``: the attempt,
``call.outcome``: its outcome, ``consent.recorded``: the consent, ``optout.honoured``: the
do-not-call entry), unless a later retention purge (``privacy.purged``) deleted rows of
that kind that old.
Rule 2: each field the entry recorded must equal the row's (verdict, rule-pack version,
decision id, request digest and reason codes of a decision; outcome and flags of a call;
kind, scope, method, given-at and disclosure SHA-256 of a consent, and the disclosure text
must still hash to it; the channel of an opt-out).
Rule 3: a revocation is a fact too: a consent revoked (``consent.revoked``) or given before
an opt-out of its number (``optout.honoured``) must still show as revoked.
Rule 4: a row no audit entry speaks of was not written by lexdial: it is named.

Pure: it reads the rows and entries it is given, nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: the audit entries this check reads, by what they record
DECISION, OUTCOME = "decision.recorded", "call.outcome"
CONSENT, REVOKED, OPTOUT = "consent.recorded", "consent.revoked", "optout.honoured"
PURGED = "privacy.purged"
#: the subject of every retention purge's entry (``service.privacy.purge``)
PURGE_SUBJECT = "store:retention"


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A row that disagrees with the audit trail, named for a person to look at."""

    record: str  #: the row, as the audit trail names it ("attempt:5", "consent:2", "dnc:4")
    problem: str
    audit_seq: int | None = None  #: the entry it disagrees with (None: no entry at all)
    #: the field that differs ("verdict", "revoked at", ...); None: the whole row (missing,
    #: or never audited)
    field: str | None = None
    #: the contact the entry names, when it names one (a deleted row has no other owner)
    contact: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "audit_seq": self.audit_seq,
            "field": self.field,
            "problem": self.problem,
        }


@dataclass(frozen=True, slots=True)
class _Entry:
    seq: int
    at: datetime
    action: str
    kind: str
    ident: int | None
    data: Mapping[str, Any]

    def subject_held(self, elsewhere: set[str]) -> bool:
        """Whether this entry's row is still held for another of the contact's numbers."""
        return f"{self.kind}:{self.ident}" in elsewhere


def check_records(
    *,
    consents: Sequence[Mapping[str, Any]],
    attempts: Sequence[Mapping[str, Any]],
    outcomes: Sequence[Mapping[str, Any]],
    dnc: Sequence[Mapping[str, Any]],
    entries: Iterable[Mapping[str, Any]],
    held_elsewhere: Iterable[str] = (),
) -> list[RecordProblem]:
    """Every disagreement between the rows of one number and the audit entries about them,
    in the order of the entries (rows no entry speaks of last).

    ``entries``: the audit entries about the rows and those naming the contact, plus the
    retention purges; ``held_elsewhere``: subjects an entry names whose row is still held
    for another of the contact's numbers (not deleted)."""
    found = _Found(consents, attempts, outcomes, dnc, set(held_elsewhere))
    walk = _entries(entries)
    # a purge explains the rows it deleted before it: known before the walk reaches them
    found.purges = [e for e in walk if e.action == PURGED]
    for entry in walk:
        found.check(entry)
    return found.problems + found.unaudited()


class _Found:
    """The walk over the entries: what each row is compared with, what was audited."""

    def __init__(
        self,
        consents: Sequence[Mapping[str, Any]],
        attempts: Sequence[Mapping[str, Any]],
        outcomes: Sequence[Mapping[str, Any]],
        dnc: Sequence[Mapping[str, Any]],
        elsewhere: set[str],
    ) -> None:
        self.consents = {int(c["id"]): c for c in consents}
        self.attempts = {int(a["id"]): a for a in attempts}
        self.outcomes = {int(o["attempt_id"]): o for o in outcomes}
        self.dnc = {int(d["id"]): d for d in dnc}
        self.elsewhere = elsewhere
        self.purges: list[_Entry] = []
        self.consent_seq: dict[int, int] = {}
        self.decided_at: dict[int, datetime] = {}
        self.reused: set[int] = set()  #: attempt ids whose older entries are another's
        self.seen: dict[str, set[int]] = {k: set() for k in ("attempt", "call", "consent", "dnc")}
        self.problems: list[RecordProblem] = []

    def check(self, e: _Entry) -> None:
        if e.ident is None:
            return
        handler = _HANDLERS.get((e.action, e.kind))
        if handler is not None:
            handler(self, e)

    # --- one handler per audited fact ------------------------------------------------------

    def decision(self, e: _Entry) -> None:
        self.seen["attempt"].add(e.ident or 0)
        self.decided_at[e.ident or 0] = e.at
        row = self.attempts.get(e.ident or 0)
        if row is not None and self._reused(e, row):
            row = None  # the entry is about a purged attempt whose id SQLite gave again
            self.reused.add(e.ident or 0)
        if row is None:
            self._missing(e, "call_records", e.at, "the attempt (its decision)")
            return
        decision = json_value(row.get("decision")) or {}
        reasons = decision.get("reasons") or []
        self._compare(
            e,
            [
                ("verdict", row.get("verdict"), e.data.get("verdict")),
                ("decision's verdict", decision.get("verdict"), e.data.get("verdict")),
                ("rule-pack version", row.get("rulepack"), e.data.get("rulepack")),
                ("decision's rule-pack version", decision.get("rulepack"), e.data.get("rulepack")),
                ("decision id", decision.get("decision_id"), e.data.get("decision_id")),
                ("request digest", decision.get("input_digest"), e.data.get("input_digest")),
                (
                    "reason codes",
                    [r.get("code") for r in reasons if isinstance(r, Mapping)],
                    list(e.data.get("codes") or []),
                ),
                *_optional(row, "campaign_id", "campaign", e.data.get("campaign")),
                *_optional(row, "contact_id", "contact", e.data.get("contact")),
                *_optional(row, "decision_id", "decision id (column)", e.data.get("decision_id")),
            ],
        )

    def outcome(self, e: _Entry) -> None:
        self.seen["call"].add(e.ident or 0)
        row = self.outcomes.get(e.ident or 0)
        if e.ident in self.reused:
            row = None
        if row is None:
            when = self.decided_at.get(e.ident or 0, e.at)
            self._missing(e, "call_records", when, "the call's outcome")
            return
        self._compare(
            e,
            [("outcome", row.get("outcome"), e.data.get("outcome"))]
            + [
                (flag.replace("_", " "), bool(row[flag]), bool(e.data.get(flag)))
                for flag in ("live_answered", "abandoned", "opted_out")
                if flag in row
            ],
        )

    def consent(self, e: _Entry) -> None:
        ident = e.ident or 0
        self.seen["consent"].add(ident)
        self.consent_seq[ident] = e.seq
        row = self.consents.get(ident)
        if row is None:
            if e.subject_held(self.elsewhere):
                return
            self._missing(e, "revoked_consents", e.at, "the consent")
            return
        self._compare(
            e,
            [
                ("kind", row.get("kind"), e.data.get("kind")),
                ("scope", sorted(row.get("scope") or []), sorted(e.data.get("scope") or [])),
                ("method", row.get("method"), e.data.get("method")),
                (
                    "given at",
                    _instant(row.get("given_at")),
                    _instant(e.data.get("given_at")),
                ),
                (
                    "disclosure SHA-256",
                    row.get("disclosure_sha256"),
                    e.data.get("disclosure_sha256"),
                ),
            ],
        )
        text = row.get("disclosure_text")
        if isinstance(text, str):
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if digest != e.data.get("disclosure_sha256"):
                self._problem(
                    e,
                    "its disclosure text no longer hashes to the SHA-256 recorded in audit "
                    f"entry {e.seq} (the text was changed)",
                    "disclosure text",
                )

    def revoked(self, e: _Entry) -> None:
        row = self.consents.get(e.ident or 0)
        if row is None:
            return  # a deleted consent is named by its consent.recorded entry
        if row.get("revoked_at") is None:
            self._problem(
                e,
                f"shows as in force, but audit entry {e.seq} recorded its revocation "
                f"({e.data.get('channel')}, {e.data.get('revoked_at')}): the revocation "
                "was deleted",
                "revoked at",
            )
            return
        self._compare(
            e,
            [
                (
                    "revoked at",
                    _instant(row.get("revoked_at")),
                    _instant(e.data.get("revoked_at")),
                )
            ],
        )

    def optout(self, e: _Entry) -> None:
        ident = e.ident or 0
        self.seen["dnc"].add(ident)
        row = self.dnc.get(ident)
        if row is None:
            if e.subject_held(self.elsewhere):
                return
            self._missing(e, "dnc_entries", e.at, "the do-not-call entry (the opt-out)")
            return
        if not e.data.get("already_listed"):  # a repeated request keeps the first's channel
            self._compare(e, [("channel", row.get("channel"), e.data.get("channel"))])
        for cid, seq in self.consent_seq.items():
            consent = self.consents.get(cid)
            if seq < e.seq and consent is not None and consent.get("revoked_at") is None:
                self.problems.append(
                    RecordProblem(
                        f"consent:{cid}",
                        f"shows as in force, but the opt-out of audit entry {e.seq} "
                        f"(dnc:{ident}) revoked every consent given before it: the "
                        "revocation was deleted",
                        e.seq,
                        "revoked at",
                        _contact(e),
                    )
                )

    # --- what every handler shares ---------------------------------------------------------

    def _compare(self, e: _Entry, fields: Iterable[tuple[str, Any, Any]]) -> None:
        for name, stored, audited in fields:
            if stored != audited:
                self._problem(
                    e,
                    f"{name} is {_say(stored)} in the store, but {_say(audited)} in audit "
                    f"entry {e.seq} (the row was changed)",
                    name,
                )

    def _reused(self, e: _Entry, row: Mapping[str, Any]) -> bool:
        """An entry about another contact's attempt, older than a purge that deleted
        attempts that old: its id was given again (SQLite reuses a deleted last id)."""
        return (
            "contact_id" in row
            and row["contact_id"] != e.data.get("contact")
            and any(_purged(p, "call_records", e.at) for p in self.purges if p.seq > e.seq)
        )

    def _missing(self, e: _Entry, category: str, when: datetime, what: str) -> None:
        if any(_purged(p, category, when) for p in self.purges if p.seq > e.seq):
            return
        self._problem(
            e,
            f"{what} recorded in audit entry {e.seq} ({e.action}) is no longer in the store, "
            "and no retention purge deleted it (the row was deleted)",
        )

    def _problem(self, e: _Entry, problem: str, field: str | None = None) -> None:
        subject = "call" if e.action == OUTCOME else e.kind
        self.problems.append(
            RecordProblem(f"{subject}:{e.ident}", problem, e.seq, field, _contact(e))
        )

    def unaudited(self) -> list[RecordProblem]:
        """Rule 4: rows no entry speaks of."""
        out: list[RecordProblem] = []
        for kind, rows, action in (
            ("attempt", self.attempts, DECISION),
            ("call", self.outcomes, OUTCOME),
            ("consent", self.consents, CONSENT),
            ("dnc", self.dnc, OPTOUT),
        ):
            for ident in sorted(set(rows) - self.seen[kind]):
                out.append(
                    RecordProblem(
                        f"{kind}:{ident}",
                        f"no {action} entry in the audit trail speaks of this row: it was not "
                        "written by lexdial (added or re-numbered in the database)",
                    )
                )
        return out


_HANDLERS = {
    (DECISION, "attempt"): _Found.decision,
    (OUTCOME, "attempt"): _Found.outcome,
    (CONSENT, "consent"): _Found.consent,
    (REVOKED, "consent"): _Found.revoked,
    (OPTOUT, "dnc"): _Found.optout,
}


def _entries(rows: Iterable[Mapping[str, Any]]) -> list[_Entry]:
    """The entries once each, by seq, their data parsed (an entry whose data no longer
    parses is skipped: the chain's verification names it)."""
    out: dict[int, _Entry] = {}
    for row in rows:
        data = json_value(row.get("data"))
        at = _instant(row.get("at"))
        if not isinstance(data, Mapping) or at is None:
            continue
        kind, _, ident = str(row.get("subject", "")).partition(":")
        out[int(row["seq"])] = _Entry(
            int(row["seq"]),
            at,
            str(row.get("action")),
            kind,
            int(ident) if ident.isdigit() else None,
            data,
        )
    return [out[s] for s in sorted(out)]


#: a retention category (``service.privacy.RETENTION_DAYS``) -> its count in a purge's report
_PURGE_COUNTS = {
    "call_records": "call_attempts",
    "revoked_consents": "revoked_consents",
    "dnc_entries": "dnc_entries",
}


def _purged(purge: _Entry, category: str, when: datetime) -> bool:
    """Whether ``purge`` deleted rows of ``category`` as old as ``when``."""
    deleted = purge.data.get("deleted") or {}
    days = (purge.data.get("retention_days") or {}).get(category)
    count_key = _PURGE_COUNTS[category]
    if not isinstance(days, int | float) or not deleted.get(count_key):
        return False
    return when < purge.at - timedelta(days=days)


def _contact(e: _Entry) -> int | None:
    return contact_named(e.data)


def contact_named(data: Any) -> int | None:
    """The contact id an entry's data names (``contact``), if it names one."""
    named = data.get("contact") if isinstance(data, Mapping) else None
    return named if isinstance(named, int) and not isinstance(named, bool) else None


def _optional(
    row: Mapping[str, Any], column: str, name: str, audited: Any
) -> list[tuple[str, Any, Any]]:
    return [(name, row[column], audited)] if column in row else []


def json_value(value: Any) -> Any:
    """A stored JSON column as read: text is parsed (None if it is not JSON), else as is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _instant(value: Any) -> datetime | None:
    """An instant from a stored datetime (naive: UTC) or ISO text; None when neither."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _say(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return json.dumps(value, default=str)
