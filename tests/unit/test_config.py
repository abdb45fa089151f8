"""Settings: protective defaults, a firm's policy file, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexdial.config import load_settings
from lexdial.errors import ConfigError
from lexdial.rules.context import Policy


def test_without_a_settings_file_the_protective_defaults_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.policy == Policy()
    assert settings.policy.all_calls_window == ("08:00", "21:00")
    assert settings.policy.dialer_rules_all_purposes is True


def test_a_policy_file_changes_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text(
        '[policy]\nall_calls_window = ["09:00", "20:00"]\nrequire_reassigned_check = true\n'
    )
    policy = load_settings(path).policy
    assert policy.all_calls_window == ("09:00", "20:00")
    assert policy.require_reassigned_check is True
    assert policy.require_ai_disclosure is True


def test_the_settings_path_can_come_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "firm.toml"
    path.write_text('[policy]\ndefault_region = "gb"\n')
    assert load_settings(environ={"LEXDIAL_SETTINGS": str(path)}).policy.default_region == "GB"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param("[policy]\ncolour = 1\n", "unknown keys", id="an-unknown-key"),
        pytest.param(
            '[policy]\nall_calls_window = ["9", "20"]\n', "all_calls_window", id="a-bad-window"
        ),
        pytest.param(
            '[policy]\nrequire_ai_disclosure = "yes"\n', "require_ai_disclosure", id="a-bad-flag"
        ),
        pytest.param('[policy]\ndefault_region = "USA"\n', "default_region", id="a-bad-region"),
        pytest.param("[policy\n", "cannot read", id="broken-toml"),
        pytest.param('[rules]\npack_dir = "nowhere"\n', "pack_dir", id="a-missing-pack"),
        pytest.param('[telephony]\ncarrier = "pstn"\n', "telephony.carrier", id="a-bad-carrier"),
        pytest.param('[telephony]\ncarrier = "sip"\n', "telephony.trunk", id="sip-no-trunk"),
        pytest.param(
            '[telephony]\ncarrier = "twilio"\nwebhook_base_url = "http://x"\n',
            "webhook_base_url",
            id="twilio-plain-http-webhooks",
        ),
        pytest.param("[telephony]\nchannels = 0\n", "telephony.channels", id="no-channels"),
        pytest.param("[telephony]\ntoken = 1\n", "unknown keys", id="a-secret-in-the-file"),
    ],
)
def test_a_bad_settings_file_is_an_error_naming_the_setting(
    tmp_path: Path, text: str, field: str
) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=field):
        load_settings(path)


def test_a_settings_path_in_the_environment_that_does_not_exist_is_an_error() -> None:
    with pytest.raises(ConfigError, match="not a file"):
        load_settings(environ={"LEXDIAL_SETTINGS": "/nonexistent/lexdial.toml"})


def test_the_carrier_settings_are_read_and_the_simulated_carrier_is_the_default(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text('[telephony]\ncarrier = "sip"\ntrunk = "127.0.0.1:5070"\ncps = 2\n')
    t = load_settings(path).telephony
    assert (t.carrier, t.trunk, t.cps, t.channels) == ("sip", "127.0.0.1:5070", 2.0, 100)
    path.write_text("")
    assert load_settings(path).telephony.carrier == "simulated"


def test_the_twilio_carrier_refuses_to_start_without_credentials_in_the_environment(
    tmp_path: Path,
) -> None:
    from lexdial.bootstrap import open_telephony

    path = tmp_path / "lexdial.toml"
    path.write_text('[telephony]\ncarrier = "twilio"\nwebhook_base_url = "https://x.test/tw"\n')
    with pytest.raises(ConfigError, match="LEXDIAL_TWILIO_ACCOUNT_SID"):
        open_telephony(load_settings(path), {})


@pytest.mark.parametrize("category", ["dnc_entries", "call_records", "revoked_consents"])
def test_a_retention_below_its_legal_minimum_is_refused_naming_it_and_the_minimum(
    tmp_path: Path, category: str
) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text(f"[retention]\n{category} = 1\n")
    with pytest.raises(ConfigError, match=rf"retention\.{category} = 1 days .* 1827 days \("):
        load_settings(path)


def test_an_unknown_retention_category_is_refused_when_the_settings_are_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text("[retention]\ndnc = 4000\n")
    with pytest.raises(ConfigError, match=r"retention\.dnc is not a data category"):
        load_settings(path)


def test_a_retention_at_or_above_the_minimum_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text("[retention]\ndnc_entries = 1827\ncall_records = 4000\n")
    assert load_settings(path).retention == {"dnc_entries": 1827, "call_records": 4000}


def test_twilio_dials_one_call_a_second_unless_cps_is_set(tmp_path: Path) -> None:
    path = tmp_path / "lexdial.toml"
    base = 'webhook_base_url = "https://dialer.example.com/webhooks/twilio"\n'
    path.write_text('[telephony]\ncarrier = "twilio"\n' + base)
    t = load_settings(path).telephony
    assert (t.cps, t.cps_for("twilio"), t.cps_for("sip")) == (1.0, 1.0, 10.0)
    assert t.webhook_listen == ("127.0.0.1", 8088)
    path.write_text('[telephony]\ncarrier = "twilio"\ncps = 5\nwebhook_listen = "0.0.0.0:9000"\n'
                    + base)  # fmt: skip
    t = load_settings(path).telephony
    assert (t.cps_for("twilio"), t.webhook_listen) == (5.0, ("0.0.0.0", 9000))
    path.write_text("[telephony]\n")  # simulated; `campaign run --carrier twilio` still 1 CPS
    assert load_settings(path).telephony.cps_for("twilio") == 1.0


@pytest.mark.parametrize(
    "line",
    [
        'webhook_base_url = "https://dialer.example.com/tw?x=1"',
        'webhook_base_url = "https:///tw"',
        'webhook_listen = "localhost:8088"',
        'webhook_listen = "127.0.0.1"',
        'webhook_listen = "127.0.0.1:70000"',
    ],
)
def test_twilio_webhook_settings_that_cannot_work_are_refused(tmp_path: Path, line: str) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text(f"[telephony]\n{line}\n")
    key = line.split(" ", 1)[0]
    with pytest.raises(ConfigError, match=f"telephony.{key}"):
        load_settings(path)


def test_the_readme_twilio_example_loads(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = readme.split("### Twilio (`[telephony]`)", 1)[1]
    (block,) = re.findall(r"```toml\n(.*?)```", section, re.S)[:1]
    path = tmp_path / "lexdial.toml"
    path.write_text(block)
    t = load_settings(path).telephony
    assert (t.carrier, t.cps_for("twilio"), t.webhook_listen) == (
        "twilio",
        1.0,
        ("127.0.0.1", 8088),
    )
