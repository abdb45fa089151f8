"""Use cases over the evidence store: consent ledger, opt-out, the dial-time gate.

They depend on ports (``service.ports``) and on SQLAlchemy connections handed in by the
caller's transaction; wiring happens in ``bootstrap``.
"""
