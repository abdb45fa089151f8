"""The agent desk's browser softphone gateway, wired: started and stopped with the web app.

Rule 1: ``start_gateway(settings)`` binds the gateway's SIP address (``[desk]
webrtc_sip``) and returns it running; None when ``[desk] webrtc = false``. A bound port
is a ConfigError naming the setting (two web processes on one host need two addresses).
Rule 2: ``browser_leg_address(settings, user_id)`` is the SIP URI the dialler INVITEs for a
``browser`` endpoint: the agent's leg at the gateway (``sip:agent-<id>@host:port``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lexdial.config import Settings
from lexdial.errors import ConfigError

if TYPE_CHECKING:
    from lexdial.adapters.telephony.webrtc_gateway import WebRtcGateway


def browser_leg_address(settings: Settings, user_id: int) -> str:
    """The SIP URI of ``user_id``'s softphone leg (rule 2)."""
    host, port = settings.desk.webrtc_sip
    if host in ("0.0.0.0", "::"):
        raise ConfigError(
            "desk.webrtc_sip binds every address: name the one the media plane reaches "
            'the gateway on (e.g. "192.0.2.10:5099")'
        )
    host = f"[{host}]" if ":" in host else host
    return f"sip:agent-{user_id}@{host}:{port}"


async def start_gateway(settings: Settings) -> WebRtcGateway | None:
    """The running gateway of ``settings`` (rule 1)."""
    if not settings.desk.webrtc:
        return None
    from lexdial.adapters.telephony.webrtc_gateway import WebRtcGateway

    host, port = settings.desk.webrtc_sip
    gateway = WebRtcGateway(host, port, settings.desk.webrtc_peers)
    try:
        await gateway.start()
    except OSError as exc:
        raise ConfigError(
            f"desk.webrtc_sip {host}:{port} cannot be bound ({exc.strerror or exc}); "
            "set [desk] webrtc_sip to a free address, or webrtc = false"
        ) from None
    return gateway
