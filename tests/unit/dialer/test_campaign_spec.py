"""A campaign's settings: the documented defaults, the technology it implies, one error per
bad field naming that field, and the stored form read back to the same spec."""

from __future__ import annotations

import copy
import json
from datetime import time
from typing import Any

import pytest

from lexdial.domain.campaign_spec import CampaignSpec, parse_spec
from lexdial.errors import RequestError

DROP = object()

MINIMAL: dict[str, Any] = {
    "name": "Hearing reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "message": {"text": "This is Hartwell and Ruiz. To stop these calls, press 9."},
}


def campaign(**changes: Any) -> dict[str, Any]:
    """MINIMAL with top-level settings replaced; a value of DROP removes the setting."""
    out = copy.deepcopy(MINIMAL)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_a_minimal_spec_gets_the_protective_defaults() -> None:
    spec = parse_spec(campaign())
    assert (spec.name, spec.purpose, spec.mode) == ("Hearing reminders", "reminder", "broadcast")
    assert spec.ring_timeout_s == 25.0
    assert (spec.retry.max_attempts, spec.retry.delay_minutes) == (3, 120)
    assert spec.retry.on == ("no_answer", "busy", "failed")
    assert spec.opt_out_key == "9"
    assert spec.schedule.days == ("mon", "tue", "wed", "thu", "fri")
    assert (spec.schedule.start, spec.schedule.end) == (time(9, 0), time(17, 0))
    assert spec.channels == 50
    assert spec.leave_voicemail is True
    assert spec.caller_id is None and spec.subject is None
    assert spec.message.audio is None and spec.message.safe_harbor_text is None


def test_text_is_trimmed_and_a_setting_given_as_null_gets_its_default() -> None:
    spec = parse_spec(
        campaign(
            name="  Hearing reminders ",
            message={"text": " Hello. ", "audio": None, "optout_confirm_text": None},
        )
    )
    assert spec.name == "Hearing reminders"
    assert spec.message.text == "Hello."
    assert spec.message.audio is None
    assert spec.message.optout_confirm_text.startswith("You will not receive further calls")


TECHNOLOGY = [
    pytest.param("broadcast", {"audio": "reminder.wav"}, "prerecorded", id="broadcast-audio"),
    pytest.param(
        "broadcast", {"text": "Hello.", "audio": "r.wav"}, "prerecorded", id="broadcast-both"
    ),
    pytest.param("broadcast", {"text": "Hello."}, "artificial_voice", id="broadcast-text-only"),
    pytest.param("preview", {"text": "Hello."}, "autodialed", id="preview"),
    pytest.param("progressive", {"text": "Hello."}, "autodialed", id="progressive"),
    pytest.param("predictive", {"text": "Hello."}, "autodialed", id="predictive"),
    pytest.param("predictive", {"audio": "r.wav"}, "autodialed", id="predictive-with-audio"),
]


@pytest.mark.parametrize(("mode", "message", "technology"), TECHNOLOGY)
def test_the_technology_follows_from_the_mode_and_the_message(
    mode: str, message: dict[str, str], technology: str
) -> None:
    assert parse_spec(campaign(mode=mode, message=message)).technology == technology


ACCEPTED = [
    pytest.param({"retry": {"max_attempts": 1}}, "retry.max_attempts", 1, id="one-attempt"),
    pytest.param({"retry": {"max_attempts": 20}}, "retry.max_attempts", 20, id="twenty-attempts"),
    pytest.param({"retry": {"on": ["machine"]}}, "retry.on", ("machine",), id="retry-machine"),
    pytest.param({"retry": {"on": []}}, "retry.on", (), id="retry-on-nothing"),
    pytest.param({"ring_timeout_s": 300}, "ring_timeout_s", 300.0, id="ring-300"),
    pytest.param({"ring_timeout_s": 17.5}, "ring_timeout_s", 17.5, id="ring-fractional"),
    pytest.param({"opt_out_key": "*"}, "opt_out_key", "*", id="key-star"),
    pytest.param({"opt_out_key": "#"}, "opt_out_key", "#", id="key-hash"),
    pytest.param({"opt_out_key": "0"}, "opt_out_key", "0", id="key-0"),
    pytest.param({"channels": 1}, "channels", 1, id="one-channel"),
    pytest.param({"channels": 10000}, "channels", 10000, id="10000-channels"),
    pytest.param({"leave_voicemail": False}, "leave_voicemail", False, id="no-voicemail"),
    pytest.param(
        {"schedule": {"start": "00:00", "end": "23:59"}},
        "schedule.start",
        time(0, 0),
        id="all-day-schedule",
    ),
    pytest.param({"schedule": {"days": ["sat"]}}, "schedule.days", ("sat",), id="saturday-only"),
    pytest.param(
        {"schedule": {"end": "12:30"}}, "schedule.start", time(9, 0), id="end-only-keeps-start"
    ),
]


@pytest.mark.parametrize(("changes", "path", "value"), ACCEPTED)
def test_values_at_the_edges_of_their_range_are_accepted(
    changes: dict[str, Any], path: str, value: object
) -> None:
    got: object = parse_spec(campaign(**changes))
    for part in path.split("."):
        got = getattr(got, part)
    assert got == value


BAD = [
    pytest.param(campaign(name=DROP), "name", id="missing-name"),
    pytest.param(campaign(name="   "), "name", id="blank-name"),
    pytest.param(campaign(name=42), "name", id="name-not-text"),
    pytest.param(campaign(purpose=DROP), "purpose", id="missing-purpose"),
    pytest.param(campaign(purpose="sales"), "purpose", id="unknown-purpose"),
    pytest.param(campaign(mode="robocall"), "mode", id="unknown-mode"),
    pytest.param(campaign(mode="Broadcast"), "mode", id="mode-in-capitals"),
    pytest.param(campaign(message=DROP), "message", id="missing-message"),
    pytest.param(campaign(message="Hello."), "message", id="message-not-object"),
    pytest.param(campaign(message={}), "message", id="empty-message"),
    pytest.param(
        campaign(message={"voicemail_text": "Please call us."}),
        "message",
        id="message-without-text-or-audio",
    ),
    pytest.param(campaign(message={"text": "  "}), "message.text", id="blank-message-text"),
    pytest.param(
        campaign(message={"text": "Hello.", "txt": "Hi."}), "message.txt", id="unknown-message-key"
    ),
    pytest.param(campaign(campaign_name="x"), "campaign_name", id="unknown-top-level-key"),
    pytest.param(campaign(days=["mon"]), "days", id="schedule-key-at-top-level"),
    pytest.param(campaign(schedule=[]), "schedule", id="schedule-not-object"),
    pytest.param(campaign(schedule={"days": []}), "schedule.days", id="days-empty"),
    pytest.param(campaign(schedule={"days": ["mon", "funday"]}), "schedule.days", id="funday"),
    pytest.param(campaign(schedule={"days": ["Mon"]}), "schedule.days", id="day-in-capitals"),
    pytest.param(campaign(schedule={"days": "mon"}), "schedule.days", id="days-not-a-list"),
    pytest.param(campaign(schedule={"start": "9am"}), "schedule.start", id="start-9am"),
    pytest.param(campaign(schedule={"start": "9:00"}), "schedule.start", id="start-one-digit"),
    pytest.param(campaign(schedule={"start": "24:00"}), "schedule.start", id="start-24:00"),
    pytest.param(campaign(schedule={"end": "17:60"}), "schedule.end", id="end-17:60"),
    pytest.param(
        campaign(schedule={"start": "17:00", "end": "09:00"}), "schedule.end", id="end-before-start"
    ),
    pytest.param(
        campaign(schedule={"start": "09:00", "end": "09:00"}), "schedule.end", id="end-equals-start"
    ),
    pytest.param(
        campaign(schedule={"time_zone": "America/New_York"}),
        "schedule.time_zone",
        id="schedule-has-no-zone-of-its-own",
    ),
    pytest.param(campaign(retry={"max_attempts": 0}), "retry.max_attempts", id="attempts-0"),
    pytest.param(campaign(retry={"max_attempts": 21}), "retry.max_attempts", id="attempts-21"),
    pytest.param(campaign(retry={"max_attempts": True}), "retry.max_attempts", id="attempts-true"),
    pytest.param(campaign(retry={"max_attempts": "3"}), "retry.max_attempts", id="attempts-text"),
    pytest.param(campaign(retry={"max_attempts": 2.5}), "retry.max_attempts", id="attempts-2.5"),
    pytest.param(campaign(retry={"delay_minutes": 0}), "retry.delay_minutes", id="delay-0"),
    pytest.param(campaign(retry={"on": ["busy", "human"]}), "retry.on", id="retry-on-human"),
    pytest.param(campaign(retry={"on": "busy"}), "retry.on", id="retry-on-not-a-list"),
    pytest.param(campaign(retry={"attempts": 3}), "retry.attempts", id="unknown-retry-key"),
    pytest.param(campaign(opt_out_key="99"), "opt_out_key", id="key-99"),
    pytest.param(campaign(opt_out_key="a"), "opt_out_key", id="key-a"),
    pytest.param(campaign(opt_out_key=9), "opt_out_key", id="key-as-number"),
    pytest.param(campaign(opt_out_key=""), "opt_out_key", id="key-empty"),
    pytest.param(campaign(ring_timeout_s="20"), "ring_timeout_s", id="ring-text"),
    pytest.param(campaign(ring_timeout_s=0), "ring_timeout_s", id="ring-0"),
    pytest.param(campaign(ring_timeout_s=301), "ring_timeout_s", id="ring-301"),
    pytest.param(campaign(ring_timeout_s=True), "ring_timeout_s", id="ring-true"),
    pytest.param(campaign(ring_timeout_s=float("nan")), "ring_timeout_s", id="ring-nan"),
    pytest.param(campaign(channels=0), "channels", id="channels-0"),
    pytest.param(campaign(channels=1.0), "channels", id="channels-float"),
    pytest.param(campaign(leave_voicemail="yes"), "leave_voicemail", id="voicemail-yes"),
    pytest.param(campaign(leave_voicemail=1), "leave_voicemail", id="voicemail-1"),
    pytest.param(campaign(caller_id=6145550199), "caller_id", id="caller-id-number"),
    pytest.param(campaign(subject=""), "subject", id="subject-empty"),
    pytest.param(["name", "Hearing reminders"], "campaign", id="spec-a-list"),
    pytest.param("Hearing reminders", "campaign", id="spec-a-string"),
    pytest.param(None, "campaign", id="spec-null"),
]


@pytest.mark.parametrize(("data", "field"), BAD)
def test_a_bad_setting_is_refused_naming_its_field(data: Any, field: str) -> None:
    with pytest.raises(RequestError) as err:
        parse_spec(data)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


FULL: dict[str, Any] = {
    "name": "Settlement offers",
    "purpose": "marketing",
    "mode": "predictive",
    "message": {
        "text": "This is Hartwell and Ruiz. To opt out, press #.",
        "audio": "offer.wav",
        "voicemail_text": "Please call Hartwell and Ruiz at 614-555-0199.",
        "voicemail_audio": "offer-vm.wav",
        "optout_confirm_text": "You are removed. Goodbye.",
        "safe_harbor_text": "This is Hartwell and Ruiz, 614-555-0199. To opt out, press #.",
    },
    "caller_id": "+16145550199",
    "subject": "Class action settlement",
    "schedule": {"days": ["sat", "mon"], "start": "10:30", "end": "12:05"},
    "ring_timeout_s": 30.5,
    "retry": {"max_attempts": 1, "delay_minutes": 10080, "on": ["machine", "busy"]},
    "opt_out_key": "#",
    "leave_voicemail": False,
    "channels": 3,
}


@pytest.mark.parametrize("data", [MINIMAL, FULL], ids=["minimal", "every-setting"])
def test_the_stored_form_reads_back_to_an_equal_spec(data: dict[str, Any]) -> None:
    spec = parse_spec(data)
    stored = json.loads(json.dumps(spec.to_json()))  # what the database column holds
    assert parse_spec(stored) == spec
    assert parse_spec(spec.to_json()) == spec


def test_every_setting_of_the_full_example_is_kept() -> None:
    spec = parse_spec(FULL)
    assert isinstance(spec, CampaignSpec)
    assert spec.schedule.days == ("sat", "mon")
    assert (spec.schedule.start, spec.schedule.end) == (time(10, 30), time(12, 5))
    assert spec.retry.on == ("machine", "busy")
    assert (spec.opt_out_key, spec.channels, spec.leave_voicemail) == ("#", 3, False)
    assert spec.to_json()["schedule"] == {"days": ["sat", "mon"], "start": "10:30", "end": "12:05"}
