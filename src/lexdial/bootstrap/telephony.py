"""The carriers: the one the settings name (simulated, SIP or Twilio), the SIP trunk, and
the simulated carrier and clock of the demo and the rehearsals.

Each function imports its adapter when first called, so ``lexdial --help`` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lexdial.config import Settings
from lexdial.errors import ConfigError

if TYPE_CHECKING:
    from lexdial.adapters.telephony.simulated import SimulatedCarrier
    from lexdial.adapters.telephony.sip_check import Verdict as TrunkVerdict
    from lexdial.adapters.telephony.sip_trunk import Trunk as SipTrunk
    from lexdial.adapters.virtual_time import SimulatedClock
    from lexdial.service.ports import Telephony


def open_telephony(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    carrier: str | None = None,
    seed: int = 0,
    timescale: float = 1.0,
    serve_webhooks: bool = False,
) -> Telephony:
    """The carrier the settings name (``carrier`` overrides); built here, never at import.

    The simulated carrier runs on the wall clock unless ``timescale`` says otherwise; SIP
    runs every call in this process (``media_plane``: every transport, REGISTER), unless
    ``[telephony] media = "baresip"`` starts baresip processes; Twilio reads its credentials from
    the environment only (``$LEXDIAL_TWILIO_API_URL`` replaces https://api.twilio.com: a
    stand-in for tests). ``serve_webhooks``: a process without the web app (``campaign
    run``) serves Twilio's webhooks itself on ``[telephony] webhook_listen`` while it dials.
    """
    env = os.environ if environ is None else environ
    t = settings.telephony
    name = carrier or t.carrier
    if name == "simulated":
        from lexdial.adapters.telephony.simulated import SimulatedCarrier

        return SimulatedCarrier(
            seed=seed, channels=max(t.channels, 1000), cps=max(t.cps, 100), timescale=timescale
        )
    if name == "sip":
        from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony, supports
        from lexdial.adapters.telephony.sip import SipTelephony

        trunk = sip_trunk(settings)
        if t.media != "baresip" and supports(trunk):
            return MediaPlaneTelephony(
                trunk=trunk,
                channels=t.channels,
                cps=t.cps_for("sip"),
                p_asserted_identity=t.sip.p_asserted_identity,
            )
        if t.sip.p_asserted_identity:
            raise ConfigError(
                "[telephony] p_asserted_identity cannot be sent with media = baresip: "
                "baresip 1.0.0 has no way to add a header (the media plane sends it)"
            )
        return SipTelephony(trunk=trunk, channels=t.channels, cps=t.cps_for("sip"))
    if name == "twilio":
        from lexdial.adapters.telephony.twilio import TwilioTelephony

        sid, token = env.get("LEXDIAL_TWILIO_ACCOUNT_SID"), env.get("LEXDIAL_TWILIO_AUTH_TOKEN")
        if not sid or not token or not t.webhook_base_url:
            raise ConfigError(
                "the twilio carrier needs $LEXDIAL_TWILIO_ACCOUNT_SID, "
                "$LEXDIAL_TWILIO_AUTH_TOKEN and [telephony] webhook_base_url"
            )
        return TwilioTelephony(
            account_sid=sid,
            auth_token=token,
            webhook_base_url=t.webhook_base_url,
            base_url=env.get("LEXDIAL_TWILIO_API_URL") or None,
            channels=t.channels,
            cps=t.cps_for("twilio"),
            listen=t.webhook_listen if serve_webhooks else None,
        )
    raise ConfigError(f"unknown carrier {name!r}: simulated, sip or twilio")


def sip_trunk(settings: Settings) -> SipTrunk:
    """The ``[telephony]`` SIP settings as the adapter's ``Trunk``."""
    from lexdial.adapters.telephony.sip_trunk import Trunk

    t = settings.telephony
    if not t.trunk:
        raise ConfigError('the sip carrier needs [telephony] trunk = "host" or "host:port"')
    s = t.sip
    if s.password_problem:
        raise ConfigError(s.password_problem)
    return Trunk(
        address=t.trunk,
        transport=s.transport,
        bind_address=s.bind_address,
        sip_port=s.sip_port,
        public_address=s.public_address,
        outbound_proxy=s.outbound_proxy,
        auth_username=s.auth_username,
        auth_password=s.auth_password,
        register=s.register,
        register_interval=s.register_interval,
        domain=s.domain,
        number_format=s.number_format,
        dial_prefix=s.dial_prefix,
        caller_name=s.caller_name,
        dns_server=s.dns_server,
        srtp=s.srtp,  # (for srtp)
        agent_srtp=s.agent_srtp,  # (for agent-srtp)
        tls_ca_file=s.tls_ca_file,
        tls_verify=s.tls_verify,
    )


def twilio_unknown_call_webhooks(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> Any | None:
    """Twilio's webhooks for calls no carrier of this process placed (``lexdial serve``
    while the campaign runs elsewhere, or after a restart): signature checked, answered
    with ``<Hangup/>``, a call still up ended through the API. None without Twilio's
    credentials and ``webhook_base_url`` (then the web app answers 404)."""
    try:
        carrier = open_telephony(settings, environ, carrier="twilio")
    except ConfigError:
        return None
    return getattr(carrier, "webhooks", None)


def is_simulated(telephony: Telephony) -> bool:
    """True for the simulated carrier (its calls and their outcomes never happened)."""
    from lexdial.adapters.telephony.simulated import SimulatedCarrier

    return isinstance(telephony, SimulatedCarrier)


def check_sip_trunk(trunk: SipTrunk, timeout: float, media: str = "auto") -> TrunkVerdict:
    """REGISTER with (``trunk.register``) or OPTIONS-ping the trunk through the engine the
    calls use (the media plane's UA; one baresip line with ``media = "baresip"``); the
    answer in one sentence (``telephony check``)."""
    import asyncio

    from lexdial.adapters.telephony.plane_check import check_on_plane
    from lexdial.adapters.telephony.sip_check import check_trunk

    if media == "baresip":
        return asyncio.run(check_trunk(trunk, timeout=timeout))
    return asyncio.run(check_on_plane(trunk, timeout=timeout))


def simulated_carrier(
    *, seed: int, opt_out: float, channels: int, cps: float, timescale: float
) -> SimulatedCarrier:
    """The simulated carrier with seeded behaviour; ``opt_out``: the share of answered
    calls whose callee presses the opt-out key (the demo's sample)."""
    from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier

    return SimulatedCarrier(
        SimProfile(opt_out=opt_out), seed=seed, channels=channels, cps=cps, timescale=timescale
    )


def simulated_clock(start: datetime, timescale: float) -> SimulatedClock:
    """A clock starting at ``start`` that follows a virtual-time loop once attached."""
    from lexdial.adapters.virtual_time import SimulatedClock

    return SimulatedClock(start, timescale)


def virtual_time_runner(pace: float) -> Any:
    """An ``asyncio.Runner`` on a virtual-time loop: the same run gives the same result
    however fast the machine; ``pace`` > 0 only slows it down (to be watched)."""
    import asyncio

    from lexdial.adapters.virtual_time import VirtualTimeLoop

    return asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(pace))
