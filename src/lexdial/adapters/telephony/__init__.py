"""Telephony adapters: simulated carrier, SIP (baresip), Twilio — one Protocol."""
