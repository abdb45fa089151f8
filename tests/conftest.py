"""Shared test helpers: a default engine and a request builder.

``req(**facts)`` gives a JSON-shaped request with protective, complete defaults for a
lawful informational call (a manual reminder to a client on a landline in Ohio, inside
hours), so each test row states only the facts it is about.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from lexdial.adapters.geodata import load_geography
from lexdial.adapters.rulepack import load_pack
from lexdial.api import decide as api_decide
from lexdial.domain.decision import Decision
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine

FIRM = "Hartwell & Ruiz LLP"

BASE: dict[str, Any] = {
    "at": "2026-12-02T16:00:00Z",  # Wed 11:00 in New York
    "number": "+1 614 555 0101",  # Columbus, Ohio (Eastern)
    "line_type": "landline",
    "address": {"country": "US", "state": "OH", "time_zone": "America/New_York"},
    "purpose": "reminder",
    "technology": "manual",
    "relationship": {"type": "current_client"},
    "consents": [],
    "suppression": {
        "national_dnc": False,
        "state_dnc": False,
        "internal_dnc": False,
        "registry_synced_on": "2026-11-25",
    },
    "history": [],
    "firm": {"name": FIRM},
}


def build(**facts: Any) -> dict[str, Any]:
    """BASE with top-level facts replaced; a value of None removes the key."""
    out = copy.deepcopy(BASE)
    for key, value in facts.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def pewc(**over: Any) -> dict[str, Any]:
    """A prior express written consent to marketing by any technology, naming the firm."""
    c: dict[str, Any] = {
        "id": "c-pewc",
        "kind": "express_written",
        "given_at": "2026-06-01T12:00:00Z",
        "scope": ["marketing"],
        "seller": FIRM,
    }
    c.update(over)
    return c


def pec(scope: list[str] | None = None, **over: Any) -> dict[str, Any]:
    """A prior express (oral) consent for informational purposes, naming the firm."""
    c: dict[str, Any] = {
        "id": "c-pec",
        "kind": "express",
        "given_at": "2026-06-01T12:00:00Z",
        "scope": scope
        or ["reminder", "notification", "informational", "debt_collection", "callback"],
        "seller": FIRM,
    }
    c.update(over)
    return c


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine(pack=load_pack(), geo=load_geography(), policy=Policy())


@pytest.fixture(scope="session")
def decide(engine: Engine) -> Callable[[dict[str, Any]], Decision]:
    def run(request: dict[str, Any]) -> Decision:
        return api_decide(request, engine=engine)

    return run


def codes(decision: Decision) -> set[str]:
    return set(decision.codes)


def iso(decision: Decision) -> str | None:
    value = decision.to_json()["earliest_allowed_at"]
    return value if value is None else str(value)
