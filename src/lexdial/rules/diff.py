"""What changed between two rule packs: added, removed and changed rules, field by field.

Firms must "regularly review and update their practices": this is the review's input.
"""

from __future__ import annotations

from typing import Any

from lexdial.rules.model import RulePack


def diff_packs(old: RulePack, new: RulePack) -> dict[str, Any]:
    """A JSON-ready description of the changes from ``old`` to ``new``."""
    a, b = old.by_id(), new.by_id()
    changed = []
    for rid in sorted(set(a) & set(b)):
        before, after = a[rid].comparable(), b[rid].comparable()
        fields = {k: {"old": before[k], "new": after[k]} for k in before if before[k] != after[k]}
        if fields:
            changed.append({"id": rid, "changes": fields})
    return {
        "old_version": old.version,
        "new_version": new.version,
        "added": [{"id": rid, **b[rid].comparable()} for rid in sorted(set(b) - set(a))],
        "removed": [{"id": rid, **a[rid].comparable()} for rid in sorted(set(a) - set(b))],
        "changed": changed,
    }
