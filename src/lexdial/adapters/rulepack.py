"""Load a rule pack from YAML files (the bundled one, or a directory a firm reviews).

Layout: ``pack.yaml`` (version, released_on) and any number of ``*.yaml`` files, each a
mapping with ``defaults`` (optional) and ``rules``. Every rule is checked here: unknown
keys, unknown kinds or codes, bad dates and bad params are a ``RulePackError`` naming the
file and rule id, so a broken pack never reaches the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from lexdial.domain.decision import LINE_TYPES, PURPOSES, SUBSCRIBERS, TECHNOLOGIES
from lexdial.errors import RulePackError
from lexdial.rules.checks import KINDS
from lexdial.rules.codes import CODES
from lexdial.rules.model import Rule, RulePack

_RULE_KEYS = frozenset(
    {
        "id",
        "kind",
        "code",
        "jurisdiction",
        "summary",
        "citation",
        "effective_from",
        "effective_to",
        "purposes",
        "technologies",
        "line_types",
        "subscribers",
        "params",
        "note",
        "tag",
    }
)
_SETS = {
    "purposes": PURPOSES,
    "technologies": TECHNOLOGIES,
    "line_types": LINE_TYPES,
    "subscribers": SUBSCRIBERS,
}
#: named groups usable in filters, so the pack reads like the catalogue
GROUPS = {
    "automated": ["autodialed", "prerecorded", "artificial_voice", "interactive_voice"],
    "recorded_voice": ["prerecorded", "artificial_voice", "interactive_voice"],
    "live": ["manual", "autodialed", "interactive_voice"],
    "non_marketing": ["reminder", "notification", "informational", "debt_collection", "callback"],
    "all": [],
}


#: libyaml's scanner and parser when PyYAML was built with it (the constructor, which turns
#: scalars into dates and numbers, is the same Python code): the bundled pack reads in about
#: 20 ms instead of 200 ms, on every start. A test checks that both loaders
#: read the bundled pack identically (tests/unit/test_rule_pack_yaml.py).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def bundled_pack_dir() -> Traversable:
    return resources.files("lexdial").joinpath("rules", "pack")


def load_pack(directory: Path | Traversable | None = None) -> RulePack:
    """Read and validate every YAML file of a pack directory (bundled when None)."""
    root = directory if directory is not None else bundled_pack_dir()
    files = sorted(_yaml_files(root), key=lambda f: (f[0] != "pack.yaml", f[0]))
    if not files or files[0][0] != "pack.yaml":
        raise RulePackError(f"{root}: no pack.yaml (version) found")
    meta = _load(files[0][1], "pack.yaml")
    version = str(meta.get("version") or "")
    if not version:
        raise RulePackError("pack.yaml: 'version' is required")
    order = [str(x) for x in meta.get("order") or []]

    def rank(name: str) -> tuple[int, str]:
        for i, prefix in enumerate(order):
            if name == prefix or (prefix.endswith("/") and name.startswith(prefix)):
                return i, name
        return len(order), name

    files = files[:1] + sorted(files[1:], key=lambda f: rank(f[0]))
    rules: list[Rule] = []
    seen: set[str] = set()
    for name, node in files[1:]:
        doc = _load(node, name)
        defaults = doc.get("defaults") or {}
        for i, raw in enumerate(doc.get("rules") or []):
            rule = _rule({**defaults, **raw}, f"{name} rule #{i + 1}", name)
            if rule.id in seen:
                raise RulePackError(f"{name}: duplicate rule id {rule.id}")
            seen.add(rule.id)
            rules.append(rule)
    released = meta.get("released_on")
    return RulePack(
        version=version,
        rules=tuple(rules),
        released_on=released if isinstance(released, date) else None,
    )


def load_retention_minimums(directory: Path | Traversable | None = None) -> dict[str, Minimum]:
    """``retention_minimums`` of the pack's ``pack.yaml``: category -> (days, citation)."""
    root = directory if directory is not None else bundled_pack_dir()
    meta = _load(root.joinpath("pack.yaml"), "pack.yaml")
    out: dict[str, Minimum] = {}
    for category, raw in (meta.get("retention_minimums") or {}).items():
        days = raw.get("days") if isinstance(raw, dict) else None
        citation = raw.get("citation") if isinstance(raw, dict) else None
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise RulePackError(f"pack.yaml: retention_minimums.{category}.days must be >= 1")
        if not isinstance(citation, str) or not citation.strip():
            raise RulePackError(f"pack.yaml: retention_minimums.{category} needs a citation")
        out[str(category)] = Minimum(days, citation)
    return out


@dataclass(frozen=True, slots=True)
class Minimum:
    """A legal floor on how long a category of records is kept."""

    days: int
    citation: str


def _yaml_files(root: Path | Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    out: list[tuple[str, Traversable]] = []
    for child in root.iterdir():
        name = f"{prefix}{child.name}"
        if child.is_dir():
            out.extend(_yaml_files(child, f"{name}/"))
        elif child.name.endswith((".yaml", ".yml")):
            out.append((name, child))
    return out


def _load(node: Traversable, name: str) -> dict[str, Any]:
    try:
        data = yaml.load(node.read_text("utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise RulePackError(f"{name}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise RulePackError(f"{name}: must be a mapping")
    return data


def _rule(raw: dict[str, Any], where: str, source: str) -> Rule:
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RulePackError(f"{where}: unknown keys {sorted(unknown)}")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise RulePackError(f"{where}: 'id' is required")
    where = f"{source}: {rid}"
    for key in ("kind", "code", "jurisdiction", "summary", "citation", "effective_from"):
        if not raw.get(key):
            raise RulePackError(f"{where}: '{key}' is required")
    if raw["kind"] not in KINDS:
        raise RulePackError(f"{where}: unknown kind {raw['kind']!r}")
    if raw["code"] not in CODES:
        raise RulePackError(f"{where}: unknown reason code {raw['code']!r}")
    start, end = raw["effective_from"], raw.get("effective_to")
    if not isinstance(start, date) or (end is not None and not isinstance(end, date)):
        raise RulePackError(f"{where}: effective dates must be YYYY-MM-DD")
    if end is not None and end < start:
        raise RulePackError(f"{where}: effective_to is before effective_from")
    filters = {key: _filter(raw.get(key), key, where) for key in _SETS}
    params = raw.get("params") or {}
    jurisdiction = str(raw["jurisdiction"])
    subdiv = jurisdiction[3:] if jurisdiction.startswith("US-") else None
    try:
        prepared = KINDS[raw["kind"]][1](params, subdiv)
    except (KeyError, ValueError, TypeError) as exc:
        raise RulePackError(f"{where}: bad params ({exc!r})") from None
    return Rule(
        id=rid,
        kind=raw["kind"],
        code=raw["code"],
        jurisdiction=jurisdiction,
        summary=str(raw["summary"]).strip(),
        citation=str(raw["citation"]).strip(),
        effective_from=start,
        effective_to=end,
        params=params,
        prepared=prepared,
        note=str(raw.get("note") or "").strip(),
        tag=str(raw.get("tag") or ""),
        source_file=source,
        **filters,
    )


def _filter(value: Any, key: str, where: str) -> frozenset[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise RulePackError(f"{where}: '{key}' must be a list")
    out: set[str] = set()
    for item in items:
        if item == "all":
            return None
        if item in GROUPS:
            out.update(GROUPS[item])
        elif item in _SETS[key]:
            out.add(item)
        else:
            raise RulePackError(f"{where}: '{key}' has unknown value {item!r}")
    return frozenset(out)
