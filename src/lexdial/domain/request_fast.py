"""Read a decision request from JSON text, fast, with exactly the reference result.

The reference is ``parse_request(json.loads(text))`` (``request_parse``): this module
must return the same request, or raise the same error, for every input. It is a shortcut
taken only where it is provably equal, because the decision and its id depend on every
field and error messages are part of the contract.

Rule 1: ``msgspec`` decodes the text. Every document it decodes, it decodes to the same
values as ``json.loads`` (big integers stay integers, duplicate keys keep the last value);
what it refuses (NaN, lone surrogates, a UTF-8 BOM, ...) goes to ``json.loads``, which
accepts or rejects it as before. So the raw document, and the digest taken from it, are
the reference ones.
Rule 2: the structs of ``request_schema`` mirror the contract (unknown fields, JSON types,
required fields, vocabularies); the checks they cannot express (date formats, ranges,
ZIP codes) are made in ``_build``. Any failure, of either, hands the raw document to
``parse_request``: it raises the error it would have raised (the first in its own order,
naming the field), or returns the request when the shortcut was only stricter (an id
given as ``true``). The shortcut may be stricter than the reference, never looser: that
is what ``test_fast_parse`` checks.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import msgspec

from lexdial.domain import decision as d
from lexdial.domain import request_schema as schema
from lexdial.domain.request_parse import (
    _CALLER_ID,
    DAY_NAMES,
    US_STATES,
    _clock,
    _date_value,
    _datetime,
    _datetime_or_date,
    _postcode,
    _zip_tail_ok,
    parse_request,
)
from lexdial.domain.zones import is_zone
from lexdial.errors import RequestError


class _FallbackError(Exception):
    """A check of the shortcut failed: the reference path decides (and names the field)."""


def read_request(text: str | bytes) -> tuple[Any, d.DecisionRequest]:
    """(the raw document, the request) of ``text``: ``parse_request(json.loads(text))``,
    with the same result and errors (``json.JSONDecodeError`` for text that is not JSON)."""
    raw: Any
    if text.__class__ is str or text.__class__ is bytes:
        try:
            raw = msgspec.json.decode(text)
        except Exception:  # whatever msgspec refuses, json.loads judges (Rule 1)
            try:
                raw = json.loads(text)
            except RecursionError:  # thousands of nested brackets: refused, not a crash
                raise RequestError("", "the document nests too deeply") from None
            return raw, parse_request(raw)
        if raw.__class__ is dict:
            try:
                return raw, _build(msgspec.convert(raw, schema.RequestDoc), raw)
            except Exception:  # _FallbackError, a struct's ValidationError, a RequestError, ...
                pass  # ... or an OverflowError: the reference raises it in its own order
    else:
        raw = json.loads(text)  # bytearray etc.: whatever json.loads makes of it
    return raw, parse_request(raw)


# The request's NamedTuples are built with ``tuple.__new__`` and their fields in
# declaration order: a NamedTuple's own ``__new__`` with keywords costs ten times more,
# and ten of them are built per request. ``test_fast_parse`` pins every field order.
_new = tuple.__new__


def _build(r: schema.RequestDoc, raw: dict[str, Any]) -> d.DecisionRequest:
    """The request of a document whose shape the structs accepted (see Rule 2)."""
    if not r.number.strip():
        raise _FallbackError
    x = r.relationship
    rel = (
        None
        if x is None
        else _new(
            d.Relationship,
            (
                x.type or "none",
                _opt_day(x.last_transaction_on),
                _opt_day(x.inquiry_on),
                x.routinely_uses_services,
            ),
        )
    )
    a, p = r.address, r.preferences
    return _new(
        d.DecisionRequest,
        (
            _instant(r.at),
            r.number,
            r.purpose,
            r.technology,
            r.line_type,
            None if a is None else _address(a.country, a.state, a.zip, a.time_zone, a.postcode),
            r.subject,
            rel,
            tuple([_consent(c) for c in r.consents]) if r.consents else (),
            None if r.suppression is None else _suppression(r.suppression),
            None if r.reassigned is None else _reassigned(r.reassigned),
            tuple([_history(h) for h in r.history]) if r.history else (),
            None if r.debt is None else _debt(r.debt),
            None if r.gdpr is None else _gdpr(r.gdpr),
            None if r.incident is None else _incident(r.incident),
            None if r.campaign is None else _campaign(r.campaign, raw["campaign"]),
            None if r.script is None else _script(r.script, raw["script"]),
            None if r.firm is None else r.firm.name,
            r.subscriber,
            None if r.matter is None else r.matter.type,
            None if p is None else _preferences(p),
        ),
    )


# --- sections (each mirrors its namesake in request_parse, failing instead of naming) ---


@lru_cache(maxsize=4096)  # a pure function of four short strings that repeat (see below)
def _address(
    country: str | None,
    state: str | None,
    zip_code: str | None,
    time_zone: str | None,
    postcode: str | None,
) -> d.Address:
    if country is not None:
        country = country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise _FallbackError
    if state is not None:
        state = state.strip().upper()
        if len(state) != 2 or not state.isalpha():
            raise _FallbackError
        if country in (None, "US") and state not in US_STATES:
            raise _FallbackError
    if zip_code is not None:
        zip_code = zip_code.strip()
        five = zip_code[:5]
        if not (five.isdigit() and len(five) == 5 and _zip_tail_ok(zip_code[5:])):
            raise _FallbackError
        zip_code = five
    if time_zone is not None and not is_zone(time_zone):
        raise _FallbackError
    return _new(d.Address, (country, state, zip_code, time_zone, _postcode(postcode, "")))


def _consent(c: schema.ConsentDoc) -> d.Consent:
    seller = c.seller
    return _new(
        d.Consent,
        (
            None if c.id is None else str(c.id),
            c.kind,
            None if c.given_at is None else _when(c.given_at),
            None if c.scope is None else frozenset(c.scope),
            None if c.technologies is None else frozenset(c.technologies),
            None if seller is None else (seller,) if isinstance(seller, str) else tuple(seller),
            c.method,
            None if c.revoked_at is None else _when(c.revoked_at),
        ),
    )


def _suppression(s: schema.SuppressionDoc) -> d.Suppression:
    return _new(
        d.Suppression,
        (
            s.national_dnc,
            _opt_day(s.national_dnc_registered_on),
            s.state_dnc,
            s.internal_dnc,
            _opt_day(s.tps_registered_on),
            _opt_day(s.registry_synced_on),
        ),
    )


def _reassigned(r: schema.ReassignedDoc) -> d.Reassigned:
    return _new(d.Reassigned, (r.result, _opt_day(r.checked_on)))


def _history(h: schema.HistoryDoc) -> d.HistoryEntry:
    debt_id = h.debt_id
    return _new(
        d.HistoryEntry,
        (
            _instant(h.at),
            h.purpose,
            h.subject,
            None if debt_id is None else str(debt_id),
            h.outcome,
            h.technology,
        ),
    )


def _debt(x: schema.DebtDoc) -> d.Debt:
    ranges = []
    for r in x.inconvenient_times or ():
        start, end = _clock(r.start, ""), _clock(r.end, "")
        if start == end:
            raise _FallbackError
        ranges.append(_new(d.TimeRange, (start, end)))
    since = x.represented_since
    return _new(
        d.Debt,
        (
            None if x.id is None else str(x.id),
            x.type,
            x.represented_by_attorney,
            None if since is None else _when(since),
            tuple(ranges),
            None if x.cease_requested_at is None else _when(x.cease_requested_at),
            x.time_barred,
        ),
    )


def _preferences(p: schema.PreferencesDoc) -> d.Preferences:
    times = []
    for r in p.inconvenient_times or ():
        start, end = _clock(r.start, ""), _clock(r.end, "")
        if start == end or (r.days is not None and not r.days):
            raise _FallbackError
        days = None if r.days is None else frozenset(DAY_NAMES.index(x) for x in r.days)
        times.append(_new(d.StatedTime, (days, start, end)))
    return _new(
        d.Preferences,
        (
            p.shared_line,
            p.voicemail_details_ok,
            tuple(times),
            p.workplace_number,
            p.no_calls_at_work,
        ),
    )


def _gdpr(g: schema.GdprDoc) -> d.Gdpr:
    basis = g.lawful_basis
    objected = g.objected_at
    return _new(
        d.Gdpr,
        (
            None if objected is None else _when(objected),
            g.erased,
            # a fresh dict, as the reference builds one (the request must not share it)
            dict(basis) if isinstance(basis, dict) else basis,
        ),
    )


def _incident(x: schema.IncidentDoc) -> d.Incident:
    return _new(d.Incident, (x.kind, _date_value(x.occurred_on, "")))


def _campaign(c: schema.CampaignDoc, raw: dict[str, Any]) -> d.Campaign:
    rate = None if c.abandonment_rate_30d is None else float(c.abandonment_rate_30d)
    if rate is not None and not 0.0 <= rate <= 1.0:
        raise _FallbackError
    ring = None if c.ring_timeout_s is None else float(c.ring_timeout_s)
    if ring is not None and ring < 0:
        raise _FallbackError
    caller_id = c.caller_id
    if caller_id is not None and not _caller_id_ok(caller_id):
        raise _FallbackError
    return _new(d.Campaign, (_given(raw), c.mode, rate, ring, caller_id, c.safe_harbor_message))


def _script(s: schema.ScriptDoc, raw: dict[str, Any]) -> d.Script:
    return _new(
        d.Script,
        (
            _given(raw),
            s.identifies_firm_at_start,
            s.states_callback_number,
            s.offers_opt_out,
            s.opt_out_within_2s,
            s.offers_dnc_list,
            s.discloses_ai,
            s.voicemail_text,
            s.threatens_suit,
        ),
    )


# --- value helpers ------------------------------------------------------------------------


def _given(raw: dict[str, Any]) -> frozenset[str]:
    """The keys given a value (null is "not given"), as the reference computes them."""
    if None not in raw.values():  # JSON values: only null equals None
        return frozenset(raw)
    return frozenset(k for k, v in raw.items() if v is not None)


def _opt_day(value: str | None) -> date | None:
    return None if value is None else _date_value(value, "")


def _instant(value: str) -> datetime:
    """A date-time with offset, in UTC (``_datetime``): its usual case, a UTC stamp longer
    than a date, without the checks that case passes; any other case goes to it."""
    parsed = _fromisoformat(value)  # a ValueError hands the request to the reference
    if parsed.tzinfo is UTC and len(value) > 10:
        return parsed
    return _datetime(value, "")


_fromisoformat = datetime.fromisoformat


def _when(value: str) -> datetime:
    """A date-time with offset, or a date meaning its start, UTC (``_datetime_or_date``)."""
    return _day_start(value) if len(value) == 10 else _instant(value)


# Bounded caches of pure functions of short strings that repeat from request to request
# (consent dates, a campaign's caller ID, addresses); a failure raises and is not cached.


@lru_cache(maxsize=4096)
def _day_start(value: str) -> datetime:
    return _datetime_or_date(value, "")


@lru_cache(maxsize=1024)
def _caller_id_ok(caller_id: str) -> bool:
    return caller_id.strip().lower() == "withheld" or _CALLER_ID.fullmatch(caller_id) is not None
