"""Hypothesis strategies for hostile input: JSON values, strings an attacker or a bad
export would send, CSV files and TOML settings files."""

from __future__ import annotations

import copy
import csv
import io
import json
from typing import Any

from hypothesis import strategies as st

#: strings that have broken parsers, spreadsheets and terminals before
NASTY = [
    "", " ", "\x00", "\ud800", "\udfff", "\ufeff", "\u202e", "\r\n", "\n", "\\", '"', "'",
    "=HYPERLINK(\"http://x\")", "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1", "-1", "0", "-0",
    "9" * 400, "1e309", "NaN", "Infinity", "null", "true", "[]", "{}", "٠١٢٣٤٥٦٧٨٩",
    "+1 614 555 0101", "+1 614 555 01011", "+44 20 7946 0000", "2026-02-30", "2026-12-02",
    "2026-12-02T25:00:00Z", "2026-12-02T16:00:00", "2026-12-02T16:00:00Z", "9999-12-31",
    "0000-01-01", "US", "XX", "OH", "reminder", "marketing", "wireless", "<script>", "%s%n",
    "../../etc/passwd", "A" * 5000, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "Zoë O'Brien-Łukasz",
]  # fmt: skip

nasty_text = st.sampled_from(NASTY) | st.text(max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | nasty_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4),
    max_leaves=12,
)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON document (objects and arrays)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """A valid document with one to three hostile edits: a value replaced, a key removed,
    an unknown key added."""
    doc: Any = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(doc)))
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if not path:
            if action == "replace":
                doc = draw(json_values)
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(nasty_text)] = draw(json_values)
    return doc


def json_bytes(doc: Any) -> bytes:
    """As written by a careless program: lone surrogates go out as they are."""
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def csv_files(draw: st.DrawFn, fields: list[str], good_row: dict[str, str]) -> bytes:
    """A CSV with a header made of known fields (some renamed, dropped or repeated) and
    rows mixing good cells with hostile ones and with wrong lengths."""
    header = draw(st.lists(st.sampled_from(fields) | nasty_text, min_size=1, max_size=16))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = [
            good_row.get(name, "") if draw(st.booleans()) else draw(nasty_text) for name in header
        ]
        cut = draw(st.integers(-2, 2))
        rows.append(row[:cut] if cut < 0 else row + [draw(nasty_text) for _ in range(cut)])
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    text = buf.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


SECTIONS = {
    "policy": ["default_region", "all_calls_window", "dialer_rules_all_purposes",
               "require_reassigned_check", "require_ai_disclosure"],
    "rules": ["pack_dir"],
    "firm": ["name"],
    "store": ["data_dir"],
    "retention": ["call_records", "dnc_entries", "consents", "audit"],
    "telephony": ["carrier", "trunk", "channels", "cps", "webhook_base_url"],
}  # fmt: skip
toml_scalars = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([s for s in NASTY if "\ud800" not in s and "\udfff" not in s])
    | st.sampled_from(["08:00", "21:00", "25:99", "8:00", "simulated", "sip", "twilio",
                       "127.0.0.1:5070", "https://x.test", "Hartwell & Ruiz LLP"])
)  # fmt: skip
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "name", "x"]), inner, max_size=2)
    ),
    max_leaves=6,
)


@st.composite
def settings_files(draw: st.DrawFn) -> str:
    """A TOML settings file: known sections and keys with hostile values, unknown keys,
    and sections that are not tables at all."""
    lines = []
    for section in draw(st.lists(st.sampled_from([*SECTIONS, "bogus"]), unique=True)):
        if draw(st.integers(0, 9)) == 0:  # `firm = 5`: a section that is not a table
            lines.insert(0, f"{section} = {toml_value(draw(toml_values))}")
            continue
        lines.append(f"[{section}]")
        keys = [*SECTIONS.get(section, []), "unknown_key"]
        for key in draw(st.lists(st.sampled_from(keys), unique=True, max_size=4)):
            lines.append(f"{key} = {toml_value(draw(toml_values))}")
    return "\n".join(lines) + "\n"
