"""The fast JSON reader (``domain.request_fast``) is the reference reader, only faster.

For every text, ``read_request(text)`` must give what ``parse_request(json.loads(text))``
gives: the same request (same types, down to the leaves) or the same exception (type,
message and field); and ``api.decide_json`` the same decision, id included. Generated
documents mix valid values with near misses (wrong types, nulls, unknown fields, odd
dates, out-of-range numbers, JSON that msgspec refuses), so that both the shortcut and
its fallback are exercised. The shortcut must also really be taken for valid requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, NamedTuple, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BASE, build, pec, pewc
from lexdial.api import decide, decide_json
from lexdial.domain import decision as d
from lexdial.domain import request_fast, request_schema
from lexdial.domain.request_fast import read_request
from lexdial.domain.request_parse import parse_request
from lexdial.rules.engine import Engine

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- comparing outcomes -----------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types, recursively (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, frozenset):
        return a == b and all(type(x) is str or type(x) is int for x in a | b)
    if isinstance(a, datetime | date | time):
        return repr(a) == repr(b)  # tzinfo included
    return bool(a == b) or (a != a and b != b)  # NaN


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except Exception as exc:  # the exception itself is the outcome compared
        return "error", (type(exc), str(exc), getattr(exc, "field", None))


def assert_same_reading(text: str | bytes) -> None:
    want = outcome(lambda: parse_request(json.loads(text)))
    got = outcome(lambda: read_request(text)[1])
    if want[0] == "ok" and got[0] == "ok":
        assert same(got[1], want[1]), (text, got[1], want[1])
    else:
        assert got == want, text


# --- the structure is pinned ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (
            d.DecisionRequest,
            "at number purpose technology line_type address subject relationship consents "
            "suppression reassigned history debt gdpr incident campaign script firm_name "
            "subscriber matter_type preferences",
        ),
        (d.Address, "country state zip time_zone postcode"),
        (d.Relationship, "type last_transaction_on inquiry_on routinely_uses_services"),
        (d.Consent, "id kind given_at scope technologies sellers method revoked_at"),
        (
            d.Suppression,
            "national_dnc national_dnc_registered_on state_dnc internal_dnc "
            "tps_registered_on registry_synced_on",
        ),
        (d.Reassigned, "result checked_on"),
        (d.HistoryEntry, "at purpose subject debt_id outcome technology"),
        (d.TimeRange, "start end"),
        (
            d.Debt,
            "id type represented_by_attorney represented_since inconvenient_times "
            "cease_requested_at time_barred",
        ),
        (d.Gdpr, "objected_at erased lawful_basis"),
        (d.Incident, "kind occurred_on"),
        (
            d.Campaign,
            "given mode abandonment_rate_30d ring_timeout_s caller_id safe_harbor_message",
        ),
        (
            d.Script,
            "given identifies_firm_at_start states_callback_number offers_opt_out "
            "opt_out_within_2s offers_dnc_list discloses_ai voicemail_text threatens_suit",
        ),
        (
            d.Preferences,
            "shared_line voicemail_details_ok inconvenient_times workplace_number no_calls_at_work",
        ),
        (d.StatedTime, "days start end"),
    ],
)
def test_the_fast_reader_builds_each_part_in_its_declared_field_order(
    cls: type[NamedTuple], fields: str
) -> None:
    # request_fast builds these with tuple.__new__, by position: a field added or moved
    # in decision.py must be added or moved there too
    assert cls._fields == tuple(fields.split())


@pytest.mark.parametrize(
    ("alias", "values"),
    [
        ("Purpose", d.PURPOSES),
        ("Technology", d.TECHNOLOGIES),
        ("LineType", d.LINE_TYPES),
        ("ConsentKind", d.CONSENT_KINDS),
        ("Relation", d.RELATIONSHIPS),
        ("Result", d.REASSIGNED_RESULTS),
        ("Outcome", d.OUTCOMES),
        ("Mode", d.CAMPAIGN_MODES),
        ("IncidentKind", d.INCIDENT_KINDS),
        ("Basis", d.LAWFUL_BASES),
        ("Subscriber", d.SUBSCRIBERS),
        ("MatterType", d.MATTER_TYPES),
    ],
)
def test_the_fast_readers_vocabularies_are_the_domains(alias: str, values: frozenset[str]) -> None:
    assert set(get_args(getattr(request_schema, alias))) == values


# --- generated documents ------------------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.just([]),
    st.just({}),
    st.just(["reminder"]),
)
#: date-times the reference accepts (offsets, fractions, a space, the basic format, a date)
STAMPS = (
    "2026-03-08T07:30:00Z",
    "2026-11-01T06:15:00+00:00",
    "2026-07-04T12:00:00-05:00",
    "2026-07-04T12:00:00.123456+05:30",
    "2026-07-04T12:00Z",
    "2026-07-04 12:00:00Z",
    "20260704T120000Z",
    "2026-07-04",
)
BAD_STAMPS = (
    "2026-07-04T12:00:00",
    "2026-02-30T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-01:00",
    "yesterday",
    "20260704",
)
DAYS = ("2026-01-15", "2025-12-31", "2026-W02-1", "2026-01-15T23:30:00-08:00")
BAD_DAYS = ("20260115", "2026-13-01", " 2026-01-15", "2026-01-15T10:00:00")
CLOCKS = ("08:00", "21:30", "23:59", "08:00:30", "00:00")
BAD_CLOCKS = ("24:00", "8:00", "noon")


class Shapes:
    """Strategies for one document tree: ``noisy`` mixes in near misses and junk."""

    def __init__(self, noisy: bool) -> None:
        self.noisy = noisy

    def pick(self, good: tuple[Any, ...], bad: tuple[Any, ...] = ()) -> st.SearchStrategy[Any]:
        return st.sampled_from(good + bad if self.noisy else good)

    def vocab(self, values: frozenset[str]) -> st.SearchStrategy[Any]:
        near = (min(values).upper(), f"{min(values)} ", "")
        return self.pick(tuple(sorted(values)), near)

    def field(self, valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        """A required field: a valid value, or (noisy) null or junk now and then."""
        if not self.noisy:
            return valid
        return st.one_of(valid, valid, valid, valid, valid, valid, st.none(), JUNK)

    def opt(self, valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        """An optional field: null is valid too."""
        return st.one_of(self.field(valid), st.none())

    def obj(
        self,
        required: dict[str, st.SearchStrategy[Any]],
        optional: dict[str, st.SearchStrategy[Any]],
    ) -> st.SearchStrategy[Any]:
        @st.composite
        def draw_obj(draw: st.DrawFn) -> Any:
            out = {
                k: draw(v)
                for k, v in required.items()
                if not self.noisy or draw(st.integers(0, 15))
            }
            out.update({k: draw(v) for k, v in optional.items() if draw(st.booleans())})
            if self.noisy:
                roll = draw(st.integers(0, 30))
                if roll == 0:
                    out["unknown_field"] = draw(JUNK)
                elif roll == 1:
                    return draw(JUNK)
            return out

        return draw_obj()

    def listed(self, item: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return self.opt(st.lists(item, max_size=3))

    def document(self) -> st.SearchStrategy[Any]:
        f, o, pick, vocab, obj = self.field, self.opt, self.pick, self.vocab, self.obj
        stamps, days = pick(STAMPS, BAD_STAMPS), pick(DAYS, BAD_DAYS)
        text = st.text(max_size=5)
        ident = st.one_of(text, st.integers(-5, 10**20))
        purposes, techs = vocab(d.PURPOSES), vocab(d.TECHNOLOGIES)
        flags = (
            "identifies_firm_at_start",
            "states_callback_number",
            "offers_opt_out",
            "opt_out_within_2s",
            "offers_dnc_list",
            "discloses_ai",
        )
        address = obj(
            {},
            {
                "country": o(pick(("US", "us", " US ", "FR", "GB"), ("USA", "U1"))),
                "state": o(pick(("NY", "ny", "FL ", "OH"), ("XX", "N1", "Ohio"))),
                "zip": o(pick(("10001", "32501-1234", " 33602 "), ("1000", "10001-12"))),
                "time_zone": o(pick(("America/Chicago", "UTC", "Europe/Paris"), ("Eastern",))),
                "postcode": o(pick(("SW1A 1AA", "1012 ab", " D02 X285 "), ("", "12#4", "x" * 13))),
            },
        )
        consent = obj(
            {"kind": f(vocab(d.CONSENT_KINDS))},
            {
                "given_at": o(stamps),
                "id": o(ident),
                "scope": o(st.lists(purposes, max_size=4)),
                "technologies": o(st.lists(techs, max_size=3)),
                "seller": o(st.one_of(st.just("Hartwell & Ruiz LLP"), st.lists(text, max_size=2))),
                "method": o(text),
                "revoked_at": o(stamps),
            },
        )
        history = obj(
            {"at": f(stamps)},
            {
                "purpose": o(purposes),
                "subject": o(text),
                "debt_id": o(ident),
                "outcome": o(vocab(d.OUTCOMES)),
                "technology": o(techs),
            },
        )
        clocks = pick(CLOCKS, BAD_CLOCKS)
        return obj(
            {
                "at": f(stamps),
                "number": f(pick(("+1 212 555 0134", "(850) 555-0101"), ("", "  ", "abc"))),
                "purpose": f(purposes),
                "technology": f(techs),
            },
            {
                "line_type": o(vocab(d.LINE_TYPES)),
                "address": o(address),
                "subject": o(text),
                "relationship": o(
                    obj(
                        {},
                        {
                            "type": o(vocab(d.RELATIONSHIPS)),
                            "last_transaction_on": o(days),
                            "inquiry_on": o(days),
                            "routinely_uses_services": o(st.booleans()),
                        },
                    )
                ),
                "consents": self.listed(consent),
                "suppression": o(
                    obj(
                        {},
                        {
                            "national_dnc": o(st.booleans()),
                            "national_dnc_registered_on": o(days),
                            "state_dnc": o(st.booleans()),
                            "internal_dnc": o(st.booleans()),
                            "tps_registered_on": o(days),
                            "registry_synced_on": o(days),
                        },
                    )
                ),
                "reassigned": o(
                    obj({"result": f(vocab(d.REASSIGNED_RESULTS))}, {"checked_on": o(days)})
                ),
                "history": self.listed(history),
                "debt": o(
                    obj(
                        {},
                        {
                            "id": o(ident),
                            "type": o(text),
                            "represented_by_attorney": o(st.booleans()),
                            "represented_since": o(stamps),
                            "inconvenient_times": self.listed(
                                obj({"start": f(clocks), "end": f(clocks)}, {})
                            ),
                            "cease_requested_at": o(stamps),
                            "time_barred": o(st.booleans()),
                        },
                    )
                ),
                "gdpr": o(
                    obj(
                        {},
                        {
                            "objected_at": o(stamps),
                            "erased": o(st.booleans()),
                            "lawful_basis": o(
                                st.one_of(
                                    vocab(d.LAWFUL_BASES),
                                    st.dictionaries(purposes, vocab(d.LAWFUL_BASES), max_size=3),
                                )
                            ),
                        },
                    )
                ),
                "incident": o(
                    obj({"kind": f(vocab(d.INCIDENT_KINDS)), "occurred_on": f(days)}, {})
                ),
                "campaign": o(
                    obj(
                        {},
                        {
                            "mode": o(vocab(d.CAMPAIGN_MODES)),
                            "abandonment_rate_30d": o(
                                pick((0, 1, 0.03, 0.0), (1.5, -0.1, 10**400, 3, True))
                            ),
                            "ring_timeout_s": o(pick((0, 15, 20.5, 10**30), (-1, False))),
                            "caller_id": o(
                                pick(("+13125550000", "withheld", " WITHHELD "), ("123", "x"))
                            ),
                            "safe_harbor_message": o(st.booleans()),
                        },
                    )
                ),
                "script": o(
                    obj(
                        {},
                        {
                            **{k: o(st.booleans()) for k in flags},
                            "voicemail_text": o(text),
                            "threatens_suit": o(st.booleans()),
                        },
                    )
                ),
                "firm": o(obj({}, {"name": o(text)})),
                "subscriber": o(vocab(d.SUBSCRIBERS)),
                "matter": o(obj({}, {"type": o(vocab(d.MATTER_TYPES))})),
                "preferences": o(
                    obj(
                        {},
                        {
                            "shared_line": o(st.booleans()),
                            "voicemail_details_ok": o(st.booleans()),
                            "inconvenient_times": self.listed(
                                obj(
                                    {"from": f(clocks), "to": f(clocks)},
                                    {
                                        "days": o(
                                            pick(
                                                (["mon"], ["sat", "sun"]),
                                                ([], ["monday"], "mon"),
                                            )
                                        )
                                    },
                                )
                            ),
                            "workplace_number": o(st.booleans()),
                            "no_calls_at_work": o(st.booleans()),
                        },
                    )
                ),
            },
        )


#: half the documents are valid through and through, half carry near misses and junk
document = st.one_of(Shapes(noisy=False).document(), Shapes(noisy=True).document())


@SETTINGS
@given(doc=document)
def test_a_generated_document_reads_as_the_reference_reads_it(doc: Any) -> None:
    assert_same_reading(json.dumps(doc))


@SETTINGS
@given(doc=document)
def test_the_same_document_as_utf8_bytes_reads_the_same(doc: Any) -> None:
    assert_same_reading(json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def test_a_valid_document_takes_the_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback is not silently taken for ordinary requests (it would only be slow)."""

    def refuse(_data: Any) -> d.DecisionRequest:
        raise AssertionError("the reference reader was used")

    monkeypatch.setattr(request_fast, "parse_request", refuse)
    full = build(
        consents=[pec(), pewc(seller=["Hartwell & Ruiz LLP", "Other LLP"], id=7)],
        history=[{"at": "2026-11-30T15:00:00-05:00", "purpose": "reminder", "debt_id": 4}],
        address={"country": "us", "state": "oh", "zip": "43215-1234", "time_zone": "UTC"},
        relationship={"type": "former_client", "last_transaction_on": "2026-01-02"},
        reassigned={"result": "no", "checked_on": "2026-11-30"},
        debt={"id": "A-1", "inconvenient_times": [{"start": "22:00", "end": "07:00"}]},
        gdpr={"lawful_basis": {"reminder": "contract"}, "objected_at": None},
        incident={"kind": "accident", "occurred_on": "2026-10-01"},
        campaign={"mode": "predictive", "abandonment_rate_30d": 0, "caller_id": "withheld"},
        script={"offers_opt_out": True, "voicemail_text": None},
        matter={"type": "estate"},
        preferences={"shared_line": False},
        subscriber="consumer",
        subject="hearing",
    )
    for doc in (BASE, full):
        text = json.dumps(doc)
        raw, request = read_request(text)
        assert raw == doc
        assert same(request, parse_request(json.loads(text)))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"at": NaN}', id="nan-literal"),
        pytest.param(json.dumps({**BASE, "subject": "\ud800"}), id="lone-surrogate"),
        pytest.param(b"\xef\xbb\xbf" + json.dumps(BASE).encode(), id="utf8-bom-bytes"),
        pytest.param(json.dumps(BASE).encode("utf-16"), id="utf16-bytes"),
        pytest.param(json.dumps({**BASE, "campaign": {"ring_timeout_s": 1e400}}), id="inf"),
        pytest.param(json.dumps({**BASE, "debt": {"id": 10**30}}), id="big-int-id"),
        pytest.param('{"at": 1' + "0" * 5000 + "}", id="int-beyond-the-digit-limit"),
        pytest.param(json.dumps(BASE) + " x", id="trailing-garbage"),
        pytest.param("", id="empty"),
        pytest.param("[]", id="array"),
        pytest.param('{"at": "2026-12-02T16:00:00Z", "at": null}', id="duplicate-key"),
        pytest.param(json.dumps({**BASE, "consents": [pec(id=True)]}), id="bool-id"),
    ],
)
def test_text_msgspec_refuses_or_the_structs_refuse_reads_as_the_reference(
    text: str | bytes,
) -> None:
    assert_same_reading(text)


def test_a_bytearray_reads_as_the_reference() -> None:
    assert_same_reading(bytearray(json.dumps(BASE).encode()))  # type: ignore[arg-type]


@SETTINGS
@given(doc=document)
def test_decide_json_decides_as_decide_on_the_loaded_document(engine: Engine, doc: Any) -> None:
    text = json.dumps(doc)
    want = outcome(lambda: decide(json.loads(text), engine=engine).to_json())
    got = outcome(lambda: decide_json(text, engine=engine).to_json())
    assert got == want
