"""The Access Token minter for agents on Twilio (the desk's softphone), from the settings.

The account SID comes from ``$LEXDIAL_TWILIO_ACCOUNT_SID`` (as for the carrier), the API
key SID and TwiML app SID from ``[telephony]``, the key's secret from
``$LEXDIAL_TWILIO_API_KEY_SECRET`` or ``twilio_api_key_secret_file`` (``config.telephony``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lexdial.errors import ConfigError

if TYPE_CHECKING:
    from lexdial.config import Settings
    from lexdial.service.twilio_client_token import ClientTokenMinter


def twilio_token_minter(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> ClientTokenMinter:
    """The minter; ``ConfigError`` naming what is missing when it cannot be built."""
    from lexdial.adapters.telephony.twilio_tokens import TwilioTokenMinter

    env = os.environ if environ is None else environ
    t = settings.telephony
    account = env.get("LEXDIAL_TWILIO_ACCOUNT_SID") or ""
    if not (
        account and t.twilio_api_key_sid and t.twilio_api_key_secret and t.twilio_twiml_app_sid
    ):
        raise ConfigError(
            "agents on Twilio need $LEXDIAL_TWILIO_ACCOUNT_SID, [telephony] "
            "twilio_api_key_sid and twilio_twiml_app_sid, and the key's secret in "
            "$LEXDIAL_TWILIO_API_KEY_SECRET (or twilio_api_key_secret_file)"
        )
    try:
        return TwilioTokenMinter(
            account_sid=account,
            api_key_sid=t.twilio_api_key_sid,
            api_key_secret=t.twilio_api_key_secret,
            twiml_app_sid=t.twilio_twiml_app_sid,
        )
    except ValueError as exc:
        raise ConfigError(f"agents on Twilio: {exc}") from None
