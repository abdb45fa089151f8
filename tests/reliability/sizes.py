"""How big each harness runs, and the figures it reports.

Short (CI): a few kills and a few hundred fuzz cases, seconds to a minute or two in all.
Long (``LEXDIAL_RELIABILITY=long``, ``scripts/reliability.sh --long``): the same code
with many more kills and cases.
"""

from __future__ import annotations

import os
from collections import Counter

LONG = os.environ.get("LEXDIAL_RELIABILITY", "").lower() == "long"


def _size(name: str, long: int, short: int) -> int:
    """``LEXDIAL_RELIABILITY_<NAME>`` overrides one size (e.g. KILLS=10 for a medium run)."""
    return int(os.environ.get(f"LEXDIAL_RELIABILITY_{name}", long if LONG else short))


#: SIGKILLs per scenario and backend
KILLS = _size("KILLS", 25, 3)
#: hypothesis examples per CLI reader that needs no store (decide, settings)
CLI_CASES = _size("CLI_CASES", 1500, 60)
#: hypothesis examples per command that opens the store (import, campaign, arguments)
STORE_CASES = _size("STORE_CASES", 500, 12)
#: schemathesis examples per API operation and role
API_CASES = _size("API_CASES", 60, 5)
#: contacts in the killed campaign / rows in the killed import
CAMPAIGN_CONTACTS = _size("CAMPAIGN_CONTACTS", 60, 16)
IMPORT_ROWS = _size("IMPORT_ROWS", 3000, 100)
#: numbers in the registry file loaded while being killed
REGISTRY_NUMBERS = _size("REGISTRY_NUMBERS", 2_000_000, 50_000)

#: what the harnesses did in this run: name -> count
FIGURES: Counter[str] = Counter()


def add(name: str, count: int = 1) -> None:
    FIGURES[name] += count
