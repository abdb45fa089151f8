"""Repository ports for firms, users, API tokens, web sessions, training attestations; erasure
(privacy) and key rotation, which reach every table holding encrypted personal data.
"""

from __future__ import annotations

from typing import Protocol


class UserRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""


class FirmRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""


class PrivacyRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""


class KeyRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""
