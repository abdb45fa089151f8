"""``[desk]`` settings and the agent's leg address the dialler INVITEs (``config.desk``,
``bootstrap.webrtc``), and the gateway's SIP address parsing (``webrtc_sip.agent_of``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexdial.adapters.telephony.webrtc_sip import agent_of
from lexdial.bootstrap.webrtc import browser_leg_address
from lexdial.config import Settings, load_settings
from lexdial.config.desk import DeskSettings
from lexdial.errors import ConfigError
from lexdial.rules.context import Policy


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "lexdial.toml"
    path.write_text(text)
    return load_settings(path, {})


def test_the_softphone_gateway_listens_on_loopback_by_default(tmp_path: Path) -> None:
    settings = _load(tmp_path, "")
    assert settings.desk == DeskSettings(True, ("127.0.0.1", 5099), ("127.0.0.0/8", "::1/128"))
    assert browser_leg_address(settings, 42) == "sip:agent-42@127.0.0.1:5099"


def test_a_lan_address_is_read_and_an_ipv6_one_is_bracketed(tmp_path: Path) -> None:
    settings = _load(tmp_path, '[desk]\nwebrtc_sip = "[2001:db8::5]:5070"\n')
    assert browser_leg_address(settings, 7) == "sip:agent-7@[2001:db8::5]:5070"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[desk]\nwebrtc_sip = "pbx.example:5099"\n', "desk.webrtc_sip"),
        ('[desk]\nwebrtc_sip = "127.0.0.1:70000"\n', "desk.webrtc_sip"),
        ("[desk]\nwebrtc_sip = 5099\n", "desk.webrtc_sip"),
        ('[desk]\nwebrtc = "yes"\n', "desk.webrtc"),
        ("[desk]\nwebrtc_port = 1\n", "webrtc_port"),
        ("desk = 1\n", "[desk]"),
        ('[desk]\nwebrtc_peers = "10.0.0.5"\n', "desk.webrtc_peers"),
        ('[desk]\nwebrtc_peers = ["pbx.example"]\n', "desk.webrtc_peers"),
        ("[desk]\nwebrtc_peers = []\n", "desk.webrtc_peers"),
    ],
)
def test_a_bad_desk_setting_is_refused_naming_it(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        _load(tmp_path, text)


def test_an_unspecified_gateway_address_cannot_be_dialled_and_says_so() -> None:
    settings = Settings(policy=Policy(), desk=DeskSettings(True, ("0.0.0.0", 5099)))
    with pytest.raises(ConfigError, match=r"desk\.webrtc_sip"):
        browser_leg_address(settings, 1)


@pytest.mark.parametrize(
    ("uri", "user"),
    [
        ("sip:agent-12@127.0.0.1:5099", 12),
        ("SIP:Agent-3@gw", 3),
        ("sip:agent-@gw", None),
        ("sip:agent-1x@gw", None),
        ("sip:+16145550100@gw", None),
        ("tel:agent-1", None),
    ],
)
def test_only_an_agent_address_names_a_user(uri: str, user: int | None) -> None:
    assert agent_of(uri) == user


def test_the_hosts_allowed_to_open_legs_are_read_as_networks(tmp_path: Path) -> None:
    settings = _load(tmp_path, '[desk]\nwebrtc_peers = ["10.0.0.5", "192.0.2.0/24"]\n')
    assert settings.desk.webrtc_peers == ("10.0.0.5/32", "192.0.2.0/24")
