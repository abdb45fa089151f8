"""The audit trail's stores: where the hash-chained entries live.

The chain itself (entries, canonical JSON, hashing, recording, verifying) is pure and lives
in ``domain.audit_chain``, with the masking of personal data in ``domain.masking``. Here are
its stores: ``sql`` (the ``audit_log`` table, and the services' ``Audit`` port), ``memory``
(the fake the tests use) and ``checkpoint`` (signed heads published outside the database).
"""
