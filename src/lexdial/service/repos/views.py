"""Repository ports for read-only views the faces (CLI, API, web) show: lists, directories,
dashboards.
"""

from __future__ import annotations

from typing import Protocol


class ViewRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""
