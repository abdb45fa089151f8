"""baresip 1.0.0's configuration: one private directory per process (a *line*).

Rule 1: the control socket has no authentication, so it listens on 127.0.0.1 only, on a
port the kernel just handed out (``free_port``); SIP listens on the trunk's port for the
line, so processes never clash.
Rule 2: the directory is private (0700, the accounts file 0600): it may hold the SIP
password. The anchor account (``ANCHOR``) only anchors the process and never registers.
"""

from __future__ import annotations

import socket
from pathlib import Path

from lexdial.adapters.telephony.sip_trunk import Trunk

#: the user of the account a line starts with (it never registers)
ANCHOR = "lexdial"


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out on ``host`` (free now; a tiny race remains)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def write_config(
    directory: Path,
    *,
    ctrl_port: int,
    silence_wav: Path,
    trunk: Trunk | None = None,
    line: int = 1,
    local_ip: str = "127.0.0.1",
    rtp_ports: tuple[int, int] = (20000, 59999),
    record: bool = False,
) -> None:
    """Write ``config`` and ``accounts`` for one headless, trunk-style baresip.

    ``trunk`` (``sip_trunk.Trunk``) says where SIP listens (line ``line`` of its port
    range), its transport, DNS and NAT address and the accounts' credentials and
    registration; without one, an IP-addressed trunk on ``local_ip`` is assumed. The
    directory is private (0700, the accounts file 0600): it may hold the SIP password.
    No audio player module is loaded (nothing plays locally); ``record`` loads the
    ``sndfile`` filter, which writes the call's decoded received audio to
    ``directory/rec/dump-*-dec.wav`` as it arrives (for answering-machine detection).
    """
    if trunk is None:
        trunk = Trunk(address=local_ip, bind_address=local_ip)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    rec = directory / "rec"
    rec.mkdir(parents=True, exist_ok=True)
    modules = ["g711.so", "aufile.so"] + (["sndfile.so"] if record else [])
    modules += ["srtp.so"] if trunk.srtp != "off" else []  # (for srtp)
    lines = [
        "poll_method epoll",
        *trunk.config_lines(line),
        "call_local_timeout 120",
        "call_max_calls 4",
        f"audio_source aufile,{silence_wav}",
        "audio_level no",
        "ausrc_srate 8000",
        "auplay_srate 8000",
        "ausrc_channels 1",
        "auplay_channels 1",
        "audio_buffer 20-160",
        f"rtp_ports {rtp_ports[0]}-{rtp_ports[1]}",
        "rtp_stats no",
        "jitter_buffer_delay 5-10",
        "module_path /usr/lib/baresip/modules",
        *(f"module {m}" for m in modules),
        "module_tmp account.so",
        "module_app menu.so",
        "module_app ctrl_tcp.so",
        f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}",
        f"snd_path {rec}",
    ]
    (directory / "config").write_text("\n".join(lines) + "\n", encoding="ascii")
    # The anchor account only anchors the process (it never registers: a REGISTER made
    # before the control socket is connected would report to no one); ``launch`` adds
    # the registering account; each dial picks a UA for its caller ID.
    accounts = directory / "accounts"
    accounts.touch(mode=0o600)
    accounts.chmod(0o600)
    accounts.write_text(trunk.account(ANCHOR) + "\n", encoding="utf-8")
