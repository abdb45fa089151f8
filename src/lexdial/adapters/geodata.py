"""Load the ``Geography`` reference data: the shipped geography file and tzdata.

US ZIPs and area codes come from ``adapters/geography.json``, built from the ``zipcodes``
dataset by ``scripts/build_geography.py`` (see ``geodata_build``) and versioned: it names
its format and the dataset version it was built from. Reading it takes milliseconds where
reading the dataset took seconds on every start. Country zones come from tzdata's zone.tab.
"""

from __future__ import annotations

import collections
import json
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from itertools import accumulate

from lexdial.domain.zones import is_zone
from lexdial.errors import ConfigError
from lexdial.rules.timezones import Geography

#: the file's format; a loader refuses any other (a change of layout bumps it)
FORMAT = "lexdial-geography/1"
GEOGRAPHY_FILE = "geography.json"

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
    """Read the shipped geography file once per process (milliseconds)."""
    text = resources.files("lexdial.adapters").joinpath(GEOGRAPHY_FILE).read_text("utf-8")
    doc = json.loads(text)
    if doc.get("format") != FORMAT:
        raise ConfigError(f"{GEOGRAPHY_FILE}: format {doc.get('format')!r}, expected {FORMAT!r}")
    # a zone the installed tz database does not know is left out, as the build does: with an
    # older tzdata than the build's, the file then answers as the dataset would have
    places = [(state, zone) if is_zone(zone) else None for state, zone in doc["places"]]
    area_states: dict[str, str] = {}
    area_zones: dict[str, tuple[str, ...]] = {}
    for code, (state, zones) in doc["area_codes"].items():
        area_states[code] = state
        area_zones[code] = tuple(z for z in zones if is_zone(z))
    return Geography(
        area_zones=area_zones,
        area_states=area_states,
        zips=ZipTable(doc["zips"], doc["runs"], places),
        country_zones=country_zones(),
        state_codes=dict(US_STATE_NAMES),
    )


class ZipTable(Mapping[str, tuple[str, str]]):
    """ZIP -> (state, zone), read in place from the file's sorted ZIP string and runs.

    Nothing is built per ZIP: a look-up is a binary search over the fixed-width codes
    (a few microseconds, once per address the engine has not located before), so a start
    does not spend tens of milliseconds filling a 42 000-entry dict most commands never
    read. The test of the geography file compares it with the dataset for every ZIP.
    """

    __slots__ = ("_codes", "_count", "_ends", "_places", "_runs")

    def __init__(
        self, codes: str, runs: list[list[int]], places: list[tuple[str, str] | None]
    ) -> None:
        self._codes = codes
        self._runs = [places[i] for i, _n in runs]
        #: index one past each run's last ZIP
        self._ends = list(accumulate(n for _i, n in runs))
        self._count = sum(n for (_i, n), p in zip(runs, self._runs, strict=True) if p)
        if self._ends and self._ends[-1] * 5 != len(codes):
            raise ConfigError(f"{GEOGRAPHY_FILE}: the runs do not cover the ZIP codes")

    def _index(self, key: str) -> int:
        codes, lo, hi = self._codes, 0, len(self._codes) // 5
        while lo < hi:
            mid = (lo + hi) // 2
            if codes[5 * mid : 5 * mid + 5] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo if codes[5 * lo : 5 * lo + 5] == key else -1

    def __getitem__(self, key: str) -> tuple[str, str]:
        if not isinstance(key, str) or len(key) != 5:
            raise KeyError(key)
        at = self._index(key)
        place = self._runs[bisect_right(self._ends, at)] if at >= 0 else None
        if place is None:
            raise KeyError(key)
        return place

    def __iter__(self) -> Iterator[str]:
        start = 0
        for end, place in zip(self._ends, self._runs, strict=True):
            if place is not None:
                yield from (self._codes[5 * k : 5 * k + 5] for k in range(start, end))
            start = end

    def __len__(self) -> int:
        return self._count


def country_zones() -> dict[str, tuple[str, ...]]:
    """ISO country -> its IANA zones, from tzdata's zone.tab."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    out: dict[str, list[str]] = collections.defaultdict(list)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3 and is_zone(parts[2]):
            out[parts[0]].append(parts[2])
    return {k: tuple(sorted(v)) for k, v in out.items()}
