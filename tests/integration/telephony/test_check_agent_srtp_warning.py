"""``lexdial telephony check`` warns, whatever its verdict, that with ``agent_srtp`` other
than "off" agents' SRTP keys travel in clear UDP SIP; with "off" it says nothing of it.
The trunk here is a UDP port that reads and never answers (no SIPp needed): exit 6."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lexdial.entrypoints.cli_telephony import agent_srtp_warning


@pytest.mark.parametrize("mode", ["off", "offer", "require"])
def test_telephony_check_warns_that_agent_srtp_keys_cross_udp_sip_in_clear(
    tmp_path: Path, mode: str
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        settings = tmp_path / "lexdial.toml"
        settings.write_text(
            f'[telephony]\ncarrier = "sip"\ntrunk = "127.0.0.1:{silent.getsockname()[1]}"\n'
            f'register = false\nagent_srtp = "{mode}"\n'
        )
        out = subprocess.run(
            [sys.executable, "-m", "lexdial", "--settings", str(settings), "telephony", "check",
             "--timeout", "1"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert out.returncode == 6, out.stderr + out.stdout
    assert "Traceback" not in out.stderr
    warned = [line for line in out.stderr.splitlines() if line.startswith("lexdial: warning:")]
    if mode == "off":
        assert warned == [], out.stderr
    else:
        assert warned == [f"lexdial: warning: {agent_srtp_warning(mode)}"], out.stderr
        assert f'agent_srtp = "{mode}"' in warned[0] and "over UDP in clear" in warned[0]


def test_the_warning_is_only_for_keyed_agent_legs() -> None:
    assert agent_srtp_warning("off") is None
    for mode in ("offer", "require"):
        text = agent_srtp_warning(mode)
        assert text is not None and "SDES" in text and "UDP" in text
