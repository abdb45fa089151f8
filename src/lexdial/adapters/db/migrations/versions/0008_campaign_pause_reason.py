"""campaigns.status_reason: why the dialler paused a campaign (a failing carrier)

Revision ID: 0008_campaign_pause_reason
Revises: 0007_law_facts
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_campaign_pause_reason"
down_revision = "0007_law_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("status_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("status_reason")
