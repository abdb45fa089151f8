"""The HTTP face of lexdial: REST API (``/v1``), web dashboard, webhooks, public pages."""
