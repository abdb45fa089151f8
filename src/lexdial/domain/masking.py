"""Masking personal data before it enters the audit trail, and recording what was masked.

Rule 1: the trail is append-only and hash-chained, so personal data written into it could
never be erased (GDPR Art. 17, a client's deletion request) without breaking the chain.
Entries hold ids and masked forms only: enough for a reader to recognise the record
(``+1410•••••46``, ``M. R.``), useless for calling or identifying anyone.
Rule 2: masking is explicit and protective. The caller names the paths that hold personal
data; a named path missing from the data is an error (a misspelt path must not let a
number through), and a value whose shape does not fit its kind is redacted entirely.

A path is dotted: ``contact.number``, ``numbers.0`` (a list index) or ``numbers.*`` (every
item of a list or every value of a mapping). Kinds, and what each keeps:

    number   "+" and the first 4 digits (3 without "+"), the last 2; at least 5 hidden
    name     initials ("Maria del Carmen Ruiz" -> "M. D. C. R.")
    email    first letter and top-level domain ("m•••@•••.com")
    address  nothing; text  nothing
    auto     (a bare path) a number's mask if the value reads as a number, else nothing
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

MASK = "•••"
MaskKind = Literal["auto", "number", "name", "email", "address", "text"]
KINDS: frozenset[str] = frozenset({"auto", "number", "name", "email", "address", "text"})
_NUMBERISH = re.compile(r"\+?[\d\s().\-/\u00a0]+")
_MIN_HIDDEN = 5

_Slot = tuple[Any, Any, str]  # (container, key or index, concrete path)


def mask(
    data: Mapping[str, Any], personal: Mapping[str, MaskKind] | Iterable[str] = ()
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A masked deep copy of ``data`` and the sorted concrete paths that were masked.

    ``personal`` is paths (kind ``auto``) or a mapping of path to kind. A value that is
    ``None`` holds nothing personal: it stays and its path is not recorded.
    """
    kinds: Mapping[str, str] = (
        personal if isinstance(personal, Mapping) else dict.fromkeys(personal, "auto")
    )
    out = copy.deepcopy(dict(data))
    done: set[str] = set()
    for pattern, kind in kinds.items():
        if kind not in KINDS:
            raise ValueError(f"mask kind {kind!r} for {pattern!r} is not one of {sorted(KINDS)}")
        if not pattern or any(not part for part in pattern.split(".")):
            raise ValueError(f"personal path {pattern!r} is not a dotted path")
        for container, key, path in _slots(out, pattern.split("."), ""):
            value = container[key]
            if value is not None and path not in done:
                container[key] = mask_value(value, kind)
                done.add(path)
    return out, tuple(sorted(done))


def mask_value(value: object, kind: str) -> str:
    """The masked form of one value of the given kind."""
    if not isinstance(value, str):
        return MASK
    if kind in ("auto", "number"):
        return _number(value)
    if kind == "name":
        letters = [word[0].upper() + "." for word in value.split() if word[0].isalpha()]
        return " ".join(letters) or MASK
    if kind == "email":
        local, at, domain = value.strip().rpartition("@")
        if not (at and local and "." in domain):
            return MASK
        return f"{local[0]}{MASK}@{MASK}.{domain.rsplit('.', 1)[1]}"
    return MASK


def _number(value: str) -> str:
    text = value.strip()
    digits = [c for c in text if c.isdigit()]
    if not (_NUMBERISH.fullmatch(text) and 7 <= len(digits) <= 15):
        return MASK
    plus = text.startswith("+")
    head = max(0, min(4 if plus else 3, len(digits) - 2 - _MIN_HIDDEN))
    hidden = len(digits) - head - 2
    return ("+" if plus else "") + "".join(digits[:head]) + "•" * hidden + "".join(digits[-2:])


def _slots(node: Any, parts: list[str], prefix: str) -> list[_Slot]:
    """Every (container, key, path) the path parts name below ``node``."""
    head, rest = parts[0], parts[1:]
    keys: list[Any]
    if head == "*":
        if not isinstance(node, dict | list):
            raise ValueError(f"personal path {prefix}.* is not over a list or mapping")
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    elif isinstance(node, dict) and head in node:
        keys = [head]
    elif isinstance(node, list) and head.isdigit() and int(head) < len(node):
        keys = [int(head)]
    else:
        raise ValueError(f"personal path {(prefix + '.' if prefix else '') + head} is not in data")
    found: list[_Slot] = []
    for key in keys:
        path = f"{prefix}.{key}" if prefix else str(key)
        if not rest:
            found.append((node, key, path))
        elif node[key] is not None:
            found += _slots(node[key], rest, path)
    return found
