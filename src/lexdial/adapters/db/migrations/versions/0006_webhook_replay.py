"""webhook receipts: signed webhook requests already acted on (replay refusal)

Revision ID: 0006_webhook_replay
Revises: 0005_firms
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_webhook_replay"
down_revision = "0005_firms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_receipts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_webhook_receipts")),
    )
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_receipts_seen_at", ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_receipts_seen_at")
    op.drop_table("webhook_receipts")
