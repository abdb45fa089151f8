"""Carrier faults, pure: which failures are the carrier's, and how the back-off counts them."""

from __future__ import annotations

import pytest

from lexdial.domain.campaign_spec import parse_spec
from lexdial.domain.carrier_faults import CarrierBackoff, carrier_fault
from lexdial.errors import RequestError

CARRIER = [
    pytest.param("sip 503", "503 Service Unavailable", id="sip-503"),
    pytest.param("503", "503 Service Unavailable", id="simulated-503"),
    pytest.param("sip 500", "500 Server Internal Error", id="sip-500"),
    pytest.param("sip 599", "sip 599", id="unnamed-5xx-keeps-its-text"),
    pytest.param("sip 408", "408 Request Timeout", id="trunk-timeout"),
    pytest.param("sip 403", "403 Forbidden", id="trunk-refuses-us"),
    pytest.param("sip 401", "401 Unauthorized", id="credentials-wrong"),
    pytest.param(
        "Twilio dial failed: HTTP 503, error 20003", "503 Service Unavailable", id="twilio-5xx"
    ),
    pytest.param(
        "Twilio unreachable: ConnectTimeout",
        "Twilio unreachable: ConnectTimeout",
        id="twilio-unreachable",
    ),
    pytest.param("Connection refused", "Connection refused", id="errno-text"),
    pytest.param("dial setup failed", "dial setup failed", id="baresip-setup"),
    pytest.param(None, "failed, no cause given", id="no-detail"),
    pytest.param("  ", "failed, no cause given", id="blank-detail"),
]
CALLEE = [
    pytest.param("sip 404", id="number-not-found"),
    pytest.param("sip 484", id="address-incomplete"),
    pytest.param("sip 604", id="does-not-exist-anywhere"),
    pytest.param("twilio 400 error 21211", id="twilio-invalid-number"),
    pytest.param("number format", id="our-number-format"),
    pytest.param("no RTP port", id="our-own-machine"),
]


@pytest.mark.parametrize(("detail", "why"), CARRIER)
def test_a_failure_the_carrier_caused_is_named_in_a_few_words(detail: str | None, why: str) -> None:
    assert carrier_fault(detail) == why


@pytest.mark.parametrize("detail", CALLEE)
def test_a_failure_about_the_number_is_not_the_carriers(detail: str) -> None:
    assert carrier_fault(detail) is None


def test_each_fault_in_a_row_doubles_the_wait_up_to_its_cap() -> None:
    b = CarrierBackoff(limit=10, base_s=0.5, max_s=4.0)
    waits = []
    for i in range(6):
        b.failed(100.0 + i * 10, "503 Service Unavailable")
        waits.append(b.wait_s(100.0 + i * 10))
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert b.wait_s(200.0) == 0.0  # the wait is over: dial again


def test_each_fault_in_a_row_halves_the_lines_down_to_one() -> None:
    b = CarrierBackoff()
    assert b.room(40, 0) == 40
    rooms = []
    for _ in range(7):
        b.failed(0.0, "503 Service Unavailable")
        rooms.append(b.room(40, 0))
    assert rooms == [20, 10, 5, 2, 1, 1, 1]
    assert b.room(40, 1) == 0  # the one line allowed is up already


def test_a_call_the_carrier_placed_resets_the_count_the_wait_and_the_lines() -> None:
    b = CarrierBackoff(limit=3)
    b.failed(0.0, "503 Service Unavailable")
    b.failed(0.1, "503 Service Unavailable")
    b.placed()
    assert (b.streak, b.last, b.wait_s(0.1), b.room(8, 0), b.tripped) == (0, None, 0.0, 8, False)


def test_the_limit_of_faults_in_a_row_trips_it_with_a_reason_naming_the_cause() -> None:
    b = CarrierBackoff(limit=3)
    for i in range(3):
        assert not b.tripped
        b.failed(float(i), "503 Service Unavailable")
    assert b.tripped
    assert b.reason.startswith(
        "carrier failing: 3 calls in a row failed at the carrier (503 Service Unavailable)"
    )


def test_a_backoff_with_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        CarrierBackoff(limit=0)


SPEC = {"name": "r", "purpose": "reminder", "mode": "broadcast", "message": {"text": "Hi."}}


def test_a_campaign_pauses_after_ten_carrier_failures_unless_its_settings_say_otherwise() -> None:
    assert parse_spec(SPEC).pacing.max_carrier_failures == 10
    spec = parse_spec({**SPEC, "pacing": {"max_carrier_failures": 3}})
    assert spec.pacing.max_carrier_failures == 3
    assert spec.to_json()["pacing"] == {"max_carrier_failures": 3}
    assert parse_spec(spec.to_json()) == spec


@pytest.mark.parametrize(
    "value", [0, 1001, 2.5, "10", True, None], ids=["zero", "huge", "float", "text", "bool", "null"]
)
def test_a_bad_carrier_failure_limit_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(RequestError) as caught:
        parse_spec({**SPEC, "pacing": {"max_carrier_failures": value}})
    assert caught.value.field == "pacing.max_carrier_failures"
    assert "carrier failures in a row" in str(caught.value)


def test_an_unknown_pacing_setting_is_refused_naming_it() -> None:
    with pytest.raises(RequestError) as caught:
        parse_spec({**SPEC, "pacing": {"max_failures": 3}})
    assert caught.value.field == "pacing.max_failures"
