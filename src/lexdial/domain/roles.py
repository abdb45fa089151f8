"""The roles a firm's users hold (who may do what is decided in ``service.users``).

A module of its own, free of the store, so that the command line can offer the roles as
choices without importing the database layer.
"""

from __future__ import annotations

ROLES = ("admin", "compliance", "manager", "agent", "auditor")
