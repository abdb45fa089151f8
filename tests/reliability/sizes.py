"""How big each harness runs, and the figures it reports.

Short (CI): a few kills and a few hundred fuzz cases, seconds to a minute or two in all.
Long (``LEXDIAL_RELIABILITY=long``, ``scripts/reliability.sh --long``): the same code
with many more kills and cases.
"""

from __future__ import annotations

import os
from collections import Counter

LONG = os.environ.get("LEXDIAL_RELIABILITY", "").lower() == "long"

#: SIGKILLs per scenario and backend
KILLS = 25 if LONG else 3
#: hypothesis examples per CLI reader that needs no store (decide, settings)
CLI_CASES = 1500 if LONG else 60
#: hypothesis examples per command that opens the store (import, campaign, arguments)
STORE_CASES = 500 if LONG else 12
#: schemathesis examples per API operation and role
API_CASES = 60 if LONG else 5
#: contacts in the killed campaign / rows in the killed import
CAMPAIGN_CONTACTS = 60 if LONG else 16
IMPORT_ROWS = 3000 if LONG else 150
#: numbers in the registry file loaded while being killed
REGISTRY_NUMBERS = 2_000_000 if LONG else 100_000

#: what the harnesses did in this run: name -> count
FIGURES: Counter[str] = Counter()


def add(name: str, count: int = 1) -> None:
    FIGURES[name] += count
