"""Build the ``Geography`` reference data from kept datasets.

Area-code zones: phonenumbers gives a single zone for some area codes that span two
(850 -> Eastern only, though the panhandle west of the Apalachicola is Central). The
``zipcodes`` package lists each ZIP's area codes and zone; the zones of the ZIPs in the
area code's home state complete the set. ZIPs of *neighbouring* states that list the code
are dataset noise (a Georgia ZIP listing 850) and are left out: a US area code lies in one
state. Country zones come from tzdata's zone.tab.
"""

from __future__ import annotations

import collections
from functools import cache
from importlib import resources
from typing import Any

import zipcodes

from lexdial.domain.zones import is_zone
from lexdial.rules.timezones import Geography

US_STATE_NAMES = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Washington D.C.": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington State": "WA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
}


@cache
def load_geography() -> Geography:
    """Read the datasets once per process (about a second: 42 000 ZIP records)."""
    area_zone_counts: dict[str, collections.Counter[tuple[str, str]]] = collections.defaultdict(
        collections.Counter
    )
    zips: dict[str, tuple[str, str]] = {}
    records: list[dict[str, Any]] = zipcodes.list_all()  # type: ignore[no-untyped-call]
    for rec in records:
        state = rec.get("state") or ""
        zone = rec.get("timezone") or ""
        if not is_zone(zone):
            continue
        zips[rec["zip_code"]] = (state, zone)
        for code in rec.get("area_codes") or ():
            area_zone_counts[code][(state, zone)] += 1
    area_states: dict[str, str] = {}
    area_zones: dict[str, tuple[str, ...]] = {}
    for code, counts in area_zone_counts.items():
        by_state: collections.Counter[str] = collections.Counter()
        for (state, _zone), n in counts.items():
            by_state[state] += n
        home = by_state.most_common(1)[0][0]
        area_states[code] = home
        area_zones[code] = tuple(sorted({z for (s, z) in counts if s == home}))
    return Geography(
        area_zones=area_zones,
        area_states=area_states,
        zips=zips,
        country_zones=_country_zones(),
        state_codes=dict(US_STATE_NAMES),
    )


def _country_zones() -> dict[str, tuple[str, ...]]:
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    out: dict[str, list[str]] = collections.defaultdict(list)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3 and is_zone(parts[2]):
            out[parts[0]].append(parts[2])
    return {k: tuple(sorted(v)) for k, v in out.items()}
