"""Telephony adapters against local stand-ins for carriers (SIPp, a Twilio impersonation)."""
