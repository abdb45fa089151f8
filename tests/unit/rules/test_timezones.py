"""Where is the called person? Candidate time zones (catalogue section 7).

Every expected value comes from the catalogue and the decision contract v1, never from
the engine's output:

- 7.1: the candidate set holds every zone of the area code (some span two: 850, 208, 541,
  270, 605, 915, ...), the zone of the address of record and any stated zone.
- 7.2: a calling window must hold in every candidate zone (intersection); uncertainty
  widens the set, never narrows it.
- 7.4: IANA zones, never fixed offsets: Arizona keeps no DST (the Navajo Nation does);
  Hawaii keeps no DST; Puerto Rico is on Atlantic time without DST.
- 7.5: across the DST changes (2026: Mar 8 / Nov 1; 2027: Mar 14 / Nov 7) the local time
  of the same UTC instant moves by one hour.
- Contract: a ZIP that is not in the reference data is a fact the engine notes, not an
  error; a malformed ZIP, state code or time zone is a RequestError naming the field.

Federal hours: telephone solicitations 08:00-21:00 at the called party's location
(64.1200(c)(1), TSR 310.4(c)); the firm policy applies 08:00-21:00 to every call. Both
report CALLING_HOURS. Rows use Ohio (614), Illinois live calls (312) and Arizona, which have
no state window of their own, unless a state rule is the point of the row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import build, codes, iso
from lexdial.adapters.geodata import load_geography
from lexdial.domain.decision import Decision
from lexdial.errors import RequestError

Decide = Callable[[dict[str, Any]], Decision]

#: UTC offsets of the civil times the rows are written in
OFFSETS = {
    "AST": -4, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "HDT": -9,
}  # fmt: skip


def utc(local: str) -> str:
    """'2026-12-09 07:30 CST' -> '2026-12-09T13:30:00Z'."""
    day, clock, abbr = local.split()
    naive = datetime.fromisoformat(f"{day}T{clock}")
    return (naive - timedelta(hours=OFFSETS[abbr])).strftime("%Y-%m-%dT%H:%M:%SZ")


def standard_offsets(zones: tuple[str, ...] | list[str]) -> set[int]:
    """The standard-time UTC offsets (hours, mid-January) of ``zones``: -5 Eastern,
    -6 Central, -7 Mountain, -8 Pacific, -9 Alaska, -10 Hawaii-Aleutian."""
    jan = datetime(2027, 1, 15, 12, tzinfo=UTC)
    out = set()
    for name in zones:
        offset = jan.astimezone(ZoneInfo(name)).utcoffset()
        assert offset is not None
        out.add(int(offset.total_seconds() // 3600))
    return out


def call(
    when: str,
    number: str,
    address: dict[str, Any] | None,
    *,
    purpose: str = "marketing",
    **facts: Any,
) -> dict[str, Any]:
    """A live call at local time ``when``; a fresh registry copy, on no list."""
    at = utc(when)
    synced = date.fromisoformat(at[:10]) - timedelta(days=2)
    return build(
        at=at,
        number=number,
        address=address,
        purpose=purpose,
        technology="manual",
        suppression={
            "national_dnc": False,
            "state_dnc": False,
            "internal_dnc": False,
            "registry_synced_on": synced.isoformat(),
        },
        **facts,
    )


def us(state: str, zone: str | None = None, zip_code: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"country": "US", "state": state}
    if zone is not None:
        out["time_zone"] = zone
    if zip_code is not None:
        out["zip"] = zip_code
    return out


OHIO = "+1 614 555 0140"  # Columbus: Eastern, no state window
CHICAGO = "+1 312 555 0141"  # Illinois: Central; its state window reaches prerecorded only
PHOENIX = "+1 602 555 0142"
NAVAJO = "+1 928 555 0143"  # northern Arizona, including the Navajo Nation (keeps DST)
PANHANDLE = "+1 850 555 0144"
TAMPA = "+1 813 555 0145"
MANHATTAN = "+1 212 555 0146"
HONOLULU = "+1 808 555 0147"
ANCHORAGE = "+1 907 555 0148"  # 907 also serves the Aleutians west of 169°30' W (HST/HDT)
SAN_JUAN = "+1 787 555 0149"

CT_ET = {"CALLING_HOURS", "STATE_CALLING_HOURS"}
FED = {"CALLING_HOURS"}
NONE: set[str] = set()


# --- 7.1: a split area code maps to every zone it spans -------------------------------


@pytest.mark.parametrize(
    ("area_code", "spans"),
    [
        pytest.param("850", {-5, -6}, id="850-florida-panhandle-eastern-and-central"),
        pytest.param("208", {-7, -8}, id="208-idaho-mountain-and-pacific"),
        pytest.param("541", {-8, -7}, id="541-oregon-pacific-and-malheur-mountain"),
        pytest.param("270", {-6, -5}, id="270-western-kentucky-central-and-eastern"),
        pytest.param("605", {-6, -7}, id="605-south-dakota-central-and-mountain"),
        pytest.param("915", {-7, -6}, id="915-west-texas-mountain-and-central"),
        pytest.param("423", {-5, -6}, id="423-east-tennessee-eastern-and-central"),
        pytest.param("931", {-6, -5}, id="931-middle-tennessee-central-and-eastern"),
        pytest.param("308", {-6, -7}, id="308-western-nebraska-central-and-mountain"),
        pytest.param("785", {-6, -7}, id="785-kansas-central-and-mountain"),
        pytest.param("701", {-6, -7}, id="701-north-dakota-central-and-mountain"),
        pytest.param("812", {-5, -6}, id="812-southern-indiana-eastern-and-central"),
        pytest.param("219", {-6, -5}, id="219-northwest-indiana-central-and-eastern"),
        pytest.param("574", {-5, -6}, id="574-northern-indiana-eastern-and-central"),
        pytest.param("906", {-5, -6}, id="906-upper-peninsula-eastern-and-central"),
        pytest.param("907", {-9, -10}, id="907-alaska-and-the-aleutians"),
    ],
)
def test_a_number_without_an_address_is_judged_in_every_zone_of_its_area_code(
    decide: Decide, area_code: str, spans: set[int]
) -> None:
    d = decide(build(number=f"+1 {area_code} 555 0150", address=None))
    assert spans <= standard_offsets(d.time_zones), d.time_zones


@pytest.mark.parametrize(
    ("number", "zones"),
    [
        pytest.param(PHOENIX, ("America/Phoenix",), id="602-phoenix-is-arizona-time-only"),
        pytest.param(HONOLULU, ("Pacific/Honolulu",), id="808-hawaii-is-hawaii-time-only"),
        pytest.param(SAN_JUAN, ("America/Puerto_Rico",), id="787-puerto-rico-is-atlantic-only"),
        pytest.param(TAMPA, ("America/New_York",), id="813-tampa-is-eastern-only"),
    ],
)
def test_a_single_zone_area_code_gives_exactly_that_zone(
    decide: Decide, number: str, zones: tuple[str, ...]
) -> None:
    d = decide(build(number=number, address=None))
    assert tuple(d.time_zones) == zones


def test_the_navajo_nation_keeps_dst_so_928_is_also_judged_on_mountain_daylight_time(
    decide: Decide,
) -> None:
    d = decide(build(number=NAVAJO, address=None))
    assert {"America/Phoenix", "America/Denver"} <= set(d.time_zones)


def test_a_stated_zone_and_a_zip_zone_are_added_to_the_area_code_zones(decide: Decide) -> None:
    d = decide(
        build(
            number=TAMPA,
            address={"country": "US", "state": "FL", "zip": "32501", "time_zone": "America/Denver"},
        )
    )
    assert {"America/New_York", "America/Chicago", "America/Denver"} <= set(d.time_zones)


# --- 7.2: windows hold in every candidate zone; 7.4: zones without DST -----------------


WINDOW_ROWS = [
    # Florida panhandle: 850 spans Eastern and Central; Pensacola (32501) is Central.
    pytest.param(
        call("2026-12-09 07:30 CST", PANHANDLE, us("FL", zip_code="32501")),
        "defer",
        CT_ET,
        "2026-12-09 08:00 CST",
        id="850-pensacola-07-30-ct-08-30-et-defers-to-08-00-ct",
    ),
    pytest.param(
        call("2026-12-09 07:30 CST", PANHANDLE, None),
        "defer",
        CT_ET,
        "2026-12-09 08:00 CST",
        id="850-without-address-defers-to-08-00-ct",
    ),
    # contract v1.1: a landline stays in its rate center; with a matching address it is
    # judged where the address is (a Tallahassee landline at 08:30 Eastern is not Central)
    pytest.param(
        call("2026-12-09 07:30 CST", PANHANDLE, us("FL", "America/New_York", "32301")),
        "allow",
        NONE,
        None,
        id="850-tallahassee-landline-is-judged-where-its-address-is",
    ),
    pytest.param(
        call(
            "2026-12-09 07:30 CST",
            PANHANDLE,
            us("FL", "America/New_York", "32301"),
            line_type="wireless",
        ),
        "defer",
        CT_ET,
        "2026-12-09 08:00 CST",
        id="850-tallahassee-wireless-may-be-in-central-so-waits",
    ),
    pytest.param(
        call("2026-12-09 07:30 CST", PANHANDLE, us("FL", "America/Chicago", "32301")),
        "defer",
        CT_ET,
        "2026-12-09 08:00 CST",
        id="850-landline-whose-stated-zone-contradicts-its-zip-keeps-every-zone",
    ),
    pytest.param(
        call("2026-12-09 18:59 CST", PANHANDLE, us("FL", zip_code="32501")),
        "allow",
        NONE,
        None,
        id="850-pensacola-18-59-ct-19-59-et-is-allowed",
    ),
    pytest.param(
        call("2026-12-09 19:00 CST", PANHANDLE, us("FL", zip_code="32501")),
        "allow",
        NONE,
        None,
        id="850-pensacola-landline-19-00-ct-is-judged-in-central-only",
    ),
    pytest.param(
        call("2026-12-09 19:00 CST", PANHANDLE, us("FL", zip_code="32501"), line_type="voip"),
        "defer",
        {"STATE_CALLING_HOURS"},
        "2026-12-10 08:00 CST",
        id="850-pensacola-voip-19-00-ct-is-20-00-et-defers-to-next-08-00-ct",
    ),
    pytest.param(
        call("2026-12-09 08:30 EST", TAMPA, us("FL", zip_code="32501")),
        "defer",
        CT_ET,
        "2026-12-09 08:00 CST",
        id="813-with-pensacola-zip-adds-central",
    ),
    # A stated zone far from the area code (a New York number, the person now in California).
    pytest.param(
        call("2026-12-09 08:30 EST", MANHATTAN, us("CA", "America/Los_Angeles")),
        "defer",
        CT_ET,
        "2026-12-09 08:00 PST",
        id="212-with-california-zone-08-30-et-defers-to-08-00-pt",
    ),
    pytest.param(
        call("2026-12-09 09:00 PST", MANHATTAN, us("CA", "America/Los_Angeles")),
        "allow",
        NONE,
        None,
        id="212-with-california-zone-noon-et-is-allowed",
    ),
    pytest.param(
        call("2026-12-09 20:30 PST", MANHATTAN, us("CA", "America/Los_Angeles")),
        "defer",
        CT_ET,
        "2026-12-10 08:00 PST",
        id="212-with-california-zone-20-30-pt-defers-to-next-08-00-pt",
    ),
    pytest.param(
        call(
            "2026-12-09 08:30 EST",
            MANHATTAN,
            us("CA", "America/Los_Angeles"),
            purpose="debt_collection",
        ),
        "defer",
        FED,
        "2026-12-09 08:01 PST",
        id="212-with-california-zone-collection-call-held-to-regf-window-in-both",
    ),
    pytest.param(
        call("2026-12-09 08:30 CST", CHICAGO, us("IL", "America/Denver")),
        "defer",
        FED,
        "2026-12-09 08:00 MST",
        id="312-with-denver-zone-defers-to-08-00-mt",
    ),
    # Arizona: America/Phoenix, no DST in summer or winter.
    pytest.param(
        call("2026-07-15 07:59 MST", PHOENIX, us("AZ", "America/Phoenix")),
        "defer",
        FED,
        "2026-07-15 08:00 MST",
        id="arizona-summer-07-59-defers-to-08-00",
    ),
    pytest.param(
        call("2026-07-15 08:00 MST", PHOENIX, us("AZ", "America/Phoenix")),
        "allow",
        NONE,
        None,
        id="arizona-summer-08-00-is-allowed",
    ),
    pytest.param(
        call("2026-07-15 20:59 MST", PHOENIX, us("AZ", "America/Phoenix")),
        "allow",
        NONE,
        None,
        id="arizona-summer-20-59-is-allowed",
    ),
    pytest.param(
        call("2026-07-15 21:00 MST", PHOENIX, us("AZ", "America/Phoenix")),
        "defer",
        FED,
        "2026-07-16 08:00 MST",
        id="arizona-summer-21-00-defers-to-next-08-00",
    ),
    pytest.param(
        call("2027-01-13 07:59 MST", PHOENIX, us("AZ", "America/Phoenix")),
        "defer",
        FED,
        "2027-01-13 08:00 MST",
        id="arizona-winter-07-59-defers-to-08-00",
    ),
    pytest.param(
        call("2027-01-13 20:59 MST", PHOENIX, us("AZ", "America/Phoenix")),
        "allow",
        NONE,
        None,
        id="arizona-winter-20-59-is-allowed",
    ),
    pytest.param(
        call("2027-03-15 07:30 MST", PHOENIX, us("AZ", "America/Phoenix")),
        "defer",
        FED,
        "2027-03-15 08:00 MST",
        id="arizona-day-after-dst-starts-elsewhere-still-mst",
    ),
    pytest.param(
        call("2026-03-08 07:30 MST", PHOENIX, us("AZ", "America/Phoenix")),
        "defer",
        FED,
        "2026-03-08 08:00 MST",
        id="arizona-on-the-2026-spring-change-stays-on-mst",
    ),
    pytest.param(
        call("2026-07-15 07:30 MST", NAVAJO, None),
        "defer",
        FED,
        "2026-07-15 08:00 MST",
        id="928-summer-07-30-mst-08-30-mdt-defers-to-08-00-mst",
    ),
    pytest.param(
        call("2026-07-15 20:30 MST", NAVAJO, None),
        "defer",
        FED,
        "2026-07-16 08:00 MST",
        id="928-summer-20-30-mst-is-21-30-mdt-on-the-navajo-nation",
    ),
    # Hawaii: no DST.
    pytest.param(
        call("2026-12-09 07:59 HST", HONOLULU, us("HI", "Pacific/Honolulu")),
        "defer",
        FED,
        "2026-12-09 08:00 HST",
        id="hawaii-winter-07-59-defers-to-08-00",
    ),
    pytest.param(
        call("2026-07-15 07:59 HST", HONOLULU, us("HI", "Pacific/Honolulu")),
        "defer",
        FED,
        "2026-07-15 08:00 HST",
        id="hawaii-summer-07-59-defers-to-08-00",
    ),
    pytest.param(
        call("2026-07-15 20:59 HST", HONOLULU, us("HI", "Pacific/Honolulu")),
        "allow",
        NONE,
        None,
        id="hawaii-summer-20-59-is-allowed",
    ),
    pytest.param(
        call("2026-07-15 21:00 HST", HONOLULU, us("HI", "Pacific/Honolulu")),
        "defer",
        FED,
        "2026-07-16 08:00 HST",
        id="hawaii-summer-21-00-defers-to-next-08-00",
    ),
    # Alaska: 907 also reaches the Aleutians (America/Adak, one hour behind Anchorage).
    pytest.param(
        call("2026-12-09 08:00 AKST", ANCHORAGE, us("AK", "America/Anchorage")),
        "defer",
        FED,
        "2026-12-09 08:00 HST",
        id="alaska-winter-08-00-akst-waits-for-08-00-in-the-aleutians",
    ),
    pytest.param(
        call("2026-12-09 09:00 AKST", ANCHORAGE, us("AK", "America/Anchorage")),
        "allow",
        NONE,
        None,
        id="alaska-winter-09-00-akst-is-allowed",
    ),
    pytest.param(
        call("2026-07-15 08:00 AKDT", ANCHORAGE, us("AK", "America/Anchorage")),
        "defer",
        FED,
        "2026-07-15 08:00 HDT",
        id="alaska-summer-08-00-akdt-waits-for-08-00-in-the-aleutians",
    ),
    pytest.param(
        call("2026-07-15 21:00 AKDT", ANCHORAGE, us("AK", "America/Anchorage")),
        "defer",
        FED,
        "2026-07-16 08:00 HDT",
        id="alaska-summer-21-00-akdt-defers-to-next-morning",
    ),
    # Puerto Rico: Atlantic Standard Time all year.
    pytest.param(
        call("2026-12-09 07:59 AST", SAN_JUAN, None),
        "defer",
        FED,
        "2026-12-09 08:00 AST",
        id="puerto-rico-winter-07-59-defers-to-08-00",
    ),
    pytest.param(
        call("2026-12-09 20:59 AST", SAN_JUAN, None),
        "allow",
        NONE,
        None,
        id="puerto-rico-winter-20-59-is-allowed",
    ),
    pytest.param(
        call("2026-12-09 21:00 AST", SAN_JUAN, None),
        "defer",
        FED,
        "2026-12-10 08:00 AST",
        id="puerto-rico-winter-21-00-defers-to-next-08-00",
    ),
    pytest.param(
        call("2026-07-15 07:59 AST", SAN_JUAN, None),
        "defer",
        FED,
        "2026-07-15 08:00 AST",
        id="puerto-rico-summer-07-59-defers-to-08-00",
    ),
]


@pytest.mark.parametrize(("request_", "verdict", "want", "earliest"), WINDOW_ROWS)
def test_the_calling_window_must_hold_in_every_candidate_zone(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str], earliest: str | None
) -> None:
    d = decide(request_)
    expected = (verdict, want, utc(earliest) if earliest else None)
    assert (d.verdict, codes(d), iso(d)) == expected, (d.time_zones, d.to_json()["reasons"])


# --- 7.5: DST transition days around the 08:00 and 21:00 edges --------------------------

OH = us("OH", "America/New_York")
IL = us("IL", "America/Chicago")

DST_ROWS = [
    # 2026-03-08 (Sunday): 02:00 EST -> 03:00 EDT.
    pytest.param(
        call("2026-03-07 21:00 EST", OHIO, OH),
        "defer",
        FED,
        "2026-03-08 08:00 EDT",
        id="2026-03-07-21-00-est-defers-across-the-change-to-08-00-edt",
    ),
    pytest.param(
        call("2026-03-08 07:59 EDT", OHIO, OH),
        "defer",
        FED,
        "2026-03-08 08:00 EDT",
        id="2026-03-08-07-59-edt-defers-to-08-00-edt",
    ),
    pytest.param(
        call("2026-03-08 08:00 EDT", OHIO, OH),
        "allow",
        NONE,
        None,
        id="2026-03-08-08-00-edt-is-allowed",
    ),
    pytest.param(
        call("2026-03-08 08:30 EDT", OHIO, OH),
        "allow",
        NONE,
        None,
        id="2026-03-08-08-30-edt-would-be-07-30-on-standard-time-allowed",
    ),
    pytest.param(
        call("2026-03-08 20:59 EDT", OHIO, OH),
        "allow",
        NONE,
        None,
        id="2026-03-08-20-59-edt-is-allowed",
    ),
    pytest.param(
        call("2026-03-08 21:00 EDT", OHIO, OH),
        "defer",
        FED,
        "2026-03-09 08:00 EDT",
        id="2026-03-08-21-00-edt-defers-to-next-08-00-edt",
    ),
    # 2026-11-01 (Sunday): 02:00 EDT -> 01:00 EST.
    pytest.param(
        call("2026-10-31 21:00 EDT", OHIO, OH),
        "defer",
        FED,
        "2026-11-01 08:00 EST",
        id="2026-10-31-21-00-edt-defers-across-the-change-to-08-00-est",
    ),
    pytest.param(
        call("2026-11-01 07:30 EST", OHIO, OH),
        "defer",
        FED,
        "2026-11-01 08:00 EST",
        id="2026-11-01-07-30-est-would-be-08-30-on-daylight-time-defers",
    ),
    pytest.param(
        call("2026-11-01 08:00 EST", OHIO, OH),
        "allow",
        NONE,
        None,
        id="2026-11-01-08-00-est-is-allowed",
    ),
    pytest.param(
        call("2026-11-01 20:59 EST", OHIO, OH),
        "allow",
        NONE,
        None,
        id="2026-11-01-20-59-est-is-allowed",
    ),
    pytest.param(
        call("2026-11-01 21:00 EST", OHIO, OH),
        "defer",
        FED,
        "2026-11-02 08:00 EST",
        id="2026-11-01-21-00-est-defers-to-next-08-00-est",
    ),
    # 2027-03-14 (Sunday), Central.
    pytest.param(
        call("2027-03-13 21:00 CST", CHICAGO, IL),
        "defer",
        FED,
        "2027-03-14 08:00 CDT",
        id="2027-03-13-21-00-cst-defers-across-the-change-to-08-00-cdt",
    ),
    pytest.param(
        call("2027-03-14 07:59 CDT", CHICAGO, IL),
        "defer",
        FED,
        "2027-03-14 08:00 CDT",
        id="2027-03-14-07-59-cdt-defers-to-08-00-cdt",
    ),
    pytest.param(
        call("2027-03-14 08:00 CDT", CHICAGO, IL),
        "allow",
        NONE,
        None,
        id="2027-03-14-08-00-cdt-is-allowed",
    ),
    pytest.param(
        call("2027-03-14 21:00 CDT", CHICAGO, IL),
        "defer",
        FED,
        "2027-03-15 08:00 CDT",
        id="2027-03-14-21-00-cdt-defers-to-next-08-00-cdt",
    ),
    # 2027-11-07 (Sunday), Central.
    pytest.param(
        call("2027-11-06 21:00 CDT", CHICAGO, IL),
        "defer",
        FED,
        "2027-11-07 08:00 CST",
        id="2027-11-06-21-00-cdt-defers-across-the-change-to-08-00-cst",
    ),
    pytest.param(
        call("2027-11-07 07:30 CST", CHICAGO, IL),
        "defer",
        FED,
        "2027-11-07 08:00 CST",
        id="2027-11-07-07-30-cst-defers-to-08-00-cst",
    ),
    pytest.param(
        call("2027-11-07 08:00 CST", CHICAGO, IL),
        "allow",
        NONE,
        None,
        id="2027-11-07-08-00-cst-is-allowed",
    ),
    pytest.param(
        call("2027-11-07 20:59 CST", CHICAGO, IL),
        "allow",
        NONE,
        None,
        id="2027-11-07-20-59-cst-is-allowed",
    ),
    pytest.param(
        call("2027-11-07 21:00 CST", CHICAGO, IL),
        "defer",
        FED,
        "2027-11-08 08:00 CST",
        id="2027-11-07-21-00-cst-defers-to-next-08-00-cst",
    ),
    # Two zones that part ways on a change day: Arizona keeps MST, Denver moves to MDT.
    pytest.param(
        call("2026-03-08 07:30 MST", PHOENIX, us("AZ", "America/Denver")),
        "defer",
        FED,
        "2026-03-08 08:00 MST",
        id="2026-03-08-phoenix-07-30-mst-is-08-30-mdt-in-denver-defers",
    ),
    pytest.param(
        call("2026-03-08 20:30 MST", PHOENIX, us("AZ", "America/Denver")),
        "defer",
        FED,
        "2026-03-09 08:00 MST",
        id="2026-03-08-phoenix-20-30-mst-is-21-30-mdt-in-denver-defers",
    ),
]


@pytest.mark.parametrize(("request_", "verdict", "want", "earliest"), DST_ROWS)
def test_dst_transition_days_move_the_window_by_an_hour(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str], earliest: str | None
) -> None:
    d = decide(request_)
    expected = (verdict, want, utc(earliest) if earliest else None)
    assert (d.verdict, codes(d), iso(d)) == expected, (d.time_zones, d.to_json()["reasons"])


# --- the address: a ZIP not in the data is a note; malformed fields are errors ----------


@pytest.mark.parametrize(
    "zip_code",
    [
        pytest.param("00000", id="zip-00000-does-not-exist"),
        pytest.param("99999", id="zip-99999-does-not-exist"),
        pytest.param("00000-1234", id="zip-plus-4-of-a-missing-zip"),
    ],
)
def test_a_zip_that_does_not_exist_adds_a_note_and_is_not_an_error(
    decide: Decide, zip_code: str
) -> None:
    d = decide(
        build(
            address={
                "country": "US",
                "state": "OH",
                "zip": zip_code,
                "time_zone": "America/New_York",
            }
        )
    )
    assert (d.verdict, codes(d), iso(d)) == ("allow", set(), None)
    assert tuple(d.time_zones) == ("America/New_York",)
    assert any("ZIP" in note for note in d.notes), d.notes


@pytest.mark.parametrize(
    ("address", "field"),
    [
        pytest.param({"zip": "3250"}, "address.zip", id="zip-with-four-digits"),
        pytest.param({"zip": "325011"}, "address.zip", id="zip-with-six-digits"),
        pytest.param({"zip": "3250A"}, "address.zip", id="zip-with-a-letter"),
        pytest.param({"zip": "32501-12"}, "address.zip", id="zip-plus-4-too-short"),
        pytest.param({"zip": "32501 1234"}, "address.zip", id="zip-plus-4-without-hyphen"),
        pytest.param({"zip": 32501}, "address.zip", id="zip-given-as-a-number"),
        pytest.param({"state": "Florida"}, "address.state", id="state-spelled-out"),
        pytest.param({"state": "F"}, "address.state", id="state-one-letter"),
        pytest.param({"state": "F1"}, "address.state", id="state-with-a-digit"),
        pytest.param({"time_zone": "Eastern"}, "address.time_zone", id="zone-informal-name"),
        pytest.param(
            {"time_zone": "America/Pensacola"}, "address.time_zone", id="zone-that-does-not-exist"
        ),
        pytest.param({"time_zone": "-05:00"}, "address.time_zone", id="zone-as-fixed-offset"),
        pytest.param({"time_zone": "UTC-5"}, "address.time_zone", id="zone-as-utc-minus-5"),
    ],
)
def test_a_malformed_zip_state_or_time_zone_is_a_request_error_naming_the_field(
    decide: Decide, address: dict[str, Any], field: str
) -> None:
    with pytest.raises(RequestError) as caught:
        decide(build(address={"country": "US", **address}))
    assert caught.value.field == field


# --- the reference data itself ---------------------------------------------------------


@pytest.mark.parametrize(
    ("area_code", "state", "zones"),
    [
        pytest.param("813", "FL", {"America/New_York"}, id="813-tampa-florida-eastern"),
        pytest.param(
            "850",
            "FL",
            {"America/New_York", "America/Chicago"},
            id="850-florida-eastern-and-central",
        ),
        pytest.param("602", "AZ", {"America/Phoenix"}, id="602-phoenix-arizona"),
        pytest.param("212", "NY", {"America/New_York"}, id="212-manhattan-new-york"),
        pytest.param("808", "HI", {"Pacific/Honolulu"}, id="808-hawaii"),
        pytest.param(
            "907", "AK", {"America/Anchorage", "America/Adak"}, id="907-alaska-anchorage-and-adak"
        ),
        pytest.param(
            "208", "ID", {"America/Boise", "America/Los_Angeles"}, id="208-idaho-boise-and-pacific"
        ),
        pytest.param("915", "TX", {"America/Denver"}, id="915-el-paso-texas-mountain"),
        pytest.param("601", "MS", {"America/Chicago"}, id="601-jackson-mississippi"),
        pytest.param("787", "PR", {"America/Puerto_Rico"}, id="787-puerto-rico"),
    ],
)
def test_load_geography_knows_each_area_codes_state_and_zones(
    area_code: str, state: str, zones: set[str]
) -> None:
    geo = load_geography()
    assert geo.area_states[area_code] == state
    assert zones <= set(geo.area_zones[area_code])


@pytest.mark.parametrize(
    ("area_code", "zones"),
    [
        pytest.param("813", ("America/New_York",), id="813-is-eastern-only"),
        pytest.param("602", ("America/Phoenix",), id="602-is-arizona-time-only"),
        pytest.param("808", ("Pacific/Honolulu",), id="808-is-hawaii-time-only"),
    ],
)
def test_load_geography_gives_a_single_zone_area_code_one_zone(
    area_code: str, zones: tuple[str, ...]
) -> None:
    assert load_geography().area_zones[area_code] == zones


@pytest.mark.parametrize(
    ("zip_code", "expected"),
    [
        pytest.param("32501", ("FL", "America/Chicago"), id="32501-pensacola-is-central"),
        pytest.param("32301", ("FL", "America/New_York"), id="32301-tallahassee-is-eastern"),
        pytest.param("85004", ("AZ", "America/Phoenix"), id="85004-phoenix"),
        pytest.param("96813", ("HI", "Pacific/Honolulu"), id="96813-honolulu"),
        pytest.param("99546", ("AK", "America/Adak"), id="99546-adak-is-hawaii-aleutian"),
    ],
)
def test_load_geography_maps_a_zip_to_its_state_and_zone(
    zip_code: str, expected: tuple[str, str]
) -> None:
    assert load_geography().zips[zip_code] == expected


def test_load_geography_has_no_entry_for_a_zip_that_does_not_exist() -> None:
    assert "00000" not in load_geography().zips
