"""Twilio Access Tokens for agents, and the settings they are built from."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from lexdial.adapters.telephony.twilio_tokens import MAX_TTL_S, TwilioTokenMinter
from lexdial.config import load_settings
from lexdial.errors import ConfigError

ACCOUNT = "AC" + "5e" * 16
KEY = "SK" + "0123456789abcdef" * 2
APP = "AP" + "0123456789abcdef" * 2
SECRET = "k" * 32


def test_a_token_is_twilios_documented_jwt_for_one_identity_valid_at_most_an_hour() -> None:
    token = TwilioTokenMinter(ACCOUNT, KEY, SECRET, APP).mint("ana.desk")
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT",
                                                "cty": "twilio-fpa;v=1"}  # fmt: skip
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert (claims["iss"], claims["sub"]) == (KEY, ACCOUNT)
    assert claims["jti"] == f"{KEY}-{claims['nbf']}"
    assert claims["grants"] == {
        "identity": "ana.desk",
        "voice": {"incoming": {"allow": True}, "outgoing": {"application_sid": APP}},
    }
    assert claims["exp"] - claims["nbf"] == MAX_TTL_S == 3600
    assert abs(claims["nbf"] - time.time()) < 60


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"account_sid": "AC123"}, "account_sid"),
        ({"api_key_sid": ACCOUNT}, "api_key_sid"),
        ({"twiml_app_sid": "AP" + "z" * 32}, "twiml_app_sid"),
        ({"api_key_secret": ""}, "api_key_secret"),
        ({"ttl_s": MAX_TTL_S + 1}, "ttl_s"),
    ],
)
def test_a_minter_with_a_bad_setting_is_refused_naming_it(fields: dict[str, object],
                                                          named: str) -> None:  # fmt: skip
    given: dict[str, object] = {"account_sid": ACCOUNT, "api_key_sid": KEY,
                                "api_key_secret": SECRET, "twiml_app_sid": APP}  # fmt: skip
    given |= fields
    with pytest.raises(ValueError, match=named):
        TwilioTokenMinter(**given)  # type: ignore[arg-type]


@pytest.mark.parametrize("identity", ["", "a b", "client:ana", "x" * 122, "ana&To=+1555"])
def test_no_token_is_minted_for_what_is_not_a_client_identity(identity: str) -> None:
    with pytest.raises(ValueError, match="identity"):
        TwilioTokenMinter(ACCOUNT, KEY, SECRET, APP).mint(identity)


def test_the_secret_never_shows_in_the_minter_or_the_settings(tmp_path: Path) -> None:
    assert SECRET not in repr(TwilioTokenMinter(ACCOUNT, KEY, SECRET, APP))
    path = tmp_path / "lexdial.toml"
    path.write_text(f'[telephony]\ntwilio_api_key_sid = "{KEY}"\ntwilio_twiml_app_sid = "{APP}"\n')
    t = load_settings(path, {"LEXDIAL_TWILIO_API_KEY_SECRET": SECRET}).telephony
    assert (t.twilio_api_key_sid, t.twilio_api_key_secret, t.twilio_twiml_app_sid) == (
        KEY, SECRET, APP,
    )  # fmt: skip
    assert SECRET not in repr(t)


def test_the_secret_is_read_from_a_file_and_refused_in_the_toml(tmp_path: Path) -> None:
    secret = tmp_path / "twilio-key"
    secret.write_text(SECRET + "\n")
    path = tmp_path / "lexdial.toml"
    path.write_text(f'[telephony]\ntwilio_api_key_sid = "{KEY}"\n'
                    f'twilio_api_key_secret_file = "{secret}"\n')  # fmt: skip
    assert load_settings(path, {}).telephony.twilio_api_key_secret == SECRET
    path.write_text(f'[telephony]\ntwilio_api_key_sid = "{KEY}"\n'
                    f'twilio_api_key_secret = "{SECRET}"\n')  # fmt: skip
    with pytest.raises(ConfigError, match="LEXDIAL_TWILIO_API_KEY_SECRET") as refused:
        load_settings(path, {})
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        (f'twilio_api_key_sid = "{KEY}"', "needs its secret"),  # a key without its secret
        ('twilio_api_key_sid = "SK123"', "telephony.twilio_api_key_sid"),
        (f'twilio_twiml_app_sid = "{KEY}"', "telephony.twilio_twiml_app_sid"),
        ('twilio_api_key_secret_file = "/nonexistent/key"', "cannot be read"),
    ],
)
def test_api_key_settings_that_cannot_work_are_refused(tmp_path: Path, line: str,
                                                        named: str) -> None:  # fmt: skip
    path = tmp_path / "lexdial.toml"
    path.write_text(f"[telephony]\n{line}\n")
    with pytest.raises(ConfigError, match=named):
        load_settings(path, {})


def test_the_readme_agents_on_twilio_example_loads(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text("utf-8")
    section = readme.split("## Agents on Twilio", 1)[1]
    block = re.findall(r"```toml\n(.*?)```", section, re.S)[0]
    path = tmp_path / "lexdial.toml"
    path.write_text(block)
    t = load_settings(path, {"LEXDIAL_TWILIO_API_KEY_SECRET": SECRET}).telephony
    assert (t.twilio_api_key_sid or "").startswith("SK")
    assert (t.twilio_twiml_app_sid or "").startswith("AP")
