"""Do all the store's records still say what the audit trail recorded? (``audit verify``)

Why: the hash chain proves the audit entries were not altered, not the rows they describe,
and an evidence bundle compares the rows of one number only when someone asks for it. A
decision, consent, outcome or opt-out edited in the database for a number nobody exports
would go unnoticed until it is needed in court. So ``audit verify`` applies the bundle's
check (``evidence_records``) to every record of the store:

Rule 1: number by number, every (firm, number blind index) any consent, decision or
do-not-call row is about: its rows against the entries about them (an erased person's rows
are still found: erasure blanks their personal fields, not their keys).
Rule 2: every audited row no longer held anywhere (the number pass cannot see it): named
unless a later retention purge deleted rows of its kind that old.
Each problem names its table, id and field, never a number, name or text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lexdial.service.consent import DISCLOSURE_CTX
from lexdial.service.evidence_records import (
    CONSENT,
    DECISION,
    OPTOUT,
    OUTCOME,
    PURGE_SUBJECT,
    REVOKED,
    RecordProblem,
    check_records,
    contact_named,
    json_value,
)
from lexdial.service.ports import Cipher
from lexdial.service.storage import UnitOfWork

#: numbers read at once, and audit entries read at once in the pass over deleted rows
NUMBERS_PER_READ = 200
ENTRIES_PER_READ = 2000
#: where a record of each kind lives ("call": the outcome of attempt N)
TABLES = {
    "attempt": "call_attempts",
    "call": "call_outcomes",
    "consent": "consents",
    "dnc": "dnc_entries",
}
_AUDITED = (DECISION, OUTCOME, CONSENT, REVOKED, OPTOUT)
#: the subject kind of each group of a number's rows that audit entries name by id
_KEYED = (("consent", "consents"), ("attempt", "attempts"), ("dnc", "dnc"))
#: the subject kind of each audited action's row (``present_ids`` kinds)
_ROW_KIND = {"attempt": "attempt", "consent": "consent", "dnc": "dnc"}

Progress = Callable[[int, int], None]  #: (numbers checked, numbers in all)


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """One record that disagrees with the audit trail, and whose it is."""

    firm_id: int | None  #: None: a deleted row whose entry names no contact still held
    problem: RecordProblem

    @property
    def table(self) -> str:
        kind = self.problem.record.partition(":")[0]
        if kind == "consent" and self.problem.field == "revoked at":
            return "revocations"
        return TABLES.get(kind, kind)

    def to_json(self) -> dict[str, Any]:
        ident = self.problem.record.partition(":")[2]
        return {
            "firm_id": self.firm_id,
            "table": self.table,
            "id": int(ident) if ident.isdigit() else ident,
            **self.problem.to_json(),
        }


@dataclass(frozen=True, slots=True)
class RecordsCheck:
    """What comparing every record with the audit trail found."""

    numbers: int  #: numbers whose rows (of every firm) were compared
    problems: tuple[StoreProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


#: before anything was compared
NOTHING_CHECKED = RecordsCheck(0, ())


def check_store(uow: UnitOfWork, cipher: Cipher, progress: Progress | None = None) -> RecordsCheck:
    """Every disagreement between the store's records and the audit trail (rule 1 number
    by number, then rule 2); ``progress`` is told how far the number pass is."""
    reports = uow.reports
    purges = reports.audit_entries_about([PURGE_SUBJECT])
    total = reports.count_record_numbers()
    problems: list[StoreProblem] = []
    done, after = 0, None
    while True:
        numbers = reports.record_numbers(after, NUMBERS_PER_READ)
        if not numbers:
            break
        problems += _numbers_checked(uow, cipher, numbers, purges)
        done += len(numbers)
        after = numbers[-1]
        if progress is not None:
            progress(done, total)
    problems += _deleted_rows(uow, purges)
    return RecordsCheck(done, tuple(problems))


def _numbers_checked(
    uow: UnitOfWork,
    cipher: Cipher,
    numbers: list[str],
    purges: list[dict[str, Any]],
) -> list[StoreProblem]:
    """Rule 1 for some numbers: each (firm, number)'s rows against the entries about them
    (two firms' rows for the same number are two numbers: a consent binds its own firm)."""
    reports = uow.reports
    found = reports.records_of_numbers(numbers)
    rows: dict[tuple[int, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"consents": [], "attempts": [], "outcomes": [], "dnc": []}
    )
    for name, kept in (
        ("consents", found.consents),
        ("attempts", found.attempts),
        ("outcomes", found.outcomes),
        ("dnc", found.dnc),
    ):
        for row in kept:
            rows[(int(row["firm_id"]), str(row["number_bidx"]))][name].append(row)
    subjects = [
        f"{kind}:{row['id']}"
        for group in rows.values()
        for kind, name in _KEYED
        for row in group[name]
    ]
    about: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in range(0, len(subjects), 500):
        for entry in reports.audit_entries_about(subjects[i : i + 500]):
            about[str(entry["subject"])].append(entry)
    out: list[StoreProblem] = []
    for (firm_id, _), group in sorted(rows.items()):
        entries = [
            entry
            for kind, name in _KEYED
            for row in group[name]
            for entry in about.get(f"{kind}:{row['id']}", [])
        ]
        found_here = check_records(
            consents=[_consent(cipher, c) for c in group["consents"]],
            attempts=group["attempts"],
            outcomes=group["outcomes"],
            dnc=group["dnc"],
            entries=[*entries, *purges],
        )
        out += [StoreProblem(firm_id, p) for p in found_here]
    return out


def _consent(cipher: Cipher, row: Mapping[str, Any]) -> dict[str, Any]:
    """A consent row as the bundle shows it: its disclosure text decrypted (erased: None)."""
    token = row.get("disclosure_text_enc")
    text = cipher.decrypt(token, context=DISCLOSURE_CTX) if token else None
    return {**row, "disclosure_text": text}


def _deleted_rows(uow: UnitOfWork, purges: list[dict[str, Any]]) -> list[StoreProblem]:
    """Rule 2: the audited rows no longer held anywhere, read a page of entries at a time;
    each such row is checked once, with every entry about it, at its first entry."""
    reports = uow.reports
    out: list[StoreProblem] = []
    after = 0
    while True:
        page = reports.audit_entries_of(_AUDITED, after, ENTRIES_PER_READ)
        if not page:
            break
        first = int(page[0]["seq"])
        after = int(page[-1]["seq"])
        gone = _subjects_gone(uow, (str(e["subject"]) for e in page))
        if gone:
            entries = [
                e for e in reports.audit_entries_about(sorted(gone)) if e["action"] in _AUDITED
            ]
            starts: dict[str, int] = {}
            for e in entries:
                starts.setdefault(str(e["subject"]), int(e["seq"]))
            # a row whose first entry is on an earlier page was checked with that page
            mine = [e for e in entries if first <= starts[str(e["subject"])] <= after]
            found = check_records(
                consents=[], attempts=[], outcomes=[], dnc=[], entries=[*mine, *purges]
            )
            out += _owned(uow, found, mine)
    return out


def _subjects_gone(uow: UnitOfWork, subjects: Iterable[str]) -> set[str]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for subject in subjects:
        kind, _, ident = subject.partition(":")
        if kind in _ROW_KIND and ident.isdigit():
            wanted[kind].add(int(ident))
    gone: set[str] = set()
    for kind, ids in wanted.items():
        held = uow.reports.present_ids(_ROW_KIND[kind], ids)
        gone.update(f"{kind}:{i}" for i in ids - held)
    return gone


def _owned(
    uow: UnitOfWork, problems: list[RecordProblem], entries: list[dict[str, Any]]
) -> list[StoreProblem]:
    """A deleted row's firm: that of the contact its entries name (a call's outcome names
    none: its decision does)."""
    named: dict[str, int] = {}
    for e in entries:
        contact = contact_named(json_value(e.get("data")))
        if contact is not None:
            named.setdefault(str(e["subject"]), contact)
    contacts = {
        p.record: p.contact if p.contact is not None else named.get(_subject(p.record))
        for p in problems
    }
    firms = uow.reports.contact_firms(c for c in contacts.values() if c is not None)
    return [StoreProblem(firms.get(contacts[p.record] or 0), p) for p in problems]


def _subject(record: str) -> str:
    """The audit subject of a problem's record ("call:5" is attempt 5's outcome)."""
    kind, _, ident = record.partition(":")
    return f"attempt:{ident}" if kind == "call" else record
