"""Build lexdial's geography file from the ``zipcodes`` dataset (a build step, not a start).

Reading the dataset's 42 000 ZIP records takes seconds, so it is done once, by
``scripts/build_geography.py``, and the result ships as ``adapters/geography.json``;
every command then reads that compact file (``geodata.load_geography``). A test checks
that the shipped file is exactly what this module builds from the installed dataset, and
that both give the same answer for every ZIP and area code.

Area-code zones: phonenumbers gives a single zone for some area codes that span two
(850 -> Eastern only, though the panhandle west of the Apalachicola is Central). The
dataset lists each ZIP's area codes and zone; the zones of the ZIPs in the area code's
home state complete the set. ZIPs of *neighbouring* states that list the code are dataset
noise (a Georgia ZIP listing 850) and are left out: a US area code lies in one state.
"""

from __future__ import annotations

import collections
import importlib.metadata
import json
from typing import Any

from lexdial.adapters.geodata import FORMAT, US_STATE_NAMES, country_zones
from lexdial.domain.zones import is_zone
from lexdial.rules.timezones import Geography

#: the dataset the file is built from (a pip distribution, so its version is known)
DATASET = "zipcodes"


class UsGeography:
    """The US part of ``Geography`` as the dataset gives it (before any encoding)."""

    __slots__ = ("area_states", "area_zones", "zips")

    def __init__(
        self,
        zips: dict[str, tuple[str, str]],
        area_states: dict[str, str],
        area_zones: dict[str, tuple[str, ...]],
    ) -> None:
        self.zips = zips
        self.area_states = area_states
        self.area_zones = area_zones


def from_dataset() -> UsGeography:
    """ZIPs and area codes read from the installed ``zipcodes`` dataset (seconds)."""
    import zipcodes

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
    return UsGeography(zips=zips, area_states=area_states, area_zones=area_zones)


def geography_from_dataset() -> Geography:
    """The whole ``Geography`` straight from the dataset: the path every start used to take."""
    us = from_dataset()
    return Geography(
        area_zones=us.area_zones,
        area_states=us.area_states,
        zips=us.zips,
        country_zones=country_zones(),
        state_codes=dict(US_STATE_NAMES),
    )


def encode(us: UsGeography, dataset_version: str) -> str:
    """The file's text: deterministic (sorted), one JSON object, a few hundred kB.

    ZIPs are one string of sorted 5-digit codes; their (state, zone) pairs are runs over
    that order (ZIPs are numbered by region, so 42 000 ZIPs make a few hundred runs).
    """
    codes = sorted(us.zips)
    places = sorted(set(us.zips.values()))
    index = {p: i for i, p in enumerate(places)}
    runs: list[list[int]] = []
    for code in codes:
        i = index[us.zips[code]]
        if runs and runs[-1][0] == i:
            runs[-1][1] += 1
        else:
            runs.append([i, 1])
    doc = {
        "format": FORMAT,
        "source": {"dataset": DATASET, "version": dataset_version},
        "places": [list(p) for p in places],
        "zips": "".join(codes),
        "runs": runs,
        "area_codes": {
            c: [us.area_states[c], list(us.area_zones[c])] for c in sorted(us.area_states)
        },
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"


def build_text() -> str:
    """What ``scripts/build_geography.py`` writes, from the installed dataset."""
    return encode(from_dataset(), importlib.metadata.version(DATASET))
