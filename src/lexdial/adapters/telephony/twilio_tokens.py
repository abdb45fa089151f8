"""Twilio Access Tokens for the agent desk's softphone (the Voice JS SDK's ``Twilio.Device``).

Twilio's documented format, built by the twilio package's ``AccessToken``: a JWT signed
HS256 with an API key's secret, header ``cty: twilio-fpa;v=1``, ``iss`` the API key SID,
``sub`` the account SID, ``jti`` "<key sid>-<issued at>", and ``grants`` holding the
``identity`` and a ``voice`` grant (``incoming.allow``: the Device may receive calls,
which is how the agent's nailed-up leg reaches it; ``outgoing.application_sid``: the
TwiML app the Device would place calls through).

Rule 1: a token names exactly one identity (the caller decides whose: the route mints it
for the logged-in agent's own endpoint) and lives at most ``MAX_TTL_S`` (one hour, the
shortest Twilio's softphones are designed around): a leaked token soon stops working.
Rule 2: the API key secret never appears in an error, a log line or a repr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from twilio.jwt.access_token import AccessToken  # type: ignore[import-untyped]
from twilio.jwt.access_token.grants import VoiceGrant  # type: ignore[import-untyped]

#: the longest a token lives (seconds)
MAX_TTL_S: Final = 3600
_SID = {
    "account_sid": re.compile(r"AC[0-9a-fA-F]{32}"),
    "api_key_sid": re.compile(r"SK[0-9a-fA-F]{32}"),
    "twiml_app_sid": re.compile(r"AP[0-9a-fA-F]{32}"),
}
#: a Client identity, as ``service.agent_endpoints`` stores it
_IDENTITY = re.compile(r"[A-Za-z0-9_.-]{1,121}")


@dataclass(frozen=True, slots=True)
class TwilioTokenMinter:
    """Mints Access Tokens with one API key for one account and TwiML app."""

    account_sid: str
    api_key_sid: str
    api_key_secret: str = field(repr=False)
    twiml_app_sid: str
    ttl_s: int = MAX_TTL_S

    def __post_init__(self) -> None:
        for name, pattern in _SID.items():
            if not pattern.fullmatch(getattr(self, name)):
                raise ValueError(f"{name} is not a Twilio {name.replace('_', ' ')}")
        if not self.api_key_secret:
            raise ValueError("api_key_secret is empty")
        if not 60 <= self.ttl_s <= MAX_TTL_S:
            raise ValueError(f"ttl_s must be 60 to {MAX_TTL_S} seconds")

    def mint(self, identity: str) -> str:
        """A signed token for ``identity`` (a JWT string), valid ``ttl_s`` from now."""
        if not _IDENTITY.fullmatch(identity):
            raise ValueError("identity is not a Twilio Client identity")
        token = AccessToken(
            self.account_sid,
            self.api_key_sid,
            self.api_key_secret,
            identity=identity,
            ttl=self.ttl_s,
        )
        token.add_grant(
            VoiceGrant(incoming_allow=True, outgoing_application_sid=self.twiml_app_sid)
        )
        return str(token.to_jwt())
