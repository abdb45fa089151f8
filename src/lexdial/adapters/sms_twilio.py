"""Sending the public pages' confirmation codes by SMS through Twilio.

Rule: the text carries the code and the firm's name only; a failure is a ``TelephonyError``
naming the Twilio status and error code, never the number (it is personal data).
"""

from __future__ import annotations

from typing import Any

from twilio.base.exceptions import TwilioRestException  # type: ignore[import-untyped]
from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from lexdial.errors import TelephonyError


class TwilioSmsSender:
    """A ``public_codes.CodeSender`` over Twilio's Messages API."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._from = from_number
        self._client: Any = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout_s)
        )
        if base_url is not None:  # a local contract server in tests
            self._client.api.base_url = base_url.rstrip("/")
            self._client.edge = self._client.region = None

    def send(self, e164: str, text: str) -> None:
        try:
            self._client.messages.create(to=e164, from_=self._from, body=text)
        except TwilioRestException as exc:
            raise TelephonyError(
                f"Twilio refused the message (HTTP {exc.status}, error {exc.code})"
            ) from None
