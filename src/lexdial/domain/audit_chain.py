"""The audit trail's core: hash-chained entries, canonical JSON, recording and verifying.

Rule 1: ``hash = sha256(prev_hash + canonical JSON of the entry without its hash)``; the
first entry's prev_hash is 64 zeros. Editing any field of any entry, deleting entries or
reordering them breaks a link, and ``verify`` names the first broken seq and why.
Rule 2: the chain proves integrity and order, not that nothing is missing at the end, and
it holds no secret. Dropping the newest entries, or recomputing every hash after an edit,
leaves a chain that verifies. Only a head kept outside the database exposes that: an
``Anchor`` (``seq:hash``) exported by a person, or the signed checkpoints lexdial
publishes itself (``adapters.audit.checkpoint``); pass them to ``verify`` and the log
must still contain each such entry with that hash.
Rule 3: no clock reads (``at`` comes from the caller) and no personal data: subjects are
ids (``contact:42``), and the paths named as personal are masked (``masking``), the entry
listing what it masked.
Rule 4: storage-independent and pure. ``AuditStore`` is the port; ``AuditLog.record`` reads
``last()`` and calls ``append()`` on a store bound to the caller's transaction, so the
entry commits or rolls back with the fact it records. The stores are adapters
(``adapters.audit.sql``; ``adapters.audit.memory``, the fake tests use).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from lexdial.domain.masking import MaskKind, mask
from lexdial.errors import AuditConflictError as AuditConflictError  # its home was here

GENESIS = "0" * 64
_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_SUBJECT = re.compile(r"[a-z][a-z0-9_]*:[A-Za-z0-9._-]+")
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: the largest seq an entry can have (``audit_log.seq`` is an SQL ``integer``)
MAX_SEQ = 2**31 - 1
_ISO_Z = re.compile(r"[0-9T:.+-]+Z")
#: column widths of ``adapters.db.tables.audit_log``
_MAX = {"actor": 100, "action": 60, "subject": 100}

Problem = Literal["edited", "relinked", "deleted", "reordered", "truncated", "rewritten"]


#: ``json.dumps(value, sort_keys=True, ...)`` builds this encoder anew on every call
_ENCODE = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, no NaN: one byte string per JSON value."""
    return _ENCODE(value).encode("utf-8")


def canonical_text(value: Any) -> str:
    """``canonical_json`` as text (what a store keeps in a text column)."""
    return _ENCODE(value)


def iso_z(at: datetime) -> str:
    """An aware instant as ISO 8601 in UTC with ``Z`` (microseconds only when present)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


#: exact types ``plain_json`` passes through as they are (subclasses take the long way)
_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain_json(value: Any, path: str = "data") -> Any:
    """``value`` as plain JSON (dicts with string keys, lists, str, int, float, bool,
    None); datetimes become ``iso_z`` strings and dates ISO dates. Entries hold this
    form, so what a store returns hashes exactly as what was recorded."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is not dict:
        if isinstance(value, str | bool | int | float):
            return value
        if isinstance(value, datetime):
            return iso_z(value)
        if isinstance(value, date):
            return value.isoformat()
    if kind is dict or isinstance(value, Mapping):
        if {*map(type, value)} - {str} and not all(isinstance(k, str) for k in value):
            raise ValueError(f"{path}: audit data keys must be strings")
        return {
            k: v if type(v) in _SCALARS else plain_json(v, f"{path}.{k}") for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            v if type(v) in _SCALARS else plain_json(v, f"{path}.{i}") for i, v in enumerate(value)
        ]
    raise ValueError(f"{path}: {type(value).__name__} is not JSON")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One link of the chain. ``data`` is plain JSON; ``masked`` the paths masked in it."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    data: dict[str, Any]
    masked: tuple[str, ...]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """Every field but ``hash``, as the JSON that is hashed."""
        return {
            "seq": self.seq,
            "at": iso_z(self.at),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "data": self.data,
            "masked": list(self.masked),
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        return hashlib.sha256(
            self.prev_hash.encode("ascii") + canonical_json(self.body())
        ).hexdigest()

    def hash_with(self, data_json: str, at_z: str, actor_json: str | None = None) -> str:
        """``computed_hash`` given ``canonical_text(self.data)``, ``iso_z(self.at)`` and
        (optionally) ``canonical_text(self.actor)``, already made, so a batch serialises
        each entry's data once, for the hash and the row alike (``body_hash``)."""
        e = _ENCODE
        return body_hash(
            self.prev_hash if _HEX64.fullmatch(self.prev_hash) else None,
            f'"{self.action}"' if _ACTION.fullmatch(self.action) else e(self.action),
            actor_json or e(self.actor),
            f'"{at_z}"' if _ISO_Z.fullmatch(at_z) else e(at_z),
            data_json,
            e(list(self.masked)) if self.masked else "[]",
            self.seq,
            f'"{self.subject}"' if _SUBJECT.fullmatch(self.subject) else e(self.subject),
            self.prev_hash,
        )

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON (export, JSON Lines, a store's row)."""
        return {**self.body(), "hash": self.hash}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> AuditEntry:
        """The inverse of ``to_dict``; a store rebuilds entries with it. A naive ``at`` is
        read as UTC: entries are written in UTC and some stores (SQLite) drop the zone."""
        at = raw["at"] if isinstance(raw["at"], datetime) else datetime.fromisoformat(raw["at"])
        return cls(
            seq=int(raw["seq"]),
            at=at if at.tzinfo is not None else at.replace(tzinfo=UTC),
            actor=raw["actor"],
            action=raw["action"],
            subject=raw["subject"],
            data=dict(raw["data"]),
            masked=tuple(raw["masked"]),
            prev_hash=raw["prev_hash"],
            hash=raw["hash"],
        )


def body_hash(
    hex_prev: str | None,
    action_json: str,
    actor_json: str,
    at_json: str,
    data_json: str,
    masked_json: str,
    seq: int,
    subject_json: str,
    prev_hash: str,
) -> str:
    """``AuditEntry.computed_hash`` from its fields' canonical JSON texts: the body's
    canonical JSON is put together around them, its keys in sorted order. The bytes hashed
    are exactly ``prev_hash + canonical_json(body())`` (tested against it).
    ``hex_prev`` is ``prev_hash`` when known to be 64 hex digits (nothing to escape)."""
    prev = f'"{hex_prev}"' if hex_prev is not None else _ENCODE(prev_hash)
    body = (
        f'{prev_hash}{{"action":{action_json},"actor":{actor_json},"at":{at_json},'
        f'"data":{data_json},"masked":{masked_json},"prev_hash":{prev},'
        f'"seq":{int(seq)!r},"subject":{subject_json}}}'
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditItem:
    """One entry to record (``AuditLog.record``'s arguments), for ``record_many``."""

    at: datetime
    actor: str
    action: str
    subject: str
    data: Mapping[str, Any]
    personal: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head exported for later: ``verify`` then proves nothing up to it was lost."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """An exported head, or ValueError saying how one is written: ASCII digits (not
        any Unicode digit ``int`` would read), a seq an entry can have, and seq 0 only as
        the empty trail's head (another hash there was never any trail's head, and would
        pin nothing: it must not read as a verified anchor)."""
        seq, _, digest = text.strip().partition(":")
        if not (seq.isascii() and seq.isdigit() and _HEX64.fullmatch(digest)):
            raise ValueError("an audit anchor is written <seq>:<64 hex digits>")
        if int(seq) > MAX_SEQ:
            raise ValueError(f"an audit anchor's seq is at most {MAX_SEQ}")
        if int(seq) == 0 and digest != GENESIS:
            raise ValueError(f"an audit anchor with seq 0 is the empty trail's: 0:{GENESIS}")
        return cls(int(seq), digest)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What ``verify`` found: the intact head, or the first bad seq and why."""

    count: int  #: entries read that chain correctly (all of them when intact)
    head: Anchor  #: the last entry that chains correctly (seq 0, GENESIS if none)
    bad_seq: int | None = None
    problem: Problem | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None


class AuditStore(Protocol):
    """Where entries live. ``last`` and ``append`` run in the caller's transaction; a
    store refuses (``AuditConflictError``) an entry whose seq and prev_hash do not extend
    its head, so two concurrent appends cannot fork the chain (a SQL store: the primary
    key on seq, or a lock taken in ``last``)."""

    def append(self, entry: AuditEntry, data_json: str | None = None) -> None:
        """Store ``entry`` after the head; ``data_json``, when given, is
        ``canonical_text(entry.data)``, already made."""
        ...

    def append_many(
        self, entries: Sequence[AuditEntry], data_json: Sequence[str] | None = None
    ) -> None:
        """``append`` each of ``entries`` (consecutive, in order) in one go; ``data_json``,
        when given, is ``canonical_text`` of each entry's data, already made."""
        ...

    def iter_entries(self) -> Iterator[AuditEntry]:
        """Every entry in storage order (by seq)."""
        ...

    def last(self) -> AuditEntry | None: ...


class AuditLog:
    """Records entries into one store (for SQL: one per transaction) and verifies it."""

    __slots__ = ("store",)

    def __init__(self, store: AuditStore) -> None:
        self.store = store

    def record(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        data: Mapping[str, Any] | None = None,
        personal: Mapping[str, MaskKind] | Iterable[str] = (),
    ) -> AuditEntry:
        """Append one entry after the store's last; the paths in ``personal`` are masked
        (see ``masking``) and listed in the entry's ``masked``."""
        at_z = iso_z(at)  # refuses a naive time (astimezone would read it as local time)
        _check_fields(actor, action, subject)
        plain = plain_json(dict(data or {}))  # a fresh copy: with nothing to mask, no deep copy
        masked_data, masked = mask(plain, personal) if personal else (plain, ())
        head = self.store.last()
        seq, prev = (1, GENESIS) if head is None else (head.seq + 1, head.hash)
        draft = AuditEntry(
            seq, at.astimezone(UTC), actor, action, subject, masked_data, masked, prev, ""
        )
        # the data is serialised once, for the hash and the stored row alike
        text = _ENCODE(masked_data)
        entry = replace(draft, hash=draft.hash_with(text, at_z))
        self.store.append(entry, text)
        return entry

    def record_many(self, items: Sequence[AuditItem]) -> list[AuditEntry]:
        """``record`` each item in order, reading the head once and writing them together
        (a 100 000-row import audits every consent without 100 000 round trips)."""
        head = self.store.last()
        seq, prev = (1, GENESIS) if head is None else (head.seq + 1, head.hash)
        entries, texts = [], []
        # an import stamps every entry with one instant, one actor and a few actions:
        # their conversions and checks are made once
        times: dict[datetime, tuple[datetime, str]] = {}
        actors: dict[tuple[str, str], tuple[str, str]] = {}
        hex_prev = prev if _HEX64.fullmatch(prev) else None
        for it in items:
            at = times.get(it.at)
            if at is None:
                at = times[it.at] = (it.at.astimezone(UTC), f'"{iso_z(it.at)}"')
            who = actors.get((it.actor, it.action))
            if who is None:
                _check_fields(it.actor, it.action, "a:1")
                who = actors[(it.actor, it.action)] = (_ENCODE(it.actor), f'"{it.action}"')
            if not (0 < len(it.subject) <= _MAX["subject"] and _SUBJECT.fullmatch(it.subject)):
                _check_fields(it.actor, it.action, it.subject)  # raises, naming the problem
            plain = plain_json(it.data)  # a fresh copy: no mask, no deep copy needed
            masked_data, masked = mask(plain, it.personal) if it.personal else (plain, ())
            text = _ENCODE(masked_data)
            digest = body_hash(
                hex_prev, who[1], who[0], at[1], text,
                _ENCODE(list(masked)) if masked else "[]", seq, f'"{it.subject}"', prev,
            )  # fmt: skip
            entries.append(
                AuditEntry(seq, at[0], it.actor, it.action, it.subject, masked_data, masked,
                           prev, digest)
            )  # fmt: skip
            texts.append(text)
            seq, prev = seq + 1, digest
            hex_prev = digest
        if entries:
            self.store.append_many(entries, texts)
        return entries

    def head(self) -> Anchor:
        """The anchor to export now (seq 0 and GENESIS for an empty log)."""
        last = self.store.last()
        return Anchor(0, GENESIS) if last is None else Anchor(last.seq, last.hash)

    def verify(self, *, anchor: Anchor | None = None) -> VerifyResult:
        return verify(self.store, anchor=anchor)


def verify(
    store: AuditStore, *, anchor: Anchor | None = None, anchors: Iterable[Anchor] = ()
) -> VerifyResult:
    """Walk the chain in storage order; the first entry out of place, edited or not
    linked to its predecessor is reported. With ``anchor`` (and every one of ``anchors``,
    e.g. signed checkpoints), the log must still hold that entry with that hash (detects
    truncation and wholesale rewriting)."""
    pins: dict[int, list[Anchor]] = {}
    for pin in (*anchors, *([anchor] if anchor is not None else [])):
        pins.setdefault(pin.seq, []).append(pin)
    entries = store.iter_entries()
    expected, prev = 1, GENESIS
    for entry in entries:
        good = Anchor(expected - 1, prev)
        if entry.seq != expected:
            return _out_of_place(entry.seq, expected, good, entries)
        if entry.computed_hash() != entry.hash:
            detail = f"entry {expected}'s content does not match its hash"
            return VerifyResult(expected - 1, good, expected, "edited", detail)
        if entry.prev_hash != prev:
            detail = f"entry {expected}'s prev_hash is not the hash of entry {expected - 1}"
            return VerifyResult(expected - 1, good, expected, "relinked", detail)
        for pin in pins.get(entry.seq, ()):
            if entry.hash != pin.hash:
                detail = f"entry {expected} is intact but not the entry anchored as {pin}"
                return VerifyResult(expected - 1, good, expected, "rewritten", detail)
        expected, prev = expected + 1, entry.hash
    head = Anchor(expected - 1, prev)
    furthest = max(pins, default=0)
    if furthest > head.seq:
        detail = f"the log ends at entry {head.seq}, but entry {furthest} was anchored"
        return VerifyResult(head.seq, head, head.seq + 1, "truncated", detail)
    return VerifyResult(head.seq, head)


def _out_of_place(
    seq: int, expected: int, good: Anchor, rest: Iterator[AuditEntry]
) -> VerifyResult:
    """Entry ``seq`` stands where ``expected`` belongs: moved if ``expected`` comes later
    (only seq numbers are kept while looking, so memory stays constant), else deleted."""
    if seq > expected and all(e.seq != expected for e in rest):
        detail = f"entry {expected} is missing: entry {expected - 1} is followed by {seq}"
        return VerifyResult(expected - 1, good, expected, "deleted", detail)
    detail = f"entry {seq} stands where entry {expected} belongs"
    return VerifyResult(expected - 1, good, expected, "reordered", detail)


def _check_fields(actor: str, action: str, subject: str) -> None:
    for name, value in (("actor", actor), ("action", action), ("subject", subject)):
        if not value or len(value) > _MAX[name]:
            raise ValueError(f"audit {name} must be 1-{_MAX[name]} characters")
    if not _ACTION.fullmatch(action):
        raise ValueError(f"audit action {action!r} is not dotted lowercase (consent.recorded)")
    if not _SUBJECT.fullmatch(subject):
        # an id, never a number or a name: "contact:42", not "contact:+14105550146"
        raise ValueError("audit subject must be <kind>:<id> (contact:42)")
