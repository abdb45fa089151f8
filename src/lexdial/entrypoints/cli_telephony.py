"""``lexdial telephony check``: is the SIP trunk in the settings reachable, and accepting us?

Registers (``register = true``) or OPTIONS-pings the trunk with the real settings through
the same engine the calls use, and prints one plain sentence: exit 0 when the trunk
answered, 6 (a carrier failure) when not. The password is never printed. With
``agent_srtp`` other than "off" it warns first (on stderr, whatever the verdict) that
agents' legs are signalled over UDP in clear, so their SDES keys are readable on the LAN.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_commands(sub: Any) -> None:
    """Register ``telephony check`` on the main parser's subparsers."""
    t = sub.add_parser(
        "telephony",
        help="check the carrier settings ([telephony]) against the real trunk",
        description="Telephony tools. 'check' reaches the SIP trunk in [telephony] with the\n"
        "settings as they are: a REGISTER when register = true, else an OPTIONS ping,\n"
        "and says plainly what is wrong (unreachable, timeout, wrong credentials, TLS).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tsub = t.add_subparsers(dest="telephony_command", required=True)
    c = tsub.add_parser(
        "check",
        help="register with or OPTIONS-ping the SIP trunk",
        epilog="example: lexdial telephony check   (exit 0: the trunk answered; 6: it did not)",
    )
    c.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for the trunk (default 10)"
    )
    c.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import check_sip_trunk, sip_trunk
    from lexdial.config import load_settings
    from lexdial.errors import ConfigError, TelephonyError

    settings = load_settings(args.settings)
    if settings.telephony.carrier != "sip":
        raise ConfigError(
            f"telephony check reaches a SIP trunk: [telephony] carrier is "
            f"{settings.telephony.carrier!r}, not 'sip'"
        )
    trunk = sip_trunk(settings)
    how = "REGISTER" if trunk.register else "OPTIONS"
    print(f"checking {trunk.address} over {trunk.transport.upper()} ({how}) ...", flush=True)
    warning = agent_srtp_warning(settings.telephony.sip.agent_srtp)
    if warning:
        print(f"lexdial: warning: {warning}", file=sys.stderr, flush=True)
    # (for sip-transport) the engine the calls use checks the trunk
    verdict = check_sip_trunk(trunk, args.timeout, settings.telephony.media)
    if not verdict.ok:
        raise TelephonyError(verdict.message)
    print(verdict.message)
    sys.stdout.flush()


def agent_srtp_warning(agent_srtp: str) -> str | None:
    """What ``check`` warns of for ``[telephony] agent_srtp``; None for "off". Agents' legs
    and ``sip:`` transfer targets are reached over UDP only (no ``sips:``), whatever the
    trunk's transport, so SDES keys in their SDP travel in clear."""
    if agent_srtp == "off":
        return None
    return (
        f'agent_srtp = "{agent_srtp}": agents\' legs and sip: transfer targets are signalled '
        "over UDP in clear, so their SRTP keys (SDES, in the SDP) cross the network "
        "readable: SRTP there stops someone who captures only the RTP, not someone who "
        "also captures the SIP"
    )
