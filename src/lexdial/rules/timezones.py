"""Where might the called person be? Candidate time zones and states (catalogue 7).

Rule 1: the candidate set is the union of every zone of the number's area code, the
ZIP's zone and the stated address zone; calling windows must hold in every one of them
and the rules of every candidate state apply. Uncertainty widens the set, never narrows it.
Rule 1a (contract v1.1): a landline stays in its rate center, so a landline with a known
address (state and ZIP) in the area code's own state is where the address is: the area
code's other zones are not added. Wireless, VoIP and unknown lines, a missing address or
one that does not match the number's region (ZIP in another state or in a zone the area
code does not have, or a stated zone that contradicts the ZIP) keep the wide set.
Rule 2: pure. ``Geography`` is data handed in (built by ``adapters.geodata``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from lexdial.domain.decision import Address
from lexdial.domain.numbers import NANP_REGIONS_US, PhoneNumber
from lexdial.domain.zones import is_zone, zone

#: EU and EEA member states, where the GDPR (and the ePrivacy Directive) apply.
EU_EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)


@dataclass(frozen=True, slots=True)
class Geography:
    """Reference data: area codes, ZIP codes and countries mapped to zones and states."""

    #: US area code -> IANA zones of the ZIPs in its home state that use it
    area_zones: dict[str, tuple[str, ...]]
    #: US area code -> home state (two-letter)
    area_states: dict[str, str]
    #: ZIP -> (state, IANA zone)
    zips: Mapping[str, tuple[str, str]]
    #: ISO country -> IANA zones (tzdata zone.tab)
    country_zones: dict[str, tuple[str, ...]]
    #: US state or territory name -> code, to read the phonenumbers geocoder's place names
    state_codes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Location:
    """The candidate zones, states and jurisdictions of one call."""

    zones: tuple[str, ...]
    states: frozenset[str]
    country: str | None
    jurisdictions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    tzinfos: tuple[ZoneInfo, ...] = ()


def needs_place(number: PhoneNumber, geo: Geography) -> bool:
    """Whether ``locate`` reads the geocoder's place: only for a US area code the geography
    does not know (reading it costs the geocoder's 40 MB of data once per process)."""
    return (
        number.region in NANP_REGIONS_US
        and number.area_code is not None
        and not geo.area_states.get(number.area_code)
    )


def locate(
    number: PhoneNumber, address: Address | None, geo: Geography, landline: bool = False
) -> Location:
    """Build the candidate location set of a (valid) number and an optional address."""
    if landline and address is not None:
        fixed = _landline_at_address(number, address, geo)
        if fixed is not None:
            return fixed
    zones: set[str] = set()
    states: set[str] = set()
    notes: list[str] = []
    region = number.region
    country = "US" if region in NANP_REGIONS_US else region
    if region in NANP_REGIONS_US and number.area_code is not None:
        allowed = set(geo.country_zones.get(region or "", ())) | set(geo.country_zones["US"])
        zones.update(z for z in number.zones if z in allowed)
        zones.update(geo.area_zones.get(number.area_code, ()))
        home = geo.area_states.get(number.area_code) or _state_from_place(number.place, geo)
        if home:
            states.add(home)
        if region != "US":
            states.add(region or "")
    elif region is not None:
        listed = geo.country_zones.get(region, ())
        both = [z for z in number.zones if z in listed]
        zones.update(both or listed or number.zones)
    if address is not None:
        if address.time_zone:
            zones.add(address.time_zone)
        addr_us = address.country in (None, "US")
        if address.zip and addr_us:
            hit = geo.zips.get(address.zip)
            if hit is None:
                notes.append("ZIP code not in the reference data; its zone was not added.")
            else:
                states.add(hit[0])
                zones.add(hit[1])
        if address.state and addr_us and (country == "US" or address.country == "US"):
            states.add(address.state)
    zones = {z for z in zones if is_zone(z)}
    if not zones:
        zones.add("UTC")
        notes.append("No time zone could be determined; UTC used. Give address.time_zone.")
    jurisdictions: list[str] = []
    for c in (country, address.country if address else None):
        if c and c not in jurisdictions:
            jurisdictions.append(c)
    if "US" in jurisdictions:
        jurisdictions.extend(f"US-{s}" for s in sorted(states) if s)
    if any(c in EU_EEA for c in jurisdictions):
        jurisdictions.append("EU")
    names = tuple(sorted(zones))
    return Location(
        zones=names,
        states=frozenset(s for s in states if s),
        country=country,
        jurisdictions=tuple(jurisdictions),
        notes=tuple(notes),
        tzinfos=tuple(zone(z) for z in names),
    )


def _landline_at_address(number: PhoneNumber, address: Address, geo: Geography) -> Location | None:
    """The location of a US landline whose known address matches its number's region
    (Rule 1a), or None when the wide set must be used."""
    if number.region != "US" or number.area_code is None:
        return None
    if address.country not in (None, "US") or not address.zip or not address.state:
        return None
    hit = geo.zips.get(address.zip)
    home = geo.area_states.get(number.area_code) or _state_from_place(number.place, geo)
    if hit is None or hit[0] != address.state or home != address.state:
        return None
    # the address must fit the number: its ZIP's zone one of the area code's, and a
    # stated zone (if any) the ZIP's; otherwise the data conflict and the wide set stays
    area = set(geo.area_zones.get(number.area_code, ())) | set(number.zones)
    if hit[1] not in area or address.time_zone not in (None, hit[1]) or not is_zone(hit[1]):
        return None
    names = (hit[1],)
    return Location(
        zones=names,
        states=frozenset({address.state}),
        country="US",
        jurisdictions=("US", f"US-{address.state}"),
        notes=(
            "Landline with a known address in its area code's state: the address's zone "
            "only (contract v1.1).",
        ),
        tzinfos=tuple(zone(z) for z in names),
    )


def _state_from_place(place: str, geo: Geography) -> str | None:
    if not place:
        return None
    if place in geo.state_codes:
        return geo.state_codes[place]
    tail = place.rsplit(",", 1)[-1].strip()
    if len(tail) == 2 and tail.isupper():
        return tail
    return None
