"""Repository ports for campaigns and their contacts; the read models the reports and dashboards
are built from.
"""

from __future__ import annotations

from typing import Protocol


class CampaignRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""


class ReportRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""
