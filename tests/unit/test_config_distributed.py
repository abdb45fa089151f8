"""``[distributed]`` settings: off unless a broker is named; bad values refused, named."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexdial.config import load_settings
from lexdial.errors import ConfigError


def _settings(tmp_path: Path, body: str, env: dict[str, str] | None = None) -> object:
    path = tmp_path / "lexdial.toml"
    path.write_text(body, "utf-8")
    return load_settings(path, env or {}).distributed  # type: ignore[attr-defined]


def test_the_distributed_mode_is_off_without_a_broker(tmp_path: Path) -> None:
    d = _settings(tmp_path, "")
    assert d.enabled is False and d.broker_url is None  # type: ignore[attr-defined]
    assert load_settings(None, {}).distributed.enabled is False


def test_a_broker_from_the_environment_turns_it_on_and_wins_over_the_file(
    tmp_path: Path,
) -> None:
    d = _settings(
        tmp_path,
        '[distributed]\nbroker_url = "amqp://guest@127.0.0.1:5672//"\nlease_s = 5\n',
        {"LEXDIAL_BROKER_URL": "redis://127.0.0.1:6379/3"},
    )
    assert d.enabled and d.broker_url == "redis://127.0.0.1:6379/3"  # type: ignore[attr-defined]
    assert d.lease_s == 5.0  # type: ignore[attr-defined]
    assert load_settings(None, {"LEXDIAL_BROKER_URL": "redis://h/0"}).distributed.enabled


@pytest.mark.parametrize(
    ("body", "env", "named"),
    [
        pytest.param('broker_url = "http://x"', {}, "distributed.broker_url", id="scheme"),
        pytest.param("", {"LEXDIAL_BROKER_URL": "kafka://x"}, "$LEXDIAL_BROKER_URL", id="env"),
        pytest.param("enabled = true", {}, "distributed.enabled", id="enabled-no-broker"),
        pytest.param(
            'enabled = "yes"\nbroker_url = "redis://h"',
            {},
            "distributed.enabled",
            id="enabled-not-bool",
        ),
        pytest.param(
            'broker_url = "redis://h"\nlease_s = 0.5', {}, "distributed.lease_s", id="lease-short"
        ),
        pytest.param(
            'broker_url = "redis://h"\nlease_s = true', {}, "distributed.lease_s", id="lease-bool"
        ),
        pytest.param(
            'broker_url = "redis://h"\nsupervise_s = 1e9',
            {},
            "distributed.supervise_s",
            id="supervise-long",
        ),
        pytest.param(
            'broker_url = "redis://h"\nqueue = " "', {}, "distributed.queue", id="queue-blank"
        ),
        pytest.param('brokr_url = "redis://h"', {}, "distributed.brokr_url", id="unknown-key"),
    ],
)
def test_a_bad_distributed_setting_is_refused_naming_it(
    tmp_path: Path, body: str, env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace("$", r"\$")):
        _settings(tmp_path, "[distributed]\n" + body + "\n", env)
