"""Build a ``DecisionRequest`` from JSON-shaped data, strictly.

Rule 1: unknown fields are errors (a typo must not pass silently), every error names the
dotted field path, and an error message never echoes a value that may be personal data.
Rule 2: nothing here reads the clock; a naive date-time is an error, not "local time".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from lexdial.domain import decision as d
from lexdial.errors import RequestError

_TOP = frozenset(
    {
        "at",
        "number",
        "line_type",
        "address",
        "purpose",
        "technology",
        "subject",
        "relationship",
        "consents",
        "suppression",
        "reassigned",
        "history",
        "debt",
        "gdpr",
        "incident",
        "campaign",
        "script",
        "firm",
        "subscriber",
        "matter",
        "preferences",
    }
)
#: US states, DC and territories (USPS codes)
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split()
)
#: keys of the worked-example envelope ``{"title", "request", "expected"}``
ENVELOPE_KEYS = frozenset({"title", "request", "expected", "note", "id"})


def unwrap_envelope(data: Any) -> Any:
    """Return the inner request of a worked-example file, or ``data`` unchanged."""
    if (
        isinstance(data, dict)
        and "request" in data
        and "at" not in data
        and set(data) <= ENVELOPE_KEYS
    ):
        return data["request"]
    return data


def parse_request(data: Any) -> d.DecisionRequest:
    """Validate ``data`` (a parsed JSON object) and return the request it describes."""
    obj = _obj(data, "")
    _known(obj, _TOP, "")
    for req in ("at", "number", "purpose", "technology"):
        if obj.get(req) is None:
            raise RequestError(req, "is required")
    number = obj["number"]
    if not isinstance(number, str) or not number.strip():
        raise RequestError("number", "must be a non-empty string such as '+1 410 555 0146'")
    firm = _opt_obj(obj, "firm", "")
    firm_name: str | None = None
    if firm is not None:
        _known(firm, {"name"}, "firm")
        firm_name = _opt_str(firm, "name", "firm")
    matter = _opt_obj(obj, "matter", "")
    matter_type: str | None = None
    if matter is not None:
        _known(matter, {"type"}, "matter")
        matter_type = _opt_enum(matter, "type", d.MATTER_TYPES, "matter")
    return d.DecisionRequest(
        at=_datetime(obj["at"], "at"),
        number=number,
        purpose=_enum(obj["purpose"], d.PURPOSES, "purpose"),
        technology=_enum(obj["technology"], d.TECHNOLOGIES, "technology"),
        line_type=_opt_enum(obj, "line_type", d.LINE_TYPES, ""),
        address=_address(obj),
        subject=_opt_str(obj, "subject", ""),
        relationship=_relationship(obj),
        consents=_consents(obj),
        suppression=_suppression(obj),
        reassigned=_reassigned(obj),
        history=_history(obj),
        debt=_debt(obj),
        gdpr=_gdpr(obj),
        incident=_incident(obj),
        campaign=_campaign(obj),
        script=_script(obj),
        firm_name=firm_name,
        subscriber=_opt_enum(obj, "subscriber", d.SUBSCRIBERS, ""),
        matter_type=matter_type,
        preferences=_preferences(obj),
    )


# --- sections ---------------------------------------------------------------------------


def check_address(address: Mapping[str, Any]) -> d.Address | None:
    """Read a stored contact's address as the gate will read it (errors name
    ``address.<key>``): a contact is refused at entry for an address that would make
    every later decision about that person an error."""
    return _address({"address": dict(address)})


def _address(obj: Mapping[str, Any]) -> d.Address | None:
    a = _opt_obj(obj, "address", "")
    if a is None:
        return None
    p = "address"
    _known(a, {"country", "state", "zip", "time_zone", "postcode"}, p)
    country = _opt_str(a, "country", p)
    if country is not None:
        country = country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise RequestError(f"{p}.country", "must be an ISO 3166 two-letter code, e.g. 'US'")
    state = _opt_str(a, "state", p)
    if state is not None:
        state = state.strip().upper()
        if len(state) != 2 or not state.isalpha():
            raise RequestError(f"{p}.state", "must be a two-letter state code, e.g. 'MD'")
        if country in (None, "US") and state not in US_STATES:
            raise RequestError(f"{p}.state", "is not a US state or territory code")
    zip_code = _opt_str(a, "zip", p)
    if zip_code is not None:
        zip_code = zip_code.strip()
        five = zip_code[:5]
        if not (five.isdigit() and len(five) == 5 and _zip_tail_ok(zip_code[5:])):
            raise RequestError(f"{p}.zip", "must be a 5-digit ZIP code or ZIP+4")
        zip_code = five
    tz = _opt_str(a, "time_zone", p)
    if tz is not None and not _is_iana_zone(tz):
        raise RequestError(f"{p}.time_zone", "must be an IANA time zone such as 'America/Chicago'")
    return d.Address(
        country=country,
        state=state,
        zip=zip_code,
        time_zone=tz,
        postcode=_postcode(_opt_str(a, "postcode", p), f"{p}.postcode"),
    )


def _postcode(value: str | None, path: str) -> str | None:
    """A postal code of any country (v1.1): letters, digits, spaces and hyphens."""
    if value is None:
        return None
    code = " ".join(value.split()).upper()
    if not code or len(code) > 12 or not all(ch.isalnum() or ch in " -" for ch in code):
        raise RequestError(path, "must be a postal code such as 'SW1A 1AA' or '1012 AB'")
    return code


def _zip_tail_ok(tail: str) -> bool:
    return tail == "" or (len(tail) == 5 and tail[0] == "-" and tail[1:].isdigit())


def _relationship(obj: Mapping[str, Any]) -> d.Relationship | None:
    r = _opt_obj(obj, "relationship", "")
    if r is None:
        return None
    p = "relationship"
    _known(r, {"type", "last_transaction_on", "inquiry_on", "routinely_uses_services"}, p)
    return d.Relationship(
        type=_opt_enum(r, "type", d.RELATIONSHIPS, p) or "none",
        last_transaction_on=_opt_date(r, "last_transaction_on", p),
        inquiry_on=_opt_date(r, "inquiry_on", p),
        routinely_uses_services=_opt_bool(r, "routinely_uses_services", p),
    )


_CONSENT_KEYS = frozenset(
    {"id", "kind", "given_at", "scope", "technologies", "seller", "method", "revoked_at"}
)


def _consents(obj: Mapping[str, Any]) -> tuple[d.Consent, ...]:
    items = _opt_list(obj, "consents", "")
    out = []
    for i, raw in enumerate(items):
        p = f"consents[{i}]"
        c = _obj(raw, p)
        _known(c, _CONSENT_KEYS, p)
        if c.get("kind") is None:
            raise RequestError(f"{p}.kind", "is required ('express' or 'express_written')")
        seller = c.get("seller")
        sellers: tuple[str, ...] | None
        if seller is None:
            sellers = None
        elif isinstance(seller, str):
            sellers = (seller,)
        elif isinstance(seller, list) and all(isinstance(s, str) for s in seller):
            sellers = tuple(seller)
        else:
            raise RequestError(f"{p}.seller", "must be a name or a list of names")
        cid = c.get("id")
        if cid is not None and not isinstance(cid, str | int):
            raise RequestError(f"{p}.id", "must be a string")
        out.append(
            d.Consent(
                id=None if cid is None else str(cid),
                kind=_enum(c["kind"], d.CONSENT_KINDS, f"{p}.kind"),
                # absent or null (v1.1): no date, so it cannot prove prior consent
                given_at=_opt_datetime_or_date(c, "given_at", p),
                scope=_opt_enum_set(c, "scope", d.PURPOSES, p),
                technologies=_opt_enum_set(c, "technologies", d.TECHNOLOGIES, p),
                sellers=sellers,
                method=_opt_str(c, "method", p),
                revoked_at=_opt_datetime_or_date(c, "revoked_at", p),
            )
        )
    return tuple(out)


def _suppression(obj: Mapping[str, Any]) -> d.Suppression | None:
    s = _opt_obj(obj, "suppression", "")
    if s is None:
        return None
    p = "suppression"
    _known(
        s,
        {
            "national_dnc",
            "national_dnc_registered_on",
            "state_dnc",
            "internal_dnc",
            "tps_registered_on",
            "registry_synced_on",
        },
        p,
    )
    return d.Suppression(
        national_dnc=_opt_bool(s, "national_dnc", p),
        national_dnc_registered_on=_opt_date(s, "national_dnc_registered_on", p),
        state_dnc=_opt_bool(s, "state_dnc", p),
        internal_dnc=_opt_bool(s, "internal_dnc", p),
        tps_registered_on=_opt_date(s, "tps_registered_on", p),
        registry_synced_on=_opt_date(s, "registry_synced_on", p),
    )


def _reassigned(obj: Mapping[str, Any]) -> d.Reassigned | None:
    r = _opt_obj(obj, "reassigned", "")
    if r is None:
        return None
    p = "reassigned"
    _known(r, {"result", "checked_on"}, p)
    if r.get("result") is None:
        raise RequestError(f"{p}.result", "is required ('no', 'yes' or 'no_data')")
    return d.Reassigned(
        result=_enum(r["result"], d.REASSIGNED_RESULTS, f"{p}.result"),
        checked_on=_opt_date(r, "checked_on", p),
    )


def _history(obj: Mapping[str, Any]) -> tuple[d.HistoryEntry, ...]:
    out = []
    for i, raw in enumerate(_opt_list(obj, "history", "")):
        p = f"history[{i}]"
        h = _obj(raw, p)
        _known(h, {"at", "purpose", "subject", "debt_id", "outcome", "technology"}, p)
        if h.get("at") is None:
            raise RequestError(f"{p}.at", "is required")
        debt_id = h.get("debt_id")
        if debt_id is not None and not isinstance(debt_id, str | int):
            raise RequestError(f"{p}.debt_id", "must be a string")
        out.append(
            d.HistoryEntry(
                at=_datetime(h["at"], f"{p}.at"),
                purpose=_opt_enum(h, "purpose", d.PURPOSES, p),
                subject=_opt_str(h, "subject", p),
                debt_id=None if debt_id is None else str(debt_id),
                outcome=_opt_enum(h, "outcome", d.OUTCOMES, p),
                technology=_opt_enum(h, "technology", d.TECHNOLOGIES, p),
            )
        )
    return tuple(out)


def _debt(obj: Mapping[str, Any]) -> d.Debt | None:
    x = _opt_obj(obj, "debt", "")
    if x is None:
        return None
    p = "debt"
    _known(x, _DEBT_KEYS, p)
    ranges = []
    for i, raw in enumerate(_opt_list(x, "inconvenient_times", p)):
        q = f"{p}.inconvenient_times[{i}]"
        r = _obj(raw, q)
        _known(r, {"start", "end"}, q)
        start = _clock(r.get("start"), f"{q}.start")
        end = _clock(r.get("end"), f"{q}.end")
        if start == end:
            raise RequestError(q, "start and end are equal; give a non-empty range")
        ranges.append(d.TimeRange(start, end))
    did = x.get("id")
    if did is not None and not isinstance(did, str | int):
        raise RequestError(f"{p}.id", "must be a string")
    return d.Debt(
        id=None if did is None else str(did),
        type=_opt_str(x, "type", p),
        represented_by_attorney=_opt_bool(x, "represented_by_attorney", p),
        represented_since=_opt_datetime_or_date(x, "represented_since", p),
        inconvenient_times=tuple(ranges),
        cease_requested_at=_opt_datetime_or_date(x, "cease_requested_at", p),
        time_barred=_opt_bool(x, "time_barred", p),
    )


_DEBT_KEYS = frozenset(
    {
        "id",
        "type",
        "represented_by_attorney",
        "represented_since",
        "inconvenient_times",
        "cease_requested_at",
        "time_barred",
    }
)


def _gdpr(obj: Mapping[str, Any]) -> d.Gdpr | None:
    g = _opt_obj(obj, "gdpr", "")
    if g is None:
        return None
    p = "gdpr"
    _known(g, {"objected_at", "erased", "lawful_basis"}, p)
    basis = g.get("lawful_basis")
    lawful: str | dict[str, str] | None
    if basis is None:
        lawful = None
    elif isinstance(basis, str):
        lawful = _enum(basis, d.LAWFUL_BASES, f"{p}.lawful_basis")
    elif isinstance(basis, dict):
        lawful = {}
        for k, v in basis.items():
            _enum(k, d.PURPOSES, f"{p}.lawful_basis")
            lawful[k] = _enum(v, d.LAWFUL_BASES, f"{p}.lawful_basis.{k}")
    else:
        raise RequestError(f"{p}.lawful_basis", "must be a basis or a map purpose -> basis")
    return d.Gdpr(
        objected_at=_opt_datetime_or_date(g, "objected_at", p),
        erased=_opt_bool(g, "erased", p),
        lawful_basis=lawful,
    )


def _incident(obj: Mapping[str, Any]) -> d.Incident | None:
    x = _opt_obj(obj, "incident", "")
    if x is None:
        return None
    p = "incident"
    _known(x, {"kind", "occurred_on"}, p)
    if x.get("kind") is None:
        raise RequestError(f"{p}.kind", "is required")
    occurred = _opt_date(x, "occurred_on", p)
    if occurred is None:
        raise RequestError(f"{p}.occurred_on", "is required")
    return d.Incident(kind=_enum(x["kind"], d.INCIDENT_KINDS, f"{p}.kind"), occurred_on=occurred)


_CAMPAIGN_KEYS = frozenset(
    {"mode", "abandonment_rate_30d", "ring_timeout_s", "caller_id", "safe_harbor_message"}
)
#: a dialable caller ID: digits with the usual separators, at least 7 digits
_CALLER_ID = re.compile(r"\s*\+?(?:[\s().-]*\d){7,}[\s().-]*")


def _campaign(obj: Mapping[str, Any]) -> d.Campaign | None:
    c = _opt_obj(obj, "campaign", "")
    if c is None:
        return None
    p = "campaign"
    _known(c, _CAMPAIGN_KEYS, p)
    rate = _opt_number(c, "abandonment_rate_30d", p)
    if rate is not None and not 0.0 <= rate <= 1.0:
        raise RequestError(
            f"{p}.abandonment_rate_30d", "must be a fraction between 0 and 1 (0.03 = 3 %)"
        )
    ring = _opt_number(c, "ring_timeout_s", p)
    if ring is not None and ring < 0:
        raise RequestError(f"{p}.ring_timeout_s", "must be a number of seconds >= 0")
    caller_id = _opt_str(c, "caller_id", p)
    if (
        caller_id is not None
        and caller_id.strip().lower() != "withheld"
        and _CALLER_ID.fullmatch(caller_id) is None
    ):
        raise RequestError(f"{p}.caller_id", "must be a telephone number or 'withheld'")
    return d.Campaign(
        given=frozenset(k for k, v in c.items() if v is not None),
        mode=_opt_enum(c, "mode", d.CAMPAIGN_MODES, p),
        abandonment_rate_30d=rate,
        ring_timeout_s=ring,
        caller_id=caller_id,
        safe_harbor_message=_opt_bool(c, "safe_harbor_message", p),
    )


_SCRIPT_KEYS = frozenset(
    {
        "identifies_firm_at_start",
        "states_callback_number",
        "offers_opt_out",
        "opt_out_within_2s",
        "offers_dnc_list",
        "discloses_ai",
        "voicemail_text",
        "threatens_suit",
    }
)


def _script(obj: Mapping[str, Any]) -> d.Script | None:
    s = _opt_obj(obj, "script", "")
    if s is None:
        return None
    p = "script"
    flags = (
        "identifies_firm_at_start",
        "states_callback_number",
        "offers_opt_out",
        "opt_out_within_2s",
        "offers_dnc_list",
        "discloses_ai",
    )
    _known(s, _SCRIPT_KEYS, p)
    threatens = _opt_bool(s, "threatens_suit", p)
    values = {k: _opt_bool(s, k, p) for k in flags}
    return d.Script(
        given=frozenset(k for k, v in s.items() if v is not None),
        voicemail_text=_opt_str(s, "voicemail_text", p),
        threatens_suit=threatens,
        **values,
    )


def _preferences(obj: Mapping[str, Any]) -> d.Preferences | None:
    x = _opt_obj(obj, "preferences", "")
    if x is None:
        return None
    p = "preferences"
    _known(x, _PREFERENCE_KEYS, p)
    times = []
    for i, raw in enumerate(_opt_list(x, "inconvenient_times", p)):
        q = f"{p}.inconvenient_times[{i}]"
        r = _obj(raw, q)
        _known(r, {"days", "from", "to"}, q)
        start = _clock(r.get("from"), f"{q}.from")
        end = _clock(r.get("to"), f"{q}.to")
        if start == end:
            raise RequestError(q, "'from' and 'to' are equal; give a non-empty range")
        times.append(d.StatedTime(_weekdays(r.get("days"), f"{q}.days"), start, end))
    return d.Preferences(
        shared_line=_opt_bool(x, "shared_line", p),
        voicemail_details_ok=_opt_bool(x, "voicemail_details_ok", p),
        inconvenient_times=tuple(times),
        workplace_number=_opt_bool(x, "workplace_number", p),
        no_calls_at_work=_opt_bool(x, "no_calls_at_work", p),
    )


_PREFERENCE_KEYS = frozenset(
    {
        "shared_line",
        "voicemail_details_ok",
        "inconvenient_times",
        "workplace_number",
        "no_calls_at_work",
    }
)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekdays(value: Any, path: str) -> frozenset[int] | None:
    """['mon', 'tue'] -> {0, 1}; absent or null = every day."""
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise RequestError(path, "must be a non-empty array of days such as ['mon', 'fri']")
    out = set()
    for i, day in enumerate(value):
        if day.__class__ is not str or day not in DAY_NAMES:
            raise RequestError(f"{path}[{i}]", "must be one of " + ", ".join(DAY_NAMES))
        out.add(DAY_NAMES.index(day))
    return frozenset(out)


# --- scalar helpers ---------------------------------------------------------------------


def _path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RequestError(path, "must be a JSON object")
    return value


def _known(obj: Mapping[str, Any], allowed: frozenset[str] | set[str], prefix: str) -> None:
    if obj.keys() <= allowed:
        return
    for key in obj:
        if key not in allowed:
            # an empty or odd key (spaces, control characters) is shown quoted, so the
            # message still names it
            name = str(key) if str(key).isidentifier() else json.dumps(str(key))
            raise RequestError(_path(prefix, name), "unknown field (check the spelling)")


def _opt_obj(obj: Mapping[str, Any], key: str, prefix: str) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None or value.__class__ is dict:
        return value
    return _obj(value, _path(prefix, key))


def _opt_list(obj: Mapping[str, Any], key: str, prefix: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RequestError(_path(prefix, key), "must be a JSON array")
    return value


def _opt_str(obj: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(_path(prefix, key), "must be a string")
    return value


def _opt_bool(obj: Mapping[str, Any], key: str, prefix: str) -> bool | None:
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise RequestError(_path(prefix, key), "must be true, false or null")


def _opt_number(obj: Mapping[str, Any], key: str, prefix: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(_path(prefix, key), "must be a number")
    return float(value)


def _enum(value: Any, allowed: frozenset[str], path: str) -> str:
    if value.__class__ is not str or value not in allowed:
        raise RequestError(path, "must be one of " + ", ".join(sorted(allowed)))
    return value


def _opt_enum(obj: Mapping[str, Any], key: str, allowed: frozenset[str], prefix: str) -> str | None:
    value = obj.get(key)
    if value is None or (value.__class__ is str and value in allowed):
        return value
    return _enum(value, allowed, _path(prefix, key))


def _opt_enum_set(
    obj: Mapping[str, Any], key: str, allowed: frozenset[str], prefix: str
) -> frozenset[str] | None:
    value = obj.get(key)
    if value is None:
        return None
    if value.__class__ is list:
        try:
            items = frozenset(value)
        except TypeError:
            items = None
        if items is not None and items <= allowed:
            return items
    path = _path(prefix, key)
    if not isinstance(value, list):
        raise RequestError(path, "must be a JSON array")
    return frozenset(_enum(v, allowed, f"{path}[{i}]") for i, v in enumerate(value))


Where = str | tuple[str, str]  # a field path, or (prefix, key) to build it only on error


def _where(where: Where) -> str:
    return where if isinstance(where, str) else _path(*where)


def _datetime(value: Any, where: Where) -> datetime:
    if value.__class__ is not str:
        raise RequestError(_where(where), "must be an ISO 8601 date-time string with an offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RequestError(_where(where), "is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise RequestError(
            _where(where), "needs an offset ('Z' or '+hh:mm'); a naive time is ambiguous"
        )
    if len(value) <= 10:
        raise RequestError(_where(where), "must be a date-time, not a date")
    if parsed.tzinfo is UTC:
        return parsed
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00: before the first instant in UTC
        raise RequestError(_where(where), "is outside the years 1 to 9999 in UTC") from None


def _datetime_or_date(value: Any, where: Where) -> datetime:
    """A date-time with offset, or a date meaning the start of that day UTC."""
    if value.__class__ is str and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise RequestError(_where(where), "is not an ISO 8601 date (YYYY-MM-DD)") from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return _datetime(value, where)


def _opt_datetime_or_date(obj: Mapping[str, Any], key: str, prefix: str) -> datetime | None:
    value = obj.get(key)
    return None if value is None else _datetime_or_date(value, (prefix, key))


def _opt_date(obj: Mapping[str, Any], key: str, prefix: str) -> date | None:
    value = obj.get(key)
    return None if value is None else _date_value(value, (prefix, key))


def _date_value(value: Any, where: Where) -> date:
    """A date, or a date-time with offset taken as its UTC date."""
    if value.__class__ is str and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return _datetime_or_date(value, where).date()


def _clock(value: Any, path: str) -> time:
    if not isinstance(value, str):
        raise RequestError(path, "must be a local time 'HH:MM'")
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise RequestError(path, "must be a local time 'HH:MM'") from None
    return parsed.replace(second=0, microsecond=0)


def _is_iana_zone(name: str) -> bool:
    # Imported lazily so that the pure domain does not touch tz files at import time.
    from lexdial.domain.zones import is_zone

    return is_zone(name)
