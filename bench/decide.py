"""Throughput benchmark of the decision engine: decisions per second on one core.

What is measured
    The cost of judging one call attempt from its JSON text to its ``Decision``: decoding,
    strict validation, ``Engine.decide`` with the earliest-allowed search, the request
    digest and the decision id. The headline figure is ``lexdial.api.decide_json(text)``,
    the JSON-text entry point (msgspec decoding and validation, ``domain.request_fast``);
    beside it, the mapping entry point as callers holding a parsed document use it:
    ``json.loads`` then ``lexdial.api.decide`` (reference validation, ``parse_request``).
    Both give the same decision, id included: the warm-up checks it on every request.
    Decisions are not rendered to JSON (``Decision.to_json``): that is the caller's choice.

Against what
    "The cheapest possible baseline" for a service that takes JSON requests is reading
    them: ``json.loads`` of the same texts. The ratio vs that baseline says how many JSON
    parses one decision costs, which is steadier across machines than raw seconds. Further
    rows give msgspec's plain decode (the fast reader's own floor), each reader alone (to
    separate validation from the rules) and the rules alone on validated requests.

The requests
    ``--n`` requests (default 20 000) are generated deterministically from ``--seed``, in a
    mix that resembles a law firm's traffic: reminders and notifications to clients
    (prerecorded and manual), marketing to former clients, inquirers and prospects (manual,
    autodialed, prerecorded, AI voices), debt collection with 0-8 calls of history, callbacks,
    and about 12 % European numbers (+44, +33, +49, +353). US numbers span 32 area codes
    with random line digits in 60 exchanges each (about 1 900 NPA-NXX prefixes), so no
    cache keyed by the full number can help (the per-prefix NANP cache of
    ``domain.numbers`` does fill up during the warm-up, as in a long-running dialer).
    Instants are spread over 2026-2027 at every hour, so many decisions are defers that
    exercise the earliest-allowed search.

How
    Every pass runs single-threaded over all the texts. One warm-up pass of ``decide_json``
    builds the caches (rule selection, NANP prefixes, holidays, zones, the reader's
    addresses, consent dates and caller IDs); its time is reported as the cold figure. The
    timed passes replay the same requests, so those caches are warm there, as in a dialer
    working through the same numbers' prefixes and templates. An untimed pass then checks
    that the mapping entry point decides every request identically. Then the best of
    ``--repeat`` timed passes is kept: the minimum is the figure least disturbed by other
    load (the short baselines get at least 5 passes). The garbage collector stays enabled,
    as in production, and is run before each pass; the warm-up's decisions are summarised
    and dropped before the timed passes, as a server drops its replies. ``--profile``
    replaces the timed passes by one pass under cProfile (whose overhead makes its own
    timings meaningless) and lists the hotspots.

Run: ``python bench/decide.py [--n 20000] [--seed 7] [--repeat 3] [--profile]``. Exit
status is 0 whatever the figures (this is a benchmark, not a test), except 1 when the two
entry points disagree on a decision.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import pstats
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec

from lexdial.adapters.geodata import load_geography
from lexdial.adapters.rulepack import load_pack
from lexdial.api import decide as api_decide
from lexdial.api import decide_json
from lexdial.domain.decision import Decision, DecisionRequest
from lexdial.domain.request_fast import read_request
from lexdial.domain.request_parse import parse_request
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine

TARGET_PER_S = 20_000
FIRM = "Hartwell & Ruiz LLP"
OTHER_FIRMS = ("Other Firm LLP", "Lead Gen Partners Inc.", "Hartwell and Ruiz, L.L.P.")
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 730 * 24 * 60  # 2026-01-01 .. 2027-12-31
EXCHANGES = 60

# --- reference data for the generator ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Area:
    """A US area code with a ZIP and zone inside its home state."""

    code: str
    state: str
    zips: tuple[str, ...]
    zone: str


AREAS: tuple[Area, ...] = (
    Area("212", "NY", ("10001", "10016", "10027"), "America/New_York"),
    Area("312", "IL", ("60601", "60606"), "America/Chicago"),
    Area("415", "CA", ("94103", "94110"), "America/Los_Angeles"),
    Area("602", "AZ", ("85004", "85016"), "America/Phoenix"),
    Area("713", "TX", ("77002", "77019"), "America/Chicago"),
    Area("813", "FL", ("33602", "33606"), "America/New_York"),
    Area("850", "FL", ("32501", "32301", "32401"), "America/Chicago"),
    Area("305", "FL", ("33130", "33139"), "America/New_York"),
    Area("206", "WA", ("98101", "98122"), "America/Los_Angeles"),
    Area("617", "MA", ("02108", "02116"), "America/New_York"),
    Area("808", "HI", ("96813", "96815"), "Pacific/Honolulu"),
    Area("907", "AK", ("99501", "99503"), "America/Anchorage"),
    Area("405", "OK", ("73102", "73118"), "America/Chicago"),
    Area("410", "MD", ("21201", "21230"), "America/New_York"),
    Area("504", "LA", ("70112", "70130"), "America/Chicago"),
    Area("801", "UT", ("84101", "84111"), "America/Denver"),
    Area("614", "OH", ("43215",), "America/New_York"),
    Area("702", "NV", ("89101",), "America/Los_Angeles"),
    Area("609", "NJ", ("08608",), "America/New_York"),
    Area("215", "PA", ("19103", "19107"), "America/New_York"),
    Area("404", "GA", ("30303",), "America/New_York"),
    Area("612", "MN", ("55401",), "America/Chicago"),
    Area("317", "IN", ("46204",), "America/Indiana/Indianapolis"),
    Area("502", "KY", ("40202",), "America/Kentucky/Louisville"),
    Area("601", "MS", ("39201",), "America/Chicago"),
    Area("505", "NM", ("87102",), "America/Denver"),
    Area("203", "CT", ("06103", "06510"), "America/New_York"),
    Area("401", "RI", ("02903",), "America/New_York"),
    Area("402", "NE", ("68102",), "America/Chicago"),
    Area("313", "MI", ("48226",), "America/Detroit"),
    Area("205", "AL", ("35203",), "America/Chicago"),
    Area("804", "VA", ("23219",), "America/New_York"),
)
#: the area codes named in the brief get more traffic than the rest
_BUSY = frozenset(
    {"212", "312", "415", "602", "713", "813", "850", "305", "206", "617", "808", "907",
     "405", "410", "504", "801"}
)  # fmt: skip
AREA_WEIGHTS = tuple(3 if a.code in _BUSY else 1 for a in AREAS)


@dataclass(frozen=True, slots=True)
class Country:
    """A European country: how its numbers are written and its zone."""

    iso: str
    zone: str
    #: (prefix, digits after it) of landline and mobile ranges, written after the +CC
    ranges: tuple[tuple[str, int], ...]
    cc: str


EUROPE: tuple[Country, ...] = (
    Country("GB", "Europe/London", (("20 7", 7), ("20 3", 7), ("161 4", 6), ("117 9", 6),
                                    ("121 4", 6), ("7700 9", 5), ("7912", 6), ("7823", 6)), "44"),
    Country("FR", "Europe/Paris", (("1 4", 7), ("4 9", 7), ("6 1", 7), ("7 5", 7)), "33"),
    Country("DE", "Europe/Berlin", (("30 2", 7), ("89 1", 7), ("151 2", 7), ("170 3", 7)),
            "49"),
    Country("IE", "Europe/Dublin", (("1 6", 6), ("21 4", 6), ("87 1", 6), ("85 2", 6)), "353"),
)  # fmt: skip
EUROPE_WEIGHTS = (40, 25, 20, 15)

REMINDER_SUBJECTS = (
    "hearing reminder", "deposition scheduling", "document request", "appointment reminder",
    "mediation date", "signature needed", "court date change",
)  # fmt: skip
MARKETING_SUBJECTS = (
    "estate-planning seminar", "free case review", "class action update", "will review offer",
    "new office opening", "business succession webinar",
)  # fmt: skip
DEBT_TYPES = ("consumer_credit_card", "medical", "auto_loan", "student_loan", "legal_fees")
VOICEMAILS = (
    None,
    "This is Dana from Hartwell & Ruiz. Please call us back at 312-555-0000.",
    "Hello, this message is about the balance you owe on your account. Call 312-555-0000.",
    "Reminder about your custody hearing on Monday; call our office at 312-555-0000.",
    "Please call Hartwell & Ruiz at 312-555-0000 at your convenience.",
)
#: most templates are vetted; a few still name the debt or the matter
VOICEMAIL_WEIGHTS = (45, 35, 4, 4, 12)
PURPOSES_INFO = ["reminder", "notification", "informational", "debt_collection", "callback"]
ALL_TECH = ["manual", "autodialed", "prerecorded", "artificial_voice", "interactive_voice"]


# --- the generator -------------------------------------------------------------------------


class TrafficGenerator:
    """Deterministic, varied decision requests (JSON-shaped dicts) from one seed."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.serial = 0
        #: numbers cluster in the exchanges (NXX) in service: EXCHANGES per area code
        self.exchanges = {
            a.code: [f"{self.r.randint(200, 999)}" for _ in range(EXCHANGES)] for a in AREAS
        }

    # small helpers

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, items: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
        if weights is None:
            return items[self.r.randrange(len(items))]
        return self.r.choices(items, weights=weights)[0]

    def instant(self) -> datetime:
        minute = self.r.randrange(SPAN_MINUTES)
        second = self.r.randrange(60) if self.chance(0.3) else 0
        return START + timedelta(minutes=minute, seconds=second)

    def stamp(self, t: datetime, zone_offset_h: int | None = None) -> str:
        """ISO 8601 with ``Z``, or now and then with the caller's local fixed offset."""
        if zone_offset_h is not None and self.chance(0.2):
            return t.astimezone(timezone(timedelta(hours=zone_offset_h))).isoformat()
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    def before(self, at: datetime, lo_days: float, hi_days: float) -> datetime:
        return at - timedelta(minutes=self.r.randint(int(lo_days * 1440), int(hi_days * 1440)))

    @staticmethod
    def day(t: datetime) -> str:
        return t.date().isoformat()

    def when(self, at: datetime, lo_days: float, hi_days: float) -> str:
        """A past date-time or date (both forms are accepted for consent dates)."""
        t = self.before(at, lo_days, hi_days)
        return self.day(t) if self.chance(0.3) else self.stamp(t)

    # facts

    def us_number(self) -> tuple[str, Area]:
        area = self.pick(AREAS, AREA_WEIGHTS)
        nxx = self.pick(self.exchanges[area.code])
        line = f"{self.r.randrange(10_000):04d}"
        style = self.r.randrange(6)
        text = (
            f"+1 {area.code} {nxx} {line}",
            f"+1{area.code}{nxx}{line}",
            f"({area.code}) {nxx}-{line}",
            f"{area.code}-{nxx}-{line}",
            f"1 {area.code} {nxx} {line}",
            f"+1 ({area.code}) {nxx}-{line}",
        )[style]
        return text, area

    def eu_number(self) -> tuple[str, Country]:
        country = self.pick(EUROPE, EUROPE_WEIGHTS)
        prefix, width = self.pick(country.ranges)
        digits = f"{self.r.randrange(10**width):0{width}d}"
        sub = " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))
        text = (
            f"+{country.cc} {prefix}{digits}"
            if self.chance(0.4)
            else f"+{country.cc} {prefix} {sub}"
        )
        return text, country

    def us_address(self, area: Area) -> dict[str, Any] | None:
        if not self.chance(0.7):
            return None
        home = area if self.chance(0.9) else self.pick(AREAS)  # some people moved
        addr: dict[str, Any] = {}
        if self.chance(0.8):
            addr["country"] = "US"
        if self.chance(0.8):
            addr["state"] = home.state
        if self.chance(0.6):
            z = self.pick(home.zips)
            addr["zip"] = f"{z}-{self.r.randrange(10_000):04d}" if self.chance(0.2) else z
        if self.chance(0.5):
            addr["time_zone"] = home.zone
        return addr or None

    def line_type(self) -> str | None:
        return self.pick(["wireless", "landline", "voip", "unknown", None], [55, 25, 8, 4, 8])

    def suppression(self, at: datetime, country: str) -> dict[str, Any] | None:
        if self.chance(0.07):
            return None
        s: dict[str, Any] = {}
        if country == "US":
            listed = self.chance(0.25)
            s["national_dnc"] = listed if self.chance(0.93) else None
            if listed and self.chance(0.5):
                s["national_dnc_registered_on"] = self.day(self.before(at, 60, 5000))
            s["state_dnc"] = self.chance(0.05)
        elif country == "GB" and self.chance(0.3):
            s["tps_registered_on"] = self.day(self.before(at, 3, 3000))
        s["internal_dnc"] = self.chance(0.03)
        if self.chance(0.92):
            s["registry_synced_on"] = self.day(self.before(at, 0, 40 if self.chance(0.1) else 30))
        return s

    def consents(self, at: datetime, purpose: str, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(n):
            written = (purpose == "marketing" and self.chance(0.7)) or self.chance(0.15)
            if self.chance(0.8):
                scope = (
                    ["marketing"]
                    if purpose == "marketing"
                    else self.r.sample(PURPOSES_INFO, self.r.randint(1, 4))
                )
                if purpose not in scope and purpose != "marketing" and self.chance(0.7):
                    scope.append(purpose)
            else:  # out of scope: a consent to something else
                scope = ["marketing"] if purpose != "marketing" else ["reminder", "notification"]
            c: dict[str, Any] = {
                "id": f"c-{self.serial}-{i}",
                "kind": "express_written" if written else "express",
                "given_at": self.when(at, 1, 900),
                "scope": scope,
            }
            if self.chance(0.3):
                c["technologies"] = self.r.sample(ALL_TECH, self.r.randint(1, 5))
            if self.chance(0.9):
                c["seller"] = (
                    FIRM if self.chance(0.85)
                    else [FIRM, self.pick(OTHER_FIRMS)] if self.chance(0.5)
                    else self.pick(OTHER_FIRMS)
                )  # fmt: skip
            if self.chance(0.6):
                c["method"] = self.pick(("web form v3", "signed engagement letter", "IVR key 1"))
            if self.chance(0.12):
                c["revoked_at"] = self.when(at, 0, 30)
            else:
                c["revoked_at"] = None
            out.append(c)
        return out

    def history(
        self, at: datetime, n: int, purpose: str, subject: str | None, debt_id: str | None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for _ in range(n):
            h: dict[str, Any] = {"at": self.stamp(self.before(at, 0.02, 12))}
            h["purpose"] = purpose if self.chance(0.85) else self.pick(PURPOSES_INFO)
            if subject is not None and self.chance(0.7):
                h["subject"] = subject
            if debt_id is not None:
                h["debt_id"] = debt_id if self.chance(0.9) else f"ACME-{self.r.randrange(9999)}"
            h["outcome"] = self.pick(
                ["no_answer", "voicemail", "busy", "conversation", "failed", "abandoned",
                 "refused"],
                [35, 25, 8, 15, 5, 4, 8],
            )  # fmt: skip
            if self.chance(0.3):
                h["technology"] = self.pick(ALL_TECH[:3])
            out.append(h)
        return out

    def campaign(self, technology: str) -> dict[str, Any] | None:
        if self.chance(0.25):
            return None
        mode = {
            "manual": "manual",
            "autodialed": self.pick(["preview", "progressive", "predictive"]),
        }.get(technology, "broadcast")
        ring = self.pick([12, 15, 20, 25, 30], [3, 20, 45, 20, 12])
        c: dict[str, Any] = {"mode": mode, "ring_timeout_s": ring}
        if mode in ("progressive", "predictive"):
            c["abandonment_rate_30d"] = round(self.r.uniform(0.0, 0.034), 4)
            c["safe_harbor_message"] = self.chance(0.97)
        c["caller_id"] = "+13125550000" if self.chance(0.98) else "withheld"
        return c

    def script(self, technology: str, purpose: str) -> dict[str, Any] | None:
        if technology == "manual" and purpose != "debt_collection":
            return None if self.chance(0.8) else {"offers_dnc_list": self.chance(0.9)}
        s: dict[str, Any] = {
            "identifies_firm_at_start": self.chance(0.98),
            "states_callback_number": self.chance(0.98),
            "offers_opt_out": self.chance(0.96),
        }
        if self.chance(0.4):
            s["opt_out_within_2s"] = self.chance(0.9)
        if technology in ("artificial_voice", "interactive_voice"):
            s["discloses_ai"] = self.chance(0.85)
        s["voicemail_text"] = self.pick(VOICEMAILS, VOICEMAIL_WEIGHTS)
        return s

    # scenarios

    def request(self) -> dict[str, Any]:
        self.serial += 1
        at = self.instant()
        roll = self.r.random()
        if roll < 0.12:
            return self.european(at)
        if roll < 0.45:
            return self.client_notice(at)
        if roll < 0.70:
            return self.marketing(at)
        if roll < 0.95:
            return self.debt(at)
        return self.callback(at)

    def common(self, at: datetime, purpose: str, technology: str) -> dict[str, Any]:
        number, area = self.us_number()
        req: dict[str, Any] = {
            "at": self.stamp(at, -5),
            "number": number,
            "purpose": purpose,
            "technology": technology,
        }
        lt = self.line_type()
        if lt is not None:
            req["line_type"] = lt
        addr = self.us_address(area)
        if addr is not None:
            req["address"] = addr
        sup = self.suppression(at, "US")
        if sup is not None:
            req["suppression"] = sup
        if technology != "manual" and self.chance(0.7):
            req["reassigned"] = {
                "result": self.pick(["no", "no_data", "yes"], [90, 7, 3]),
                "checked_on": self.day(self.before(at, 0, 30)),
            }
        camp = self.campaign(technology)
        if camp is not None:
            req["campaign"] = camp
        script = self.script(technology, purpose)
        if script is not None:
            req["script"] = script
        if self.chance(0.95):
            req["firm"] = {"name": FIRM}
        if self.chance(0.1):
            req["subscriber"] = self.pick(["consumer", "business"], [80, 20])
        return req

    def client_notice(self, at: datetime) -> dict[str, Any]:
        purpose = self.pick(["reminder", "notification", "informational"], [50, 35, 15])
        tech = self.pick(
            ["prerecorded", "manual", "autodialed", "artificial_voice"], [45, 40, 10, 5]
        )
        req = self.common(at, purpose, tech)
        subject = self.pick(REMINDER_SUBJECTS)
        req["subject"] = subject
        req["relationship"] = {"type": "current_client"}
        req["consents"] = self.consents(at, purpose, self.pick([0, 1, 1, 1, 2, 3]))
        req["history"] = self.history(at, self.pick([0, 0, 1, 2, 3]), purpose, subject, None)
        if self.chance(0.3):
            req["matter"] = {"type": self.pick(["family", "estate", "criminal", "other"])}
        if self.chance(0.1):
            req["preferences"] = {
                "shared_line": self.chance(0.3),
                "voicemail_details_ok": self.chance(0.5),
            }
        return req

    def relationship(self, at: datetime) -> dict[str, Any]:
        kind = self.pick(
            ["former_client", "inquiry", "prospect", "none", "current_client"], [40, 15, 25, 10, 10]
        )
        rel: dict[str, Any] = {"type": kind}
        if kind == "former_client":
            rel["last_transaction_on"] = self.day(self.before(at, 20, 1100))
        if kind == "inquiry" or (kind == "former_client" and self.chance(0.2)):
            rel["inquiry_on"] = self.day(self.before(at, 1, 200))
        return rel

    def marketing(self, at: datetime) -> dict[str, Any]:
        tech = self.pick(
            ["manual", "autodialed", "prerecorded", "artificial_voice", "interactive_voice"],
            [50, 28, 15, 4, 3],
        )
        req = self.common(at, "marketing", tech)
        subject = self.pick(MARKETING_SUBJECTS)
        req["subject"] = subject
        req["relationship"] = self.relationship(at)
        req["consents"] = self.consents(at, "marketing", self.pick([0, 0, 1, 1, 2, 3]))
        req["history"] = self.history(at, self.pick([0, 0, 0, 1, 2, 4]), "marketing", subject, None)
        if self.chance(0.12):
            req["incident"] = {
                "kind": self.pick(["accident", "air_carrier_accident", "disaster"], [80, 5, 15]),
                "occurred_on": self.day(self.before(at, 2, 90)),
            }
            req["matter"] = {"type": self.pick(["personal_injury", "wrongful_death"])}
        elif self.chance(0.2):
            req["matter"] = {"type": self.pick(["estate", "family", "other", "claims_management"])}
        return req

    def debt(self, at: datetime) -> dict[str, Any]:
        tech = self.pick(["manual", "autodialed", "prerecorded"], [60, 30, 10])
        req = self.common(at, "debt_collection", tech)
        debt_id = f"ACME-{self.r.randrange(100_000)}"
        debt: dict[str, Any] = {"id": debt_id, "represented_by_attorney": self.chance(0.04)}
        if self.chance(0.5):
            debt["type"] = self.pick(DEBT_TYPES)
        if self.chance(0.03):
            debt["represented_since"] = self.when(at, -20, 60)
        if self.chance(0.25):
            start = self.r.randint(6, 20)
            length = self.r.randint(1, 4)
            debt["inconvenient_times"] = [
                {"start": f"{start:02d}:00", "end": f"{(start + length) % 24:02d}:00"}
            ]
        req["debt"] = debt
        req["relationship"] = {"type": self.pick(["none", "current_client"], [80, 20])}
        req["consents"] = self.consents(at, "debt_collection", self.pick([0, 1, 1, 2]))
        req["history"] = self.history(at, self.r.randint(0, 8), "debt_collection", None, debt_id)
        req["matter"] = {"type": "debt"}
        if "script" in req and self.chance(0.3):
            req["preferences"] = {"shared_line": self.chance(0.2), "voicemail_details_ok": False}
        return req

    def callback(self, at: datetime) -> dict[str, Any]:
        req = self.common(at, "callback", "manual")
        req["relationship"] = {"type": self.pick(["inquiry", "current_client", "prospect"])}
        req["consents"] = self.consents(at, "callback", self.pick([0, 1]))
        req["history"] = self.history(at, self.pick([0, 1]), "callback", None, None)
        return req

    def european(self, at: datetime) -> dict[str, Any]:
        number, country = self.eu_number()
        purpose = self.pick(["marketing", "reminder", "debt_collection"], [50, 30, 20])
        tech = self.pick(["manual", "autodialed", "prerecorded"], [70, 20, 10])
        req: dict[str, Any] = {
            "at": self.stamp(at, 1),
            "number": number,
            "purpose": purpose,
            "technology": tech,
            "line_type": self.pick(["wireless", "landline", "unknown"], [55, 40, 5]),
        }
        if self.chance(0.7):
            addr: dict[str, Any] = {"country": country.iso}
            if self.chance(0.6):
                addr["time_zone"] = country.zone
            req["address"] = addr
        sup = self.suppression(at, country.iso)
        if sup is not None:
            req["suppression"] = sup
        if purpose == "marketing":
            req["relationship"] = self.relationship(at)
            req["subject"] = self.pick(MARKETING_SUBJECTS)
        else:
            req["relationship"] = {"type": "current_client"}
        req["consents"] = self.consents(at, purpose, self.pick([0, 1, 1, 2]))
        req["history"] = self.history(at, self.pick([0, 0, 1, 2, 3]), purpose, None, None)
        if self.chance(0.6):
            gdpr: dict[str, Any] = {"erased": self.chance(0.02)}
            if self.chance(0.08):
                gdpr["objected_at"] = self.when(at, 1, 400)
            basis = self.pick(["consent", "legitimate_interests", "contract", None, "map"])
            if basis == "map":
                gdpr["lawful_basis"] = {
                    "marketing": self.pick(["consent", "legitimate_interests"]),
                    "reminder": "contract",
                    "debt_collection": "contract",
                }
            elif basis is not None:
                gdpr["lawful_basis"] = basis
            req["gdpr"] = gdpr
        camp = self.campaign(tech)
        if camp is not None:
            camp["caller_id"] = "+442079460000"
            req["campaign"] = camp
        script = self.script(tech, purpose)
        if script is not None:
            req["script"] = script
        req["firm"] = {"name": FIRM}
        return req


def make_texts(n: int, seed: int) -> list[str]:
    """``n`` requests serialised to JSON text, as they would arrive over HTTP or the CLI."""
    gen = TrafficGenerator(seed)
    return [json.dumps(gen.request(), separators=(",", ":")) for _ in range(n)]


# --- timing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table."""

    label: str
    seconds: float
    items: int

    @property
    def per_item_us(self) -> float:
        return self.seconds / self.items * 1e6

    @property
    def per_s(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("inf")


def timed(fn: Callable[[], object]) -> float:
    """Seconds taken by one call of ``fn`` (after a collection, GC left enabled)."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def best_of(fn: Callable[[], object], repeat: int) -> float:
    return min(timed(fn) for _ in range(repeat))


def pass_loads(texts: list[str]) -> None:
    loads = json.loads
    for text in texts:
        loads(text)


def pass_msgspec(texts: list[str]) -> None:
    decode = msgspec.json.decode
    for text in texts:
        decode(text)


def pass_parse(texts: list[str]) -> None:
    loads = json.loads
    for text in texts:
        parse_request(loads(text))


def pass_read(texts: list[str]) -> None:
    for text in texts:
        read_request(text)


def pass_decide(texts: list[str], engine: Engine) -> None:
    """Decide every text; decisions are dropped, as a server drops them after replying
    (keeping 20 000 of them would only grow the heap the garbage collector scans)."""
    loads = json.loads
    for text in texts:
        api_decide(loads(text), engine=engine)


def pass_decide_json(texts: list[str], engine: Engine) -> None:
    """As ``pass_decide``, through the JSON-text entry point."""
    for text in texts:
        decide_json(text, engine=engine)


def pass_engine(requests: list[DecisionRequest], engine: Engine) -> None:
    """The rules alone: ``Engine.decide`` on requests already validated."""
    decide = engine.decide
    for req in requests:
        decide(req)


@dataclass(slots=True)
class WarmUp:
    """The warm-up pass: every decision kept, and any request the engine failed on."""

    decisions: list[Decision]
    #: (index in the generated list, "ExceptionType: message")
    errors: list[tuple[int, str]]


def pass_warm_up(texts: list[str], engine: Engine, out: WarmUp) -> None:
    """Decide every text, keeping the decisions; an engine exception is recorded, not
    raised, so that one bug in the engine does not hide the figures of every other path."""
    for i, text in enumerate(texts):
        try:
            out.decisions.append(decide_json(text, engine=engine))
        except Exception as exc:
            out.errors.append((i, f"{type(exc).__name__}: {exc}"))


def count_disagreements(texts: list[str], engine: Engine, decisions: list[Decision]) -> int:
    """Requests the mapping entry point decides otherwise than ``decide_json`` did (the
    whole wire form, decision id included); reports the first one."""
    bad = 0
    for text, fast in zip(texts, decisions, strict=True):
        slow = api_decide(json.loads(text), engine=engine)
        if slow.to_json() != fast.to_json():
            if not bad:
                print(f"DISAGREEMENT between decide_json and decide(json.loads) on: {text}")
            bad += 1
    return bad


def report_errors(warm: WarmUp, texts: list[str]) -> None:
    if not warm.errors:
        return
    first, why = warm.errors[0]
    print(
        f"ENGINE ERRORS: {len(warm.errors)} of {len(texts):,} requests raised (first: "
        f"#{first}, {why}); they are left out of every timed pass. First failing request:"
    )
    print(texts[first])
    print()


def print_table(rows: list[Row], baseline: Row) -> None:
    head = f"{'operation':<46} {'total s':>9} {'us/item':>9} {'items/s':>11} {'vs loads':>9}"
    print(head)
    print("-" * len(head))
    for row in rows:
        ratio = row.seconds / baseline.seconds
        print(
            f"{row.label:<46} {row.seconds:>9.3f} {row.per_item_us:>9.1f} "
            f"{row.per_s:>11,.0f} {ratio:>8.1f}x"
        )


def print_mix(decisions: list[Decision], texts: list[str]) -> None:
    n = len(decisions)
    verdicts = Counter(d.verdict for d in decisions)
    reasons = sum(len(d.reasons) for d in decisions)
    codes = Counter(code for d in decisions for code in d.codes)
    waits = [
        (d.earliest_allowed_at - d.at).total_seconds() / 3600
        for d in decisions
        if d.earliest_allowed_at is not None
    ]
    purposes = Counter(json.loads(t)["purpose"] for t in texts)
    europe = sum(1 for d in decisions if d.jurisdictions and d.jurisdictions[0] != "US")
    mix = ", ".join(
        f"{v} {verdicts[v]} ({verdicts[v] / n:.1%})" for v in ("allow", "deny", "defer")
    )
    print(f"verdicts: {mix}")
    print(
        f"mean reasons per decision: {reasons / n:.2f} (per non-allow: "
        f"{reasons / max(1, n - verdicts['allow']):.2f})"
    )
    if waits:
        waits.sort()
        print(f"defer wait: median {waits[len(waits) // 2]:.1f} h, max {waits[-1] / 24:.1f} days")
    print("purposes: " + ", ".join(f"{p} {c}" for p, c in purposes.most_common()))
    print(f"non-US numbers: {europe} ({europe / n:.1%})")
    print("top reason codes: " + ", ".join(f"{c} {k}" for c, k in codes.most_common(10)))


def profile(texts: list[str], engine: Engine, top: int) -> None:
    prof = cProfile.Profile()
    prof.enable()
    pass_decide_json(texts, engine)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(top)
    print(f"\ncProfile, one pass of {len(texts):,} decisions, top {top} by cumulative time:")
    print(out.getvalue().rstrip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Decisions per second of lexdial's engine (JSON text in, decision out), "
        "against a json.loads baseline over the same generated requests.",
    )
    ap.add_argument("--n", type=int, default=20_000, help="requests to generate (>= 10000 "
                    "recommended; default %(default)s)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=7, help="generator seed (default %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes, best kept (default 3)")
    ap.add_argument("--profile", action="store_true",
                    help="after the warm-up, run cProfile over one pass and print the top "
                    "functions by cumulative time, instead of the timed passes")  # fmt: skip
    ap.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    args = ap.parse_args(argv)
    if args.n < 1 or args.repeat < 1:
        ap.error("--n and --repeat must be positive")

    t0 = time.perf_counter()
    texts = make_texts(args.n, args.seed)
    gen_s = time.perf_counter() - t0
    size = sum(len(t) for t in texts)
    t0 = time.perf_counter()
    engine = Engine(pack=load_pack(), geo=load_geography(), policy=Policy())
    load_s = time.perf_counter() - t0
    print(f"lexdial decision benchmark: {args.n:,} requests (seed {args.seed}), "
          f"{size / args.n:,.0f} bytes of JSON each on average; "
          f"Python {sys.version.split()[0]}")  # fmt: skip
    print(f"generated in {gen_s:.2f} s; engine built in {load_s:.2f} s "
          f"(rule pack {engine.pack.version}, {len(engine.pack.rules)} rules)\n")  # fmt: skip

    # warm-up: every code path, lazy import and cache is exercised once (and timed: cold)
    pass_loads(texts)
    warm = WarmUp([], [])
    cold_s = timed(lambda: pass_warm_up(texts, engine, warm))
    report_errors(warm, texts)
    if warm.errors:
        bad = {i for i, _ in warm.errors}
        texts = [t for i, t in enumerate(texts) if i not in bad]
    n = len(texts)
    disagree = count_disagreements(texts, engine, warm.decisions)
    if args.profile:
        print(f"warm-up pass (cold): {cold_s:.2f} s, {n / cold_s:,.0f} decisions/s")
        print_mix(warm.decisions, texts)
        warm.decisions.clear()
        profile(texts, engine, args.top)
        return 0

    # the mix is summarised now and the decisions dropped before the timed passes: kept,
    # their 20 000 objects would be scanned by every full collection of the timed passes
    mix = io.StringIO()
    with contextlib.redirect_stdout(mix):
        print_mix(warm.decisions, texts)
    warm.decisions.clear()
    quick = max(args.repeat, 5)  # the baselines are short: more passes, steadier minimum
    loads_s = best_of(lambda: pass_loads(texts), quick)
    msgspec_s = best_of(lambda: pass_msgspec(texts), quick)
    parse_s = best_of(lambda: pass_parse(texts), args.repeat)
    read_s = best_of(lambda: pass_read(texts), args.repeat)
    decide_s = best_of(lambda: pass_decide(texts, engine), args.repeat)
    json_s = best_of(lambda: pass_decide_json(texts, engine), args.repeat)
    parsed = [parse_request(json.loads(t)) for t in texts]
    engine_s = best_of(lambda: pass_engine(parsed, engine), args.repeat)

    baseline = Row(f"json.loads (baseline, best of {quick})", loads_s, n)
    rows = [
        baseline,
        Row(f"msgspec.json.decode (best of {quick})", msgspec_s, n),
        Row(f"json.loads + parse_request (best of {args.repeat})", parse_s, n),
        Row(f"request_fast.read_request (best of {args.repeat})", read_s, n),
        Row("api.decide_json, cold (warm-up pass)", cold_s, n + len(warm.errors)),
        Row(f"json.loads + api.decide (best of {args.repeat})", decide_s, n),
        Row(f"api.decide_json (best of {args.repeat})", json_s, n),
        Row(f"Engine.decide on validated requests (best of {args.repeat})", engine_s, n),
    ]
    print_table(rows, baseline)
    print()
    print(mix.getvalue(), end="")
    rate = n / json_s
    verdict = "PASS" if rate >= TARGET_PER_S else "BELOW TARGET"
    print(f"\ndecisions/s, JSON text in (api.decide_json): {rate:,.0f} "
          f"(target >= {TARGET_PER_S:,} on one core): {verdict}")  # fmt: skip
    print(f"decisions/s, parsed mapping in (json.loads + api.decide): {n / decide_s:,.0f}")
    print(f"engine only (validated requests in): {n / engine_s:,.0f} decisions/s")
    print(f"entry points agree on {n - disagree:,} of {n:,} decisions")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
